/**
 * `npm run build`: compiles src/ and the service logic (services/<id>/*.ts, loaded at runtime by
 * src/services/registry.ts) to JavaScript under dist/ with tsc, copies the files src/ reads at
 * runtime beside its modules (stylesheet, SQL migrations), precompiles the JSON Schema validators
 * that startup needs, makes the template of an empty embedded database (src/storage/pglite-template.ts)
 * unless a current one exists, and stamps the build. `bin/efa.js` and
 * the image run dist/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const ROOT = process.cwd();
const DIST = join(ROOT, 'dist');
const started = performance.now();

rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
// --noCheck: emit only. tsc would emit the same files despite type errors; `npm run typecheck`
// (in `npm test`, and before the build in the Dockerfile) is where types are checked, and emitting
// alone takes half the time.
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck'], { cwd: ROOT, stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('build: tsc failed');
  process.exit(compiled.status ?? 1);
}

let assets = 0;
const copyAssets = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (!name.endsWith('.ts')) {
      cpSync(path, join(DIST, relative(ROOT, path)));
      assets++;
    }
  }
};
copyAssets(join(ROOT, 'src'));

// The JSON Schema validators every start compiles, as Ajv standalone code (src/core/schema-cache.ts):
// made by running what startup runs, with the schema cache recording.
const { recordCompiledSchemas } = await import('../src/core/schema-cache.js');
recordCompiledSchemas(join(DIST, 'validators'));
const { FORMATS_DIR, loadDeclarations } = await import('../src/runtime.js');
const { formatValidator } = await import('../src/core/declarations.js');
await loadDeclarations(ROOT, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001', ...process.env });
for (const name of ['api-clients', 'examples']) formatValidator(join(FORMATS_DIR, `${name}.schema.json`));
await import('../src/submissions/pull-events.js');
(await import('../src/demo/receivers/fit-connect.js')).metadataValidator();
const schemas = readdirSync(join(DIST, 'validators')).length;

// The empty migrated embedded database a first `efa start` copies instead of creating one
// (src/storage/pglite-template.ts), in node_modules/.cache/efa: made now unless a current one exists.
const template = await (await import('../src/storage/db.js')).preparePgliteTemplate();

// Written last: bin/efa.js runs dist/ only while no source file is newer than this stamp.
writeFileSync(join(DIST, 'BUILT'), `${new Date().toISOString()} node ${process.version}\n`);
console.log(`build: dist/ (tsc, ${assets} assets, ${schemas} precompiled schema validators, PGlite template ${template.built ? 'made' : 'current'}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
