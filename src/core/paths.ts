import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's own folder (package.json, schemas/). The engine runs from src/ (tsx, development)
 * or compiled from dist/src/ (npm run build, the image), so a fixed `../..` would be wrong in one
 * of them: walk up to the nearest package.json instead.
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The compiled build's folder: JavaScript for src/ and services/ under the same relative paths. */
export const DIST_DIR = join(PACKAGE_ROOT, 'dist');

/** True when this process runs the compiled build (dist/src/…), not the TypeScript sources. */
export const RUNNING_COMPILED = !relative(DIST_DIR, fileURLToPath(import.meta.url)).startsWith('..');

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

/** Where the build put the JavaScript for a TypeScript file of the package, or undefined outside it. */
export function compiledPath(tsFile: string): string | undefined {
  const rel = relative(PACKAGE_ROOT, tsFile);
  if (rel.startsWith('..') || rel.startsWith(`dist${sep}`) || !rel.endsWith('.ts')) return undefined;
  return join(DIST_DIR, rel.slice(0, -3) + '.js');
}
