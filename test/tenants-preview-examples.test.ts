import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRenderer } from '../src/forms/render.js';
import { Previewer } from '../src/http/preview.js';
import { FORMATS_DIR, loadDeclarations, type Declarations } from '../src/runtime.js';
import { Browser } from './support/browser.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { addPlaceService, KIEL, KOELN } from './support/place-service.js';
import { startStack, type TestStack } from './support/runtime.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const BY_LAND = 'test-preview-land';
const BY_TENANT = 'test-preview-tenant';
const PETS = 'test-preview-pets';

/** A placement over Christmas in `anschrift`'s town, optionally stated to be checked under `tenant`. */
function placement(id: string, anschrift: typeof KIEL, tenant?: string) {
  return { id, title: { de: id, en: id }, ...(tenant ? { tenant } : {}), data: { name: 'Erika Mustermann', anschrift, zeitraum: { von: '2026-12-21', bis: '2026-12-30' } } };
}

/** The service is offered by HH too, which has no example of its own. */
function offerInHamburg(root: string, service: string): void {
  const file = join(root, 'tenants', 'hh.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { services: Record<string, unknown> };
  doc.services[service] = {};
  writeFileSync(file, JSON.stringify(doc, null, 2));
}

describe('the preview picks each Land\'s example and shows a group\'s rows', () => {
  let temp: TempRoot;
  let decl: Declarations;
  let previewer: Previewer;
  before(async () => {
    temp = copyProjectRoot('efa-preview-examples-');
    const examples = (list: unknown[]) => ({ $schema: '../../schemas/examples.schema.json', today: '2026-12-01', examples: list });
    await addPlaceService(temp.root, { id: BY_LAND, leikaKey: '99999999999111' }, examples([placement('kiel', KIEL), placement('koeln', KOELN)]));
    await addPlaceService(temp.root, { id: BY_TENANT, leikaKey: '99999999999112' }, examples([placement('koeln', KOELN), placement('kiel-fuer-nw', KIEL, 'nw')]));
    offerInHamburg(temp.root, BY_LAND);
    await addExtraService(temp.root, { id: PETS, leikaKey: '99999999999113', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 5, chipNumber: true });
    decl = await loadDeclarations(temp.root, ENV);
    // A day years after the examples' own: they are shown on theirs.
    previewer = new Previewer(decl, createRenderer(temp.root), FORMATS_DIR, '2031-05-05');
  });
  after(() => temp?.remove());

  const render = (tenant: string, service: string, page: string) => previewer.render({ tenant, service, page });

  test('by default, a Land\'s preview shows the example whose place lies in that Land, else the first', () => {
    assert.equal(render('sh', BY_LAND, 'pruefen').example, 'kiel');
    const nw = render('nw', BY_LAND, 'pruefen');
    assert.equal(nw.example, 'koeln', 'not the Kiel application on NW\'s portal');
    assert.match(nw.html, /Es gelten die Regeln von<\/dt><dd class="kern-description-list-item__value">Köln, Stadt/);
    assert.equal(render('hh', BY_LAND, 'pruefen').example, 'kiel', 'no example in Hamburg: the first');
    assert.equal(previewer.render({ tenant: 'nw', service: BY_LAND, page: 'pruefen', example: 'kiel' }).example, 'kiel', 'a wanted example is still shown');
  });

  test('an example stated to be checked under a tenant comes first in that tenant\'s preview', () => {
    assert.equal(render('nw', BY_TENANT, 'ort').example, 'kiel-fuer-nw', 'its "tenant" before a place in the Land');
    assert.equal(render('sh', BY_TENANT, 'ort').example, 'kiel-fuer-nw', 'its place lies in SH');
  });

  test('an example is shown on the day it is checked on', () => {
    assert.match(render('sh', BY_LAND, 'bestaetigung').html, /SH-2026-DEMO-0001/, 'the "today" of examples.json, not the preview\'s 2031');
  });

  test('a group\'s first row has its own page, after the group\'s step, with the example\'s answers', () => {
    const pages = previewer.pages(decl.tenants.get('sh') as NonNullable<ReturnType<typeof decl.tenants.get>>, PETS);
    assert.deepEqual(pages.slice(pages.indexOf('halter'), pages.indexOf('pruefen')), ['halter', 'tiere', 'tiere/1']);
    const row = render('sh', PETS, 'tiere/1');
    assert.equal(row.status, 200);
    assert.match(row.html, /<h1 class="kern-heading-large">Tier 1: Tier 1<\/h1>/, 'the row named by its first text answer');
    assert.match(row.html, /value="Tier 1"/);
    assert.match(row.html, new RegExp(`action="/sh/${PETS}/tiere/1"`));
    assert.match(row.html, /Chipnummer/, 'a field shown by another of the same row (the first pet is chipped)');
    const errors = previewer.render({ tenant: 'sh', service: PETS, page: 'tiere/1', errors: true });
    assert.equal(errors.status, 400);
    assert.match(errors.html, /Geben Sie Name des Tiers ein\./);
    assert.doesNotMatch(errors.html, /value="Tier 1"/);
  });

  test('efa preview --all writes a row page beside its step, linked to its other language', async () => {
    const out = join(temp.root, 'preview-out');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'preview', '--all', '--tenant', 'sh', '--service', PETS, '--out', out], { env: { ...process.env, EFA_ROOT: temp.root } });
    const file = join(out, 'sh', PETS, 'tiere.1.de.html');
    assert.ok(existsSync(file));
    assert.match(readFileSync(file, 'utf8'), /href="tiere\.1\.en\.html"/);
  });

  describe('the preview route', () => {
    let stack: TestStack;
    before(async () => {
      stack = await startStack({ database: 'pglite', env: { EFA_ROOT: temp.root } });
    });
    after(async () => stack?.close());

    test('a row page at /_efa/preview/<tenant>/<service>/<step>/1, linked from the index', async () => {
      const b = new Browser(stack.url);
      assert.match((await b.get('/_efa/preview')).html, new RegExp(`href="/_efa/preview/sh/${PETS}/tiere/1\\?lang=de"`));
      const row = await b.get(`/_efa/preview/sh/${PETS}/tiere/1?lang=en`);
      assert.equal(row.status, 200);
      assert.match(row.html, /<h1 class="kern-heading-large">Pet 1: Tier 1<\/h1>/);
      assert.equal((await b.get(`/_efa/preview/sh/${PETS}/tiere/2`)).status, 404);
    });
  });
});
