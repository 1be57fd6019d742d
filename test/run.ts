/**
 * Runs every test file under test/ with node's test runner. Files run one after another: the
 * integration tests share one PostgreSQL and one Redis and each creates its own database and key
 * prefix, but two cores are better spent inside one file than on two at once.
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'support' ? [] : collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = collect('test').filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
if (files.length === 0) {
  console.error(`no test files match ${only.join(' ')}`);
  process.exit(1);
}

let failed = 0;
let passed = 0;
// Child processes inherit this process's --import tsx. forceExit: a file whose before() failed may
// leave a server open (its after() has nothing to close); the file must still end, with its failure,
// rather than hold the run until the timeout.
const stream = run({ files, concurrency: 1, timeout: 10 * 60_000, forceExit: true });
stream.on('test:fail', (e) => { if (e.details && e.nesting === 0) failed++; });
stream.on('test:pass', (e) => { if (e.nesting === 0) passed++; });
stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
});
