import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRenderer } from '../src/forms/render.js';
import { Previewer } from '../src/http/preview.js';
import { FORMATS_DIR, loadDeclarations, type Declarations } from '../src/runtime.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';

const run = promisify(execFile);
const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const ADDED = 'zusatzleistung';
/** Offered by two Länder only, so Länder with and without it are both compared. */
const OFFERING = ['sh', 'nw'];

/**
 * Adding a service is a data change: a new service directory (service.json, schema.json, types,
 * logic, examples), its form, one line per offering Land and its routing. This test adds one to a
 * copy of the project root and shows the runtime takes it, while every declared service behaves
 * as before, page for page.
 */
describe('a service added to a copy of the project root', () => {
  let temp: TempRoot;
  let before_: Declarations;
  let after_: Declarations;
  let previewBefore: Previewer;
  let previewAfter: Previewer;
  before(async () => {
    temp = copyProjectRoot('efa-added-');
    await addExtraService(temp.root, { id: ADDED, leikaKey: '99999999999002', tenants: OFFERING, routes: { '01': 'land-sh', '05': 'land-nw' }, minItems: 1, maxItems: 5 });
    before_ = await loadDeclarations('.', ENV);
    after_ = await loadDeclarations(temp.root, ENV);
    previewBefore = new Previewer(before_, createRenderer('.'), FORMATS_DIR);
    previewAfter = new Previewer(after_, createRenderer(temp.root), FORMATS_DIR);
  });
  after(() => temp.remove());

  test('the runtime loads it next to the declared services, offered and routed where its data says', () => {
    assert.deepEqual([...after_.services.keys()].sort(), [...before_.services.keys(), ADDED].sort());
    for (const tenant of after_.tenants.values()) {
      assert.equal(ADDED in tenant.services, OFFERING.includes(tenant.id), `${tenant.id} offers ${ADDED} only if its file says so`);
    }
    const service = after_.services.get(ADDED);
    assert.ok(service);
    assert.equal(after_.routing.responsibility.resolve(service.definition.leikaKey, '010020000000'), 'land-sh');
    assert.equal(after_.routing.responsibility.resolve(service.definition.leikaKey, '053150000000'), 'land-nw');
    for (const tenant of OFFERING.map((id) => after_.tenants.get(id))) {
      assert.ok(tenant);
      for (const page of previewAfter.pages(tenant, ADDED)) {
        for (const lang of tenant.languages) assert.equal(previewAfter.render({ tenant: tenant.id, service: ADDED, page, lang }).status, 200, `${tenant.id}/${ADDED}/${page}/${lang}`);
      }
    }
  });

  test('every declared service keeps its pages in every Land; where the new one is not offered, nothing changes at all', () => {
    for (const tenant of before_.tenants.values()) {
      const changed = after_.tenants.get(tenant.id);
      assert.ok(changed);
      for (const service of Object.keys(tenant.services)) {
        const pages = previewBefore.pages(tenant, service);
        assert.deepEqual(previewAfter.pages(changed, service), pages, `${tenant.id}/${service}: the same pages`);
        // Home lists the Land's services, so it shows the new one where it is offered; every other page is identical.
        const compared = OFFERING.includes(tenant.id) ? pages.filter((p) => p !== 'home') : pages;
        for (const page of compared) {
          const lang = tenant.languages[tenant.languages.length - 1];
          const was = previewBefore.render({ tenant: tenant.id, service, page, lang });
          const is = previewAfter.render({ tenant: tenant.id, service, page, lang });
          assert.equal(is.status, was.status, `${tenant.id}/${service}/${page}`);
          assert.equal(is.html, was.html, `${tenant.id}/${service}/${page}/${lang}: the same page`);
        }
      }
    }
  });

  test('efa check accepts the copy (examples, generated types) and counts one service and one form more', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check'], { env: { ...process.env, EFA_ROOT: temp.root } });
    const counts = /ok: (\d+) services, (\d+) forms, (\d+) tenants/.exec(stdout)?.slice(1).map(Number);
    assert.deepEqual(counts, [before_.services.size + 1, before_.forms.size + 1, before_.tenants.size], stdout);
  });

  test('its logic may import engine types, but an engine module at run time is refused at load, naming the import', async () => {
    const logic = join(temp.root, 'services', ADDED, 'logic.ts');
    const original = readFileSync(logic, 'utf8');
    try {
      writeFileSync(logic, `import type { LogicContext } from '../../src/services/contract.js';\n${original}`);
      assert.ok((await loadDeclarations(temp.root, ENV)).services.has(ADDED));
      writeFileSync(logic, `import { newLogicContext } from '../../src/services/context.js';\n${original}`);
      await assert.rejects(loadDeclarations(temp.root, ENV), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'EFA_DECLARATION_INVALID');
        assert.match(err.message, /logic\.ts.*imports "\.\.\/\.\.\/src\/services\/context\.js" at run time, outside the service's folder/);
        return true;
      });
    } finally {
      writeFileSync(logic, original);
    }
  });
});
