import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { berlinDateTime } from '../src/http/applicant/view.js';
import { uiTexts } from '../src/forms/ui-texts.js';
import type { Authority } from '../src/routing/types.js';
import type { DirectoryEntry } from '../src/transports/types.js';
import { Browser } from './support/browser.js';
import { extractErrors, pdfWith } from './support/answers.js';
import { generateTypes, TYPES_FILE } from '../src/services/types-gen.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { editJson } from './support/declarations.js';
import { readPdf, squeeze } from './support/pdf.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * What the applicant gets to keep: the responsible authority (name, address, contact, English
 * name) on the check, confirmation and status pages; the PDF receipt with every answer as the check
 * page listed it, for the holder of the status link only (its key, not the submission id); how long a draft is kept, the "save and
 * continue later" page, and the page for a draft that is gone. On a service generated for this test
 * and an authority declared by it, so nothing depends on the shipped services or routing data.
 */
const SERVICE = 'haustiere';
const TENANT = 'sh';
const AUTHORITY: Authority = {
  id: 'test-tieramt',
  name: 'Testamt für Haustiere – Äußere Stelle (Demo)',
  nameEn: 'Test Office for Pets – Outer Branch (Demo)',
  address: { street: 'Prüfweg 7', postalCode: '24103', city: 'Kiel' },
  contact: { email: 'tiere@test-amt.example', phone: '+49 431 0000 4711', web: 'https://www.test-amt.example/tiere' },
};
const HOLDER = { 'halter.name': 'Zoë Ørsted-Müller', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' };
const RECEIPT = /href="([^"]*\/eingangsbestaetigung\.pdf[^"]*)"/;

function pet(n: number, name: string): Record<string, string> {
  const p = `tiere.${n - 1}`;
  return { [`${p}.name`]: name, [`${p}.art`]: n % 2 ? 'hund' : 'katze', [`${p}.geburtsdatum.day`]: '1', [`${p}.geburtsdatum.month`]: '5', [`${p}.geburtsdatum.year`]: '2020', [`${p}.gechippt`]: 'ja' };
}

function decode(html: string): string {
  // A row's answers are label/value pairs on the page; the receipt writes each as "label: value".
  return html.replace(/<\/dt><dd class="efa-lines__value">/g, ': ').replace(/<\/span>|<br>|<\/div>/g, '\n').replace(/<[^>]+>/g, '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x60;/g, '`').trim();
}

/** The answer rows of a check page: every label and value that has a change link, generically. */
function checkRows(html: string): Array<{ label: string; value: string }> {
  return [...html.matchAll(/<dt[^>]*>([\s\S]*?)<\/dt>\s*<dd[^>]*>([\s\S]*?)<\/dd>\s*<dd[^>]*>\s*<a[^>]*zurueck/g)].map((m) => ({ label: decode(m[1] ?? ''), value: decode(m[2] ?? '') }));
}

/** The text of a PDF as pdf.js extracts it (what a screen reader or a search finds). */

async function fetchRaw(url: string): Promise<{ status: number; type: string | null; disposition: string | null; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), body: Buffer.from(await res.arrayBuffer()) };
}

/** Each pet may have a photo (an optional file field in the group), so the receipt must name files too. */
async function withPhotoField(root: string): Promise<void> {
  const dir = join(root, 'services', SERVICE);
  const schema = JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8')) as { $defs: Record<string, { properties: Record<string, unknown> }> };
  schema.$defs.datei = {
    title: 'Datei', type: 'object', additionalProperties: false, required: ['id', 'filename', 'mediaType', 'size', 'sha512'],
    properties: {
      id: { type: 'string', format: 'uuid' }, filename: { type: 'string', minLength: 1, maxLength: 255 }, mediaType: { enum: ['application/pdf'] },
      size: { type: 'integer', minimum: 1, maximum: 1_000_000 }, sha512: { type: 'string', pattern: '^[0-9a-f]{128}$' },
    },
  } as never;
  (schema.$defs.tier as { properties: Record<string, unknown> }).properties.foto = { $ref: '#/$defs/datei', title: 'Foto' };
  writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema, null, 2));
  writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
  const formFile = join(root, 'forms', `${SERVICE}.form.json`);
  const form = JSON.parse(readFileSync(formFile, 'utf8')) as { steps: Array<{ fields: Array<{ fields?: unknown[] }> }> };
  form.steps[1]?.fields[0]?.fields?.push({ pointer: '/foto', kind: 'file', label: { de: 'Foto des Tiers', en: 'Photo of the pet' } });
  writeFileSync(formFile, JSON.stringify(form, null, 2));
}

/** What the service says happens after submitting: on the confirmation page and in the receipt. */
const NEXT_STEPS = [
  { de: 'Das Amt prüft Ihre Anmeldung innerhalb von zwei Wochen.', en: 'The office checks your registration within two weeks.' },
  { de: 'Sie erhalten danach einen Bescheid per Post.', en: 'You then receive a notice by post.' },
];

describe('applicant: authority, PDF receipt, keeping a draft', () => {
  let temp: TempRoot;
  let stack: TestStack;
  before(async () => {
    temp = copyProjectRoot();
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999003', tenants: [TENANT], routes: { '01': AUTHORITY.id }, minItems: 2, maxItems: 4 });
    // The authority is this test's own; it receives like the shipped Land's fallback office.
    const demo = JSON.parse(readFileSync(join(temp.root, 'routing', 'demo.json'), 'utf8')) as { directory: DirectoryEntry[] };
    const entry = demo.directory.find((e) => e.serviceKey === '*' && e.transport === 'webhook') as DirectoryEntry;
    const file = join(temp.root, 'routing', `${SERVICE}.json`);
    const routing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...routing, authorities: [AUTHORITY], directory: [{ ...entry, authorityId: AUTHORITY.id }] }, null, 2));
    await withPhotoField(temp.root);
    editJson(join(temp.root, 'services', SERVICE, 'service.json'), (doc) => { doc.nextSteps = NEXT_STEPS; });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root } });
  });
  after(async () => {
    await stack?.close();
    temp?.remove();
  });

  async function expectRedirect(b: Browser, res: { status: number; html: string; location?: string }, to: string): Promise<void> {
    assert.equal(res.status, 303, `expected a redirect to ${to}, got ${res.status}: ${extractErrors(res.html)}`);
    assert.equal(res.location, to);
    await b.get(to);
  }

  /** Starts, answers every step (two pets) and stops on the check page. */
  async function toCheck(b: Browser, query = ''): Promise<void> {
    await b.get(`/${TENANT}/${SERVICE}${query}`);
    await b.get((await b.submit({}, '/start')).location as string);
    await expectRedirect(b, await b.submit(HOLDER), `/${TENANT}/${SERVICE}/tiere`);
    const photo = { name: 'tiere.0.foto', filename: 'Impfpass Bello-Ärztin.pdf', type: 'application/pdf', content: pdfWith('Bello') };
    await expectRedirect(b, await b.submitMultipart(pet(1, 'Bello „der Große“'), [photo]), `/${TENANT}/${SERVICE}/tiere`);
    await expectRedirect(b, await b.submit({ aktion: 'hinzufuegen' }), `/${TENANT}/${SERVICE}/tiere/2`);
    await expectRedirect(b, await b.submit(pet(2, 'Minka')), `/${TENANT}/${SERVICE}/tiere`);
    await expectRedirect(b, await b.submit({}), `/${TENANT}/${SERVICE}/pruefen`);
  }

  function assertAuthority(html: string, lang: 'de' | 'en', where: string): void {
    const name = lang === 'en' ? AUTHORITY.nameEn : AUTHORITY.name;
    const block = /<div class="kern-description-list-item efa-authority">([\s\S]*?)<\/dd><\/div>/.exec(html)?.[1];
    assert.ok(block, `${where}: the authority is shown`);
    const text = decode(block);
    assert.ok(text.includes(uiTexts[lang].authority), `${where}: labelled "${uiTexts[lang].authority}"`);
    assert.ok(text.includes(name as string), `${where}: named ${name}`);
    if (lang === 'en') assert.ok(!text.includes(AUTHORITY.name), `${where}: the German name gives way to the English one`);
    for (const part of [AUTHORITY.address?.street, `${AUTHORITY.address?.postalCode} ${AUTHORITY.address?.city}`, AUTHORITY.contact?.phone, AUTHORITY.contact?.email, AUTHORITY.contact?.web]) {
      assert.ok(text.includes(part as string), `${where}: shows ${part}`);
    }
    assert.match(block, new RegExp(`href="mailto:${AUTHORITY.contact?.email}"`), `${where}: the e-mail address is a link`);
  }

  test('the authority on the check, confirmation and status pages; the receipt holds every answer of the check page', async () => {
    const b = new Browser(stack.url);
    await toCheck(b);
    assertAuthority(b.lastHtml, 'de', 'check page');
    const rows = checkRows(b.lastHtml);
    assert.ok(rows.length >= 4, `the check page lists the answers (found ${rows.length})`);
    assert.ok(rows.some((r) => r.value.includes('Bello „der Große“')), 'a group row with its lines is among them');
    assert.ok(rows.some((r) => r.value.includes('Impfpass Bello-Ärztin.pdf')), 'and the name of an uploaded file');

    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    await b.get(done.location as string);
    assertAuthority(b.lastHtml, 'de', 'confirmation page');
    const nextSteps = [...(/<ol class="[^"]*efa-next-steps">([\s\S]*?)<\/ol>/.exec(b.lastHtml)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    assert.deepEqual(nextSteps, NEXT_STEPS.map((l) => l.de), 'the confirmation page lists what happens next, in order');
    const reference = /class="efa-reference">([^<]+)</.exec(b.lastHtml)?.[1] as string;
    assert.ok(reference);
    const receiptHref = (RECEIPT.exec(b.lastHtml)?.[1] ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    assert.ok(receiptHref, 'the confirmation page links the receipt');
    const statusHref = /href="([^"]*\/status\/[^"/]+)"/.exec(b.lastHtml)?.[1] as string;
    await b.get(statusHref);
    assertAuthority(b.lastHtml, 'de', 'status page');
    const submittedOn = (await stack.rt.db.query<{ submitted_at: Date }>('SELECT submitted_at FROM submissions WHERE reference = $1', [reference])).rows[0]?.submitted_at as Date;
    assert.ok(b.lastHtml.includes(`<dd class="kern-description-list-item__value efa-submitted-at">${berlinDateTime(submittedOn, 'de')}</dd>`), 'the status page says when the application was received');
    assert.equal((RECEIPT.exec(b.lastHtml)?.[1] ?? '').replace(/&#x3D;/g, '='), receiptHref, 'the status page links the same receipt');

    const res = await fetchRaw(`${stack.url}${receiptHref}`);
    assert.equal(res.status, 200);
    assert.equal(res.type, 'application/pdf');
    assert.equal(res.disposition, `attachment; filename="Eingangsbestaetigung-${reference}.pdf"`);
    const pdf = await readPdf(res.body);
    const text = squeeze(pdf.text);
    assert.ok(text.includes(squeeze(reference)), 'the reference number');
    assert.ok(text.includes(squeeze(AUTHORITY.name)), 'the authority');
    assert.ok(text.includes(squeeze(AUTHORITY.address?.street as string)), "the authority's address");
    const landName = (JSON.parse(readFileSync(join(temp.root, 'tenants', `${TENANT}.json`), 'utf8')) as { name: { de: string } | string }).name;
    assert.ok(text.includes(squeeze(typeof landName === 'string' ? landName : landName.de)), "the Land's name");
    for (const row of rows) {
      assert.ok(text.includes(squeeze(row.label)), `the receipt names "${row.label}"`);
      assert.ok(text.includes(squeeze(row.value)), `the receipt shows "${row.value}" for "${row.label}"`);
    }
    const submittedAt = (await stack.rt.db.query<{ submitted_at: Date }>('SELECT submitted_at FROM submissions WHERE reference = $1', [reference])).rows[0]?.submitted_at as Date;
    assert.ok(text.includes(squeeze(berlinDateTime(submittedAt, 'de'))), 'the time of submission, in Berlin time');
    assert.equal(pdf.title, `${uiTexts.de.receipt} ${reference}`, 'the document title');
    assert.ok(pdf.marked, 'a tagged PDF');
    for (const role of ['H1', 'H2', 'P', 'Figure']) assert.ok(pdf.roles.has(role), `its structure has ${role} (has ${[...pdf.roles].join(', ')})`);
    assert.equal(pdf.language, 'de-DE', 'the document language');
    pdf.pages.forEach((page, i) => {
      assert.ok(squeeze(page).includes(squeeze(`${uiTexts.de.receipt} ${reference} · Seite ${i + 1} von ${pdf.pages.length}`)), `page ${i + 1} names the receipt, its reference and its number`);
    });
    for (const line of NEXT_STEPS) assert.ok(text.includes(squeeze(line.de)), `what happens next: "${line.de}"`);

    // Stored for the receipt: sealed, not in plain text.
    const copy = (await stack.rt.db.query<{ applicant_copy: Uint8Array }>('SELECT applicant_copy FROM submissions WHERE reference = $1', [reference])).rows[0]?.applicant_copy;
    assert.ok(copy && copy.length > 0);
    assert.doesNotMatch(Buffer.from(copy).toString('latin1'), /Bello|Minka|Holsten/, 'the applicant copy is encrypted at rest');
  });

  test('in English: the English name of the authority, and an English receipt', async () => {
    const b = new Browser(stack.url);
    await toCheck(b, '?lang=en');
    assertAuthority(b.lastHtml, 'en', 'check page (en)');
    const rows = checkRows(b.lastHtml);
    const done = await b.submit({}, '/absenden');
    await b.get(done.location as string);
    assertAuthority(b.lastHtml, 'en', 'confirmation page (en)');
    const receiptHref = (RECEIPT.exec(b.lastHtml)?.[1] ?? '').replace(/&#x3D;/g, '=');
    const res = await fetchRaw(`${stack.url}${receiptHref}`);
    assert.equal(res.status, 200);
    assert.match(res.disposition ?? '', /^attachment; filename="Receipt-[A-Z0-9-]+\.pdf"$/);
    const pdf = await readPdf(res.body);
    const text = squeeze(pdf.text);
    assert.ok(text.includes(squeeze(AUTHORITY.nameEn as string)));
    assert.ok(text.includes(squeeze(uiTexts.en.receiptAnswers)));
    for (const row of rows) assert.ok(text.includes(squeeze(row.label)) && text.includes(squeeze(row.value)), `the English receipt shows "${row.label}: ${row.value}"`);
    assert.equal(pdf.language, 'en-GB');
  });

  test('only the holder of the status link gets the receipt', async () => {
    const b = new Browser(stack.url);
    await toCheck(b);
    const done = await b.submit({}, '/absenden');
    const id = (done.location as string).split('/').pop() as string;
    const key = /\/status\/([A-Za-z0-9_-]{43})\//.exec(RECEIPT.exec((await b.get(done.location as string)).html)?.[1] ?? '')?.[1] as string;
    assert.ok(key, 'the receipt link carries the status key');
    const own = await fetchRaw(`${stack.url}/${TENANT}/status/${key}/eingangsbestaetigung.pdf`);
    assert.equal(own.status, 200);
    for (const path of [`/${TENANT}/status/${id}/eingangsbestaetigung.pdf`, `/${TENANT}/status/${randomUUID()}/eingangsbestaetigung.pdf`, `/${TENANT}/status/not-an-id/eingangsbestaetigung.pdf`, `/nw/status/${key}/eingangsbestaetigung.pdf`]) {
      const other = await fetchRaw(`${stack.url}${path}`);
      assert.equal(other.status, 404, `${path} is not found`);
      assert.notEqual(other.type, 'application/pdf');
    }
    // After the retention purge the receipt still confirms the submission, without the answers.
    await stack.rt.db.query('UPDATE submissions SET applicant_copy = NULL WHERE id = $1', [id]);
    const purged = await readPdf((await fetchRaw(`${stack.url}/${TENANT}/status/${key}/eingangsbestaetigung.pdf`)).body);
    assert.ok(squeeze(purged.text).includes(squeeze(uiTexts.de.receiptAnswersGone)));
    assert.ok(!purged.text.includes('Minka'));
  });

  /** An applicant who has answered the first step, and their draft's id. */
  async function startDraft(lang: 'de' | 'en'): Promise<{ b: Browser; draftId: string }> {
    const b = new Browser(stack.url);
    await b.get(`/${TENANT}/${SERVICE}?lang=${lang}`);
    await b.get((await b.submit({}, '/start')).location as string);
    await expectRedirect(b, await b.submit(HOLDER), `/${TENANT}/${SERVICE}/tiere`);
    return { b, draftId: decodeURIComponent(b.cookie(`efa_draft_${SERVICE}`) as string).split('.')[0] as string };
  }

  test('how long the draft is kept, and "save and continue later", in German and English, without JavaScript', async () => {
    for (const lang of ['de', 'en'] as const) {
      const ui = uiTexts[lang];
      const { b, draftId } = await startDraft(lang);
      const expiresAt = (await stack.rt.db.query<{ expires_at: Date }>('SELECT expires_at FROM drafts WHERE id = $1', [draftId])).rows[0]?.expires_at as Date;
      const keptUntil = berlinDateTime(expiresAt, lang);
      assert.ok(decode(b.lastHtml).includes(ui.draftKeptUntil.replace('{date}', keptUntil)), `${lang}: the step page says until when the answers are kept`);
      const saveHref = /<p class="kern-body efa-draft-expiry">[\s\S]*?href="([^"]+)"/.exec(b.lastHtml)?.[1] as string;
      assert.equal(saveHref, `/${TENANT}/${SERVICE}/speichern`);

      const saved = await b.get(saveHref);
      assert.equal(saved.status, 200);
      const text = decode(saved.html);
      assert.ok(text.includes(ui.saveTitle) && text.includes(ui.saveDone), `${lang}: the save page`);
      assert.ok(text.includes(keptUntil), `${lang}: the save page says until when`);
      assert.ok(text.includes(`${stack.url}/${TENANT}/${SERVICE}`), `${lang}: the address to come back to`);
      assert.doesNotMatch(saved.html, /<script/, 'no JavaScript needed');
      assert.doesNotMatch(saved.html, /name="email"/, 'no e-mail form while mail is off');
      assert.match(saved.html, new RegExp(`href="/${TENANT}/${SERVICE}/tiere"`), 'back to where the applicant stopped');

      // Coming back: the start page offers to continue, and the answers are there.
      const later = new Browser(stack.url);
      later.setCookie(`efa_draft_${SERVICE}`, b.cookie(`efa_draft_${SERVICE}`) as string);
      const start = await later.get(`/${TENANT}/${SERVICE}?lang=${lang}`);
      assert.ok(decode(start.html).includes(ui.resume));
      assert.match((await later.get(`/${TENANT}/${SERVICE}/halter`)).html, /value="Zoë Ørsted-Müller"/);
    }
  });

  test('an expired draft gets a page that says what happened and offers a fresh start', async () => {
    for (const lang of ['de', 'en'] as const) {
      const ui = uiTexts[lang];
      const { b, draftId } = await startDraft(lang);
      await stack.rt.db.query("UPDATE drafts SET expires_at = now() - interval '1 minute' WHERE id = $1", [draftId]);

      const gone = await b.get(`/${TENANT}/${SERVICE}/tiere`);
      assert.equal(gone.status, 410);
      const text = decode(gone.html);
      assert.ok(text.includes(ui.expiredTitle) && text.includes(ui.expired), `${lang}: titled, and what happened`);
      assert.ok(text.includes(ui.draftExpired.replace('{days}', String(stack.rt.config.draftTtlDays))), `${lang}: says how long drafts are kept`);
      assert.equal(b.cookie(`efa_draft_${SERVICE}`), undefined, 'the useless cookie is cleared');
      assert.doesNotMatch(gone.html, /<script/);

      // A fresh start from this page, as a plain form post.
      const fresh = await b.submit({}, '/start');
      assert.equal(fresh.status, 303);
      await b.get(fresh.location as string);
      assert.equal(b.lastStatus, 200);
      assert.doesNotMatch(b.lastHtml, /Zoë/, 'nothing of the expired answers');
    }
  });
});
