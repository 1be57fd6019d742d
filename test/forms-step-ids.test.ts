import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProject } from '../src/check.js';
import { DeclarationError } from '../src/core/errors.js';
import { RESERVED_STEP_IDS } from '../src/forms/definition.js';
import { createRenderer } from '../src/forms/render.js';
import { Previewer } from '../src/http/preview.js';
import { FORMATS_DIR, loadDeclarations } from '../src/runtime.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';

/**
 * A step id that is also the name of another page (a Land's legal page such as "kontakt", the
 * check page, the preview's home page) would hide that page or be hidden by it: refused at load and
 * by efa check, naming the form file and the step. On a service generated for this test.
 */
const SERVICE = 'haustiere-schritte';
const SPEC = { id: SERVICE, leikaKey: '99999999999032', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 };
const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const FORM = `forms/${SERVICE}.form.json`;

describe('step ids that name another page are refused', () => {
  let temp: TempRoot;
  let original: string;
  before(async () => {
    temp = copyProjectRoot('efa-step-ids-');
    await addExtraService(temp.root, SPEC);
    original = readFileSync(join(temp.root, FORM), 'utf8');
  });
  after(() => temp.remove());

  function renameStep(index: number, id: string): void {
    const doc = JSON.parse(original) as { steps: Array<{ id: string }> };
    (doc.steps[index] as { id: string }).id = id;
    writeFileSync(join(temp.root, FORM), JSON.stringify(doc));
  }

  test('every page the preview names besides the steps (legal pages, check, confirmation, …) is a reserved step id', async () => {
    writeFileSync(join(temp.root, FORM), original);
    const decl = await loadDeclarations(temp.root, ENV);
    const previewer = new Previewer(decl, createRenderer('.'), FORMATS_DIR);
    const tenant = decl.tenants.get('sh');
    assert.ok(tenant);
    const steps = new Set(tenant.forms.get(SERVICE)?.steps.map((s) => s.id));
    // A group's row page (`<step>/<n>`) lives below its own step, so it cannot be overwritten by one.
    const pages = previewer.pages(tenant, SERVICE).filter((p) => !steps.has(p) && !steps.has(p.split('/')[0] ?? ''));
    assert.ok(pages.includes('kontakt') && pages.includes('pruefen'), pages.join(', '));
    assert.deepEqual(pages.filter((p) => !RESERVED_STEP_IDS.has(p)), [], 'pages a step could overwrite');
  });

  test('a step called "kontakt": efa check and loading name the form file, the step and the page it would hide', async () => {
    renameStep(1, 'kontakt');
    const report = await checkProject(temp.root, ENV);
    const problem = report.problems.find((p) => p.message.includes(`${FORM}: /steps/1/id:`));
    assert.ok(problem, report.problems.map((p) => p.message).join('\n'));
    assert.equal(problem.code, 'EFA_DECLARATION_INVALID');
    assert.match(problem.message, /step id "kontakt" is reserved: it is the Land's contact page \(\/<land>\/kontakt, also a page of the preview\), which the step would hide; choose another id/);
    const err = await loadDeclarations(temp.root, ENV).catch((e: unknown) => e);
    assert.ok(err instanceof DeclarationError && err.message.includes(`${FORM}: /steps/1/id: step id "kontakt" is reserved`), String(err));

    renameStep(0, 'impressum');
    const imprint = await loadDeclarations(temp.root, ENV).catch((e: unknown) => e);
    assert.ok(imprint instanceof DeclarationError && /\/steps\/0\/id: step id "impressum" is reserved: it is the Land's imprint page/.test(imprint.message), String(imprint));
  });
});
