import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTypes, TYPES_FILE } from '../src/services/types-gen.js';
import { withoutStatusKey } from '../src/submissions/status-key.js';
import { RESUME_POSTS_PER_HOUR } from '../src/http/applicant/resume.js';
import { MAX_RESUME_MAILS } from '../src/submissions/resume-links.js';
import { Browser } from './support/browser.js';
import { extractErrors, follow } from './support/answers.js';
import { editJson } from './support/declarations.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { addPlaceService, KIEL } from './support/place-service.js';
import { startStack, type TestStack } from './support/runtime.js';
import { startTestSmtp, type TestSmtp } from './support/smtp.js';

/**
 * Mail to the applicant: "save and continue later" on another device (a link that opens the draft
 * in any browser, replaced by the next mail, bounded per draft) and the confirmation with the
 * status link after submitting; neither mail holds an answer. The test service asks for an
 * optional e-mail address on its first step.
 */
const SERVICE = 'platznutzung-weiter';
const NAME = 'Erika Geräteweitwechsler';
const ADDRESS = 'erika@example.test';
const LINK = new RegExp(`https?://[^\\s]+/sh/${SERVICE}/fortsetzen/[A-Za-z0-9_-]{43}`);

describe('mail to the applicant: save and continue later, the confirmation', () => {
  let temp: TempRoot;
  let stack: TestStack;
  let smtp: TestSmtp;
  before(async () => {
    temp = copyProjectRoot('efa-resume-');
    await addPlaceService(temp.root, { id: SERVICE, leikaKey: '99999999999106' });
    const dir = join(temp.root, 'services', SERVICE);
    editJson(join(dir, 'schema.json'), (doc) => {
      (doc.properties as Record<string, unknown>).kontakt = { title: 'E-Mail-Adresse', type: 'string', format: 'email', maxLength: 254 };
    });
    writeFileSync(join(dir, TYPES_FILE), await generateTypes(dir));
    editJson(join(temp.root, 'forms', `${SERVICE}.form.json`), (doc) => {
      (doc.steps as Array<{ fields: unknown[] }>)[0]?.fields.push({ pointer: '/kontakt', kind: 'email' });
    });
    smtp = await startTestSmtp();
    // Behind one proxy (the test client): X-Forwarded-For names the client, and X-Forwarded-Host must still never name a mail's link.
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, EFA_TRUST_PROXY: '1', ...smtp.env } });
  });
  after(async () => {
    await stack?.close();
    await smtp?.close();
    temp?.remove();
  });

  async function savedDraft(): Promise<Browser> {
    const b = new Browser(stack.url);
    await b.get(`/sh/${SERVICE}`);
    await follow(b, await b.submit({}, '/start'), 'start');
    await follow(b, await b.submit({ name: NAME, 'anschrift.strasse': KIEL.strasse, 'anschrift.hausnummer': KIEL.hausnummer, 'anschrift.plz': KIEL.plz, 'anschrift.ort': KIEL.ort }), 'place');
    const page = await b.get(`/sh/${SERVICE}/speichern`);
    assert.equal(page.status, 200);
    return b;
  }

  async function mailLink(b: Browser, address: string): Promise<string> {
    const before = smtp.to(address).length;
    const res = await b.submit({ email: address }, '/speichern');
    assert.equal(res.status, 200, extractErrors(res.html));
    assert.match(res.html, /class="kern-alert kern-alert--success efa-resume-sent"/);
    const mail = await smtp.waitFor(address, () => smtp.to(address).length > before);
    const all = smtp.to(address);
    return LINK.exec((all[all.length - 1] ?? mail).text)?.[0] as string;
  }

  test('the link opens the draft in another browser, where the applicant stopped; the mail holds no answer', async () => {
    const b = await savedDraft();
    assert.match(b.lastHtml, /<input[^>]+id="f-resume-email"[^>]+type="email"/);
    const link = await mailLink(b, ADDRESS);
    assert.ok(link, 'the mail carries the link');
    const mail = smtp.to(ADDRESS)[0];
    assert.match(mail?.subject ?? '', /Link zum Weitermachen/);
    for (const answer of [NAME, KIEL.strasse, KIEL.plz]) assert.ok(!(mail?.text ?? '').includes(answer), `the mail does not contain "${answer}"`);

    const other = new Browser(stack.url);
    const path = new URL(link).pathname;
    const opened = await other.get(path);
    assert.equal(opened.status, 303);
    assert.equal(opened.location, `/sh/${SERVICE}/zeitraum`, 'on where the applicant stopped');
    await other.get(`/sh/${SERVICE}/ort`);
    assert.match(other.lastHtml, new RegExp(`value="${NAME}"`), 'the answers are there in the other browser');
    assert.equal(withoutStatusKey(path), `/sh/${SERVICE}/fortsetzen/[key]`, 'the request log never names the secret');
  });

  test('a new mail replaces the link; the number of mails per draft is bounded', async () => {
    const b = await savedDraft();
    const first = await mailLink(b, ADDRESS);
    const second = await mailLink(b, ADDRESS);
    assert.notEqual(first, second);
    assert.equal((await new Browser(stack.url).get(new URL(first).pathname)).status, 404, 'the replaced link no longer works');
    assert.equal((await new Browser(stack.url).get(new URL(second).pathname)).status, 303);
    for (let i = 2; i < MAX_RESUME_MAILS; i++) await mailLink(b, ADDRESS);
    const refused = await b.submit({ email: ADDRESS }, '/speichern');
    assert.equal(refused.status, 429);
    assert.match(extractErrors(refused.html), /schon mehrere Links geschickt/);
  });

  test('a forwarded host never makes the links in the mails: the resume link and the status link use the Host that picked the tenant', async () => {
    const b = await savedDraft();
    b.extraHeaders = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'javascript' };
    const link = await mailLink(b, 'umgeleitet@example.test');
    assert.ok(link, 'the mail carries the link');
    assert.equal(new URL(link).host, new URL(stack.url).host, 'the link names the portal\'s own host');
    assert.equal(new URL(link).protocol, 'https:', 'a forwarded protocol other than http gives https, never another scheme');
    assert.ok(!smtp.to('umgeleitet@example.test').some((m) => m.text.includes('evil.example')));

    const c = new Browser(stack.url);
    c.extraHeaders = b.extraHeaders;
    await c.get(`/sh/${SERVICE}`);
    await follow(c, await c.submit({}, '/start'), 'start');
    await follow(c, await c.submit({ name: NAME, kontakt: 'umgeleitet-2@example.test', 'anschrift.strasse': KIEL.strasse, 'anschrift.hausnummer': KIEL.hausnummer, 'anschrift.plz': KIEL.plz, 'anschrift.ort': KIEL.ort }), 'place');
    await follow(c, await c.submit({ 'zeitraum.von.day': '1', 'zeitraum.von.month': '3', 'zeitraum.von.year': '2027', 'zeitraum.bis.day': '5', 'zeitraum.bis.month': '3', 'zeitraum.bis.year': '2027' }), 'period');
    const done = await c.submit({ bestaetigung_mail: 'ja' }, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const mail = await smtp.waitFor('umgeleitet-2@example.test');
    assert.ok(!mail.text.includes('evil.example'), 'the confirmation\'s status link names no forwarded host');
    assert.ok(mail.text.includes(`https://${new URL(stack.url).host}/sh/status/`), 'the status link names the portal\'s own host');
  });

  test('the mail form takes a bounded number of posts per client address and hour', async () => {
    const b = await savedDraft();
    b.extraHeaders = { 'x-forwarded-for': '203.0.113.77' };
    for (let i = 0; i < RESUME_POSTS_PER_HOUR; i++) assert.equal((await b.submit({ email: 'unbekannt' }, '/speichern')).status, 400, `post ${i + 1}`);
    const refused = await b.submit({ email: ADDRESS }, '/speichern');
    assert.equal(refused.status, 429, 'past the bound the form is refused for this address, even with a good address');
    const other = await savedDraft();
    other.extraHeaders = { 'x-forwarded-for': '203.0.113.78' };
    assert.equal((await other.submit({ email: 'unbekannt' }, '/speichern')).status, 400, 'another address is not affected');
  });

  test('a missing or malformed address is refused with the field named; a made-up link gets a page, not a draft', async () => {
    const b = await savedDraft();
    const empty = await b.submit({ email: '' }, '/speichern');
    assert.equal(empty.status, 400);
    assert.match(extractErrors(empty.html), /Geben Sie Ihre E-Mail-Adresse ein/);
    assert.match(empty.html, /href="#f-resume-email"/, 'the error summary links the field');
    for (const bad of ['erika', 'a@b', 'x@example.test\r\nBcc: y@example.test', 'a, b@example.test']) {
      const res = await b.submit({ email: bad }, '/speichern');
      assert.equal(res.status, 400, bad);
      assert.match(extractErrors(res.html), /name@beispiel\.de/);
    }
    assert.equal(smtp.to('y@example.test').length, 0, 'no header injection');
    const forged = await new Browser(stack.url).get(`/sh/${SERVICE}/fortsetzen/${'A'.repeat(43)}`);
    assert.equal(forged.status, 404);
    assert.match(forged.html, /Dieser Link gilt nicht mehr/);
  });

  test('the confirmation goes to the address given in the form, with the reference and the status link, when the box stays ticked', async () => {
    const submitWith = async (address: string, tick: boolean): Promise<string> => {
      const b = new Browser(stack.url);
      await b.get(`/sh/${SERVICE}`);
      await follow(b, await b.submit({}, '/start'), 'start');
      await follow(b, await b.submit({ name: NAME, kontakt: address, 'anschrift.strasse': KIEL.strasse, 'anschrift.hausnummer': KIEL.hausnummer, 'anschrift.plz': KIEL.plz, 'anschrift.ort': KIEL.ort }), 'place');
      await follow(b, await b.submit({ 'zeitraum.von.day': '1', 'zeitraum.von.month': '3', 'zeitraum.von.year': '2027', 'zeitraum.bis.day': '5', 'zeitraum.bis.month': '3', 'zeitraum.bis.year': '2027' }), 'period');
      assert.match(b.lastHtml, new RegExp(`<input[^>]+name="bestaetigung_mail" value="ja" checked>\\s*<label[^>]*>Eingangsbestätigung mit dem Link zum Bearbeitungsstand an ${address.replace('.', '\\.')} senden`));
      const done = await b.submit(tick ? { bestaetigung_mail: 'ja' } : {}, '/absenden');
      assert.equal(done.status, 303, extractErrors(done.html));
      await b.get(done.location as string);
      return /class="efa-reference">([^<]+)</.exec(b.lastHtml)?.[1] as string;
    };
    const reference = await submitWith('bestaetigt@example.test', true);
    const mail = await smtp.waitFor('bestaetigt@example.test');
    assert.ok(mail.subject.includes(reference), 'the subject names the reference');
    const statusLink = new RegExp(`https?://[^\\s]+/sh/status/[A-Za-z0-9_-]{43}`).exec(mail.text)?.[0] as string;
    assert.ok(statusLink, 'the mail carries the status link');
    const status = await new Browser(stack.url).get(new URL(statusLink).pathname);
    assert.equal(status.status, 200, 'the link opens the status page in any browser');
    assert.ok(status.html.includes(reference));
    for (const answer of [NAME, KIEL.strasse]) assert.ok(!mail.text.includes(answer), `the mail does not contain "${answer}"`);

    await submitWith('ohne-mail@example.test', false);
    await submitWith('bestaetigt-2@example.test', true);
    await smtp.waitFor('bestaetigt-2@example.test');
    assert.equal(smtp.to('ohne-mail@example.test').length, 0, 'an unticked box sends nothing');
  });
});
