#!/usr/bin/env node
// The `efa` command. Runs the compiled build (dist/, `npm run build`; what the image ships) while it
// is current; without one, or once a file under src/ changed after it, the TypeScript sources
// through tsx (a development dependency).
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Node 22.1+: keep V8's compiled code of every module on disk, so the next start skips compiling it.
module.enableCompileCache?.();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');

/** The newest modification time of any file under dir (0 if dir does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

const stamp = join(root, 'dist', 'BUILT');
if (existsSync(compiled) && existsSync(stamp) && newest(join(root, 'src')) <= statSync(stamp).mtimeMs) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
