import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeclarations } from '../src/runtime.js';
import { freshPostgres } from './support/database.js';

/**
 * What the image runs: `npm run build` once, then the compiled dist/ with plain node, no tsx. On
 * Node 22.6+ type stripping is switched off too, so a TypeScript file left on the path fails.
 */
const NO_TS = process.allowedNodeEnvironmentFlags.has('--experimental-strip-types') ? ['--no-experimental-strip-types'] : [];
const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:9' };

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A resolve hook that makes a package look uninstalled, as in the image without dev dependencies. */
function without(pkg: string): string[] {
  const hooks = `export async function resolve(s, c, next) { if (s === ${JSON.stringify(pkg)} || s.startsWith(${JSON.stringify(`${pkg}/`)})) { const e = new Error('Cannot find package ' + s); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
}

/** A resolve hook that makes dist/src/demo/ look absent, as in the image (the Dockerfile removes it). */
const WITHOUT_DEMO = (() => {
  const hooks = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/dist/src/demo/')) { const e = new Error('Cannot find module ' + r.url); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return r; }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
})();

describe('the compiled build (npm run build, dist/)', () => {
  let build: Run;
  before(async () => {
    build = await run(['--import', 'tsx', 'scripts/build.ts']);
  });

  test('builds, with the logic of every declared service and the validators startup needs', async () => {
    assert.equal(build.code, 0, build.stdout + build.stderr);
    assert.ok(existsSync('dist/src/cli/main.js'));
    const { services } = await loadDeclarations('.', ENV);
    assert.ok(services.size > 0);
    for (const id of services.keys()) assert.ok(existsSync(join('dist', 'services', id, 'logic.js')), `dist/services/${id}/logic.js is missing`);
    const validators = readdirSync('dist/validators');
    assert.ok(validators.length >= services.size + 5, `only ${validators.length} precompiled validators`);
    const require = createRequire(import.meta.url);
    for (const file of validators) assert.equal(typeof require(join(process.cwd(), 'dist/validators', file)), 'function', file);
  });

  describe('efa serve, compiled, without the demo part (src/demo/), as in the image', () => {
    let db: Awaited<ReturnType<typeof freshPostgres>>;
    let dataDir: string;
    let serve: ReturnType<typeof spawn> | undefined;
    let base = '';
    let output = '';

    before(async () => {
      assert.equal(build.code, 0, 'the build failed');
      db = await freshPostgres();
      dataDir = mkdtempSync(join(tmpdir(), 'efa-compiled-'));
      serve = spawn(process.execPath, [...NO_TS, ...WITHOUT_DEMO, 'dist/src/cli/main.js', 'serve'], {
        env: { PATH: process.env.PATH ?? '', ...ENV, DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const child = serve;
      base = await new Promise<string>((resolve, reject) => {
        const collect = (d: Buffer) => {
          output += d.toString();
          const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (listening) resolve(listening[1] as string);
        };
        child.stdout?.on('data', collect);
        child.stderr?.on('data', collect);
        child.once('exit', (code) => reject(new Error(`efa serve exited (${code}) before listening:\n${output}`)));
      });
    });

    after(async () => {
      if (serve && serve.exitCode === null) {
        const exited = new Promise((resolve) => serve?.once('exit', resolve));
        serve.kill('SIGTERM');
        await exited;
      }
      await db?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('is ready and renders the first page of a service in a Land\'s look', async () => {
      const ready = await fetch(`${base}/_efa/health/ready`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ok', database: 'postgres' });
      const { tenants } = await loadDeclarations('.', ENV);
      const tenant = [...tenants.values()].find((t) => Object.keys(t.services).length > 0);
      assert.ok(tenant, 'no tenant offers a service');
      const service = Object.keys(tenant.services)[0] as string;
      const page = await fetch(`${base}/${tenant.id}/${service}`, { redirect: 'manual' });
      const html = await page.text();
      assert.equal(page.status, 200, html.slice(0, 500));
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(html, /<form[^>]+method="post"/i);
    });
  });

  test('efa check runs compiled, also without the development dependency json-schema-to-typescript', async () => {
    const full = await run([...NO_TS, ...WITHOUT_DEMO, 'dist/src/cli/main.js', 'check'], ENV);
    assert.equal(full.code, 0, full.stdout + full.stderr);
    assert.match(full.stdout, /^ok: \d+ services/m);
    assert.doesNotMatch(full.stderr, /not compared/);

    const pruned = await run([...NO_TS, ...without('json-schema-to-typescript'), 'dist/src/cli/main.js', 'check'], ENV);
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.match(pruned.stdout, /^ok: \d+ services/m);
    assert.match(pruned.stderr, /generated types not compared \(json-schema-to-typescript is a development dependency and not installed\)/);
  });
});
