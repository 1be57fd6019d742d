/**
 * The start page's "before you start" (GOV.UK start page pattern): who can apply, what to have
 * ready, how long it takes, as the service declares it in service.json, in German and English; a
 * declaration missing a language is refused by efa check and at startup.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DeclarationError } from '../src/core/errors.js';
import { loadDeclarations } from '../src/runtime.js';
import { Browser } from './support/browser.js';
import { editJson } from './support/declarations.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';

const SERVICE = 'tierbeginn';
const PLAIN = 'tierohne';
const TENANT = 'sh';
const BEFORE_START = {
  eligibility: { de: 'Wer in Kiel ein Haustier hält.', en: 'Anyone keeping a pet in Kiel.' },
  needs: [{ de: 'Das Geburtsdatum jedes Tiers', en: 'Each pet’s date of birth' }, { de: 'Die Chipnummer, wenn vorhanden', en: 'The chip number, if there is one' }],
  duration: { de: 'Etwa 3 Minuten je Tier.', en: 'About 3 minutes per pet.' },
};

/** The section's text, tags removed: headings and items in order. */
function sectionOf(html: string): string | undefined {
  const section = /<section class="efa-before-start"[^>]*>([\s\S]*?)<\/section>/.exec(html)?.[1];
  return section?.replace(/<li>/g, '• ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

describe('the start page says what to know before starting', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot('efa-before-start-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999026', tenants: [TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
    await addExtraService(temp.root, { id: PLAIN, leikaKey: '99999999999027', tenants: [TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
    editJson(join(temp.root, 'services', SERVICE, 'service.json'), (doc) => { doc.beforeStart = BEFORE_START; });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  test('in German: who can apply, what you need (a list), how long it takes, before the start button', async () => {
    const page = await new Browser(stack.url).get(`/${TENANT}/${SERVICE}`);
    assert.equal(page.status, 200);
    assert.equal(sectionOf(page.html), 'Bevor Sie beginnen Wer den Antrag stellen kann Wer in Kiel ein Haustier hält. Was Sie brauchen • Das Geburtsdatum jedes Tiers • Die Chipnummer, wenn vorhanden Wie lange es dauert Etwa 3 Minuten je Tier.');
    assert.match(page.html, /<h2 class="kern-heading-medium" id="efa-before-start">Bevor Sie beginnen<\/h2>/);
    assert.ok(page.html.indexOf('efa-before-start') < page.html.indexOf(`action="/${TENANT}/${SERVICE}/start"`), 'read before the start button');
  });

  test('in English', async () => {
    const page = await new Browser(stack.url).get(`/${TENANT}/${SERVICE}?lang=en`);
    assert.equal(sectionOf(page.html), 'Before you start Who can apply Anyone keeping a pet in Kiel. What you need • Each pet’s date of birth • The chip number, if there is one How long it takes About 3 minutes per pet.');
  });

  test('a service that declares none shows no empty section', async () => {
    const page = await new Browser(stack.url).get(`/${TENANT}/${PLAIN}`);
    assert.equal(page.status, 200);
    assert.equal(sectionOf(page.html), undefined);
    assert.doesNotMatch(page.html, /Bevor Sie beginnen/);
  });

  test('a text without its English version, or an empty declaration, is refused naming the path', async () => {
    for (const [broken, path] of [[{ ...BEFORE_START, duration: { de: 'Etwa 3 Minuten.' } }, '/beforeStart/duration'], [{}, '/beforeStart']] as const) {
      const root = copyProjectRoot('efa-before-start-broken-');
      try {
        await addExtraService(root.root, { id: SERVICE, leikaKey: '99999999999026', tenants: [TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
        editJson(join(root.root, 'services', SERVICE, 'service.json'), (doc) => { doc.beforeStart = broken; });
        await assert.rejects(loadDeclarations(root.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' }), (err: unknown) => {
          assert.ok(err instanceof DeclarationError, String(err));
          assert.match(err.message, new RegExp(`services/${SERVICE}/service\\.json: ${path.replace(/\//g, '\\/')}`));
          return true;
        });
      } finally {
        root.remove();
      }
    }
  });
});
