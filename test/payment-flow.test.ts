import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPaymentSimulator, DEMO_PAYMENT } from '../src/demo/payment-provider.js';
import type { DirectoryEntry } from '../src/transports/types.js';
import { Browser } from './support/browser.js';
import { extractErrors } from './support/answers.js';
import { copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { waitUntil } from './support/delivery-stack.js';
import { addPayingService, usePaymentProvider } from './support/payment-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * Paying the fee over real HTTP against the local XBezahldienste simulator: a test service whose
 * fee must be paid before submitting, and one whose fee is asked for after the decision.
 */
const TENANT = 'sh';
const REQUIRED = 'gebuehrvorab';
const LATER = 'gebuehrspaeter';
const SECRET_ENV = 'EFA_TEST_PAYMENT_SECRET';
const KIEL = { plz: '24103', ort: 'Kiel', ars: '01002' };

interface Paying { b: Browser; returnUrl: string; transactionId: string; status: number; html: string }

describe('paying the fee against the local XBezahldienste simulator', () => {
  let temp: TempRoot;
  let sim: Awaited<ReturnType<typeof startPaymentSimulator>>;
  let stack: TestStack;

  before(async () => {
    sim = await startPaymentSimulator();
    temp = copyProjectRoot('efa-payment-');
    const demo = JSON.parse(readFileSync(join(temp.root, 'routing', 'demo.json'), 'utf8')) as { directory: DirectoryEntry[] };
    const fitConnect = demo.directory.find((e) => e.serviceKey === '*' && e.transport === 'fit-connect') as DirectoryEntry;
    await addPayingService(temp.root, { id: REQUIRED, leikaKey: '99999999999041', tenant: TENANT, routes: { [KIEL.ars]: fitConnect.authorityId }, policy: 'before-submit' });
    await addPayingService(temp.root, { id: LATER, leikaKey: '99999999999042', tenant: TENANT, routes: { [KIEL.ars]: fitConnect.authorityId }, policy: 'after-decision' });
    usePaymentProvider(temp.root, TENANT, sim.url, SECRET_ENV);
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, [SECRET_ENV]: DEMO_PAYMENT.secret } });
  });
  after(async () => {
    await stack?.close();
    await sim?.close();
    temp?.remove();
  });

  async function expectRedirect(b: Browser, res: { status: number; html: string; location?: string }, to: string): Promise<void> {
    assert.equal(res.status, 303, `expected a redirect to ${to}, got ${res.status}: ${extractErrors(res.html)}`);
    assert.equal(res.location, to);
    await b.get(to);
  }

  /** A complete application of two pets (fee 25 EUR), standing on its check page. */
  async function applicant(service = REQUIRED): Promise<Browser> {
    const b = new Browser(stack.url);
    await b.get(`/${TENANT}/${service}`);
    await b.get((await b.submit({}, '/start')).location as string);
    await expectRedirect(b, await b.submit({ 'halter.name': 'Erika Mustermann', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': KIEL.plz, 'halter.anschrift.ort': KIEL.ort }), `/${TENANT}/${service}/tiere`);
    for (const [i, name] of ['Bello', 'Minka'].entries()) {
      const row = { [`tiere.${i}.name`]: name, [`tiere.${i}.art`]: i === 0 ? 'hund' : 'katze', [`tiere.${i}.geburtsdatum.day`]: '1', [`tiere.${i}.geburtsdatum.month`]: '5', [`tiere.${i}.geburtsdatum.year`]: '2020', [`tiere.${i}.gechippt`]: 'nein' };
      if (i > 0) await b.get(`/${TENANT}/${service}/tiere/${i + 1}`);
      await expectRedirect(b, await b.submit(row), `/${TENANT}/${service}/tiere`);
    }
    await expectRedirect(b, await b.submit({}), `/${TENANT}/${service}/pruefen`);
    return b;
  }

  /** "Pay now" on the check page, then `choice` on the provider's page; the browser comes back to our return page. */
  async function pay(b: Browser, choice: 'bezahlt' | 'fehlgeschlagen' | 'abgebrochen' | 'zeitueberschreitung', before?: (transactionId: string) => void): Promise<Paying> {
    await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    const started = await b.submit({}, '/bezahlen');
    assert.equal(started.status, 303, extractErrors(started.html));
    const payPage = new URL(started.location as string);
    assert.equal(payPage.origin, sim.url, 'the applicant goes to the provider\'s payment page');
    const transactionId = payPage.pathname.split('/').pop() as string;
    const provider = new Browser(sim.url);
    const page = await provider.get(payPage.pathname);
    assert.match(page.html, /25,00/, 'the provider charges the fee the service computed');
    before?.(transactionId);
    const chosen = await provider.submit({}, `/${choice}`);
    const stored = await stack.rt.db.query<{ id: string }>('SELECT id FROM payments WHERE transaction_id = $1', [transactionId]);
    const returnUrl = `/${TENANT}/${REQUIRED}/bezahlen/rueckkehr?zahlung=${stored.rows[0]?.id}`;
    if (choice === 'zeitueberschreitung') {
      assert.equal(chosen.status, 200);
      assert.match(chosen.html, /Zeit für die Zahlung ist abgelaufen/);
      const back = await b.get(returnUrl);
      return { b, returnUrl, transactionId, ...back };
    }
    assert.equal(chosen.status, 303);
    const back = new URL(chosen.location as string);
    assert.equal(back.origin, stack.url, 'the provider sends the applicant back to the runtime');
    assert.equal(back.pathname + back.search, returnUrl);
    const res = await b.get(back.pathname + back.search);
    return { b, returnUrl, transactionId, ...res };
  }

  const csrfOf = (html: string) => /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const stateOf = async (transactionId: string) => (await stack.rt.db.query<{ status: string; submission_id: string | null; settled_at: Date | null }>('SELECT status, submission_id, settled_at FROM payments WHERE transaction_id = $1', [transactionId])).rows[0];

  test('a required payment blocks submit until paid; once paid the application goes out with its payment', async () => {
    const b = await applicant();
    const check = await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    assert.match(check.html, /25,00\s*€/);
    assert.match(check.html, /erst absenden, wenn die Gebühr bezahlt ist/);
    assert.doesNotMatch(check.html, /action="[^"]*\/absenden"/, 'no submit button while the fee is open');
    const refused = await b.post(`/${TENANT}/${REQUIRED}/absenden`, new URLSearchParams({ _csrf: csrfOf(check.html) }).toString());
    assert.equal(refused.status, 409);
    assert.match(refused.html, /Bitte bezahlen Sie zuerst die Gebühr/);
    assert.equal((await stack.rt.db.query(`SELECT 1 FROM submissions WHERE service_id = $1`, [REQUIRED])).rows.length, 0, 'nothing submitted');

    const paid = await pay(b, 'bezahlt');
    assert.equal(paid.status, 200);
    assert.match(paid.html, /Zahlung erfolgreich/);
    assert.equal(sim.simulator.charges(paid.transactionId), 1);
    const ready = await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    assert.match(ready.html, /Die Gebühr von 25,00\s*€ ist bezahlt/);
    assert.ok(ready.html.includes(paid.transactionId), 'the check page names the transaction');
    const done = await b.submit({}, '/absenden');
    assert.equal(done.status, 303, extractErrors(done.html));
    const submissionId = (done.location as string).split('/').pop() as string;
    assert.equal((await stateOf(paid.transactionId))?.submission_id, submissionId, 'the payment is bound to the submission');
    const paidCount = await stack.rt.db.query<{ n: string }>("SELECT coalesce(sum(n), 0) AS n FROM figure_counts WHERE kind = 'paid' AND tenant = $1", [TENANT]);
    assert.equal(Number(paidCount.rows[0]?.n), 1, 'the open figures count one paid submission');
    const confirmation = await b.get(done.location as string);
    assert.match(confirmation.html, new RegExp(`Gebühr online bezahlt</dt><dd[^>]*>25,00\\s*€ \\(Transaktionsnummer des Bezahldienstes: ${paid.transactionId}\\)`));

    let received: ReturnType<typeof stack.inbox.get>;
    await waitUntil(() => Boolean(received = stack.inbox.get(submissionId)), 30_000, 'the submission at the receiver');
    const doc = JSON.parse(received?.document as string) as { meta: { payment: Record<string, unknown> } };
    assert.deepEqual({ status: doc.meta.payment.status, policy: doc.meta.payment.policy, transactionId: doc.meta.payment.transactionId, amountCents: doc.meta.payment.amountCents },
      { status: 'BOOKED', policy: 'before-submit', transactionId: paid.transactionId, amountCents: 2500 });
    const fit = (received?.metadata as { fitConnectMetadata?: { paymentInformation?: Record<string, unknown> } }).fitConnectMetadata;
    assert.equal(fit?.paymentInformation?.transactionId, paid.transactionId, 'FIT-Connect metadata carries paymentInformation');
    assert.equal(fit?.paymentInformation?.status, 'BOOKED');
    assert.equal(fit?.paymentInformation?.paymentMethod, 'CREDITCARD');
  });

  test('a failed and a cancelled payment give their pages, keep the draft, and the applicant can pay again', async () => {
    const b = await applicant();
    const failed = await pay(b, 'fehlgeschlagen');
    assert.equal(failed.status, 200);
    assert.match(failed.html, /Zahlung fehlgeschlagen/);
    assert.match(failed.html, /nichts abgebucht/);
    assert.equal((await stateOf(failed.transactionId))?.status, 'failed');
    const check = await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    assert.match(check.html, /Bello/, 'the draft is kept');
    assert.match(check.html, /letzte Zahlung ist fehlgeschlagen/);
    const canceled = await pay(b, 'abgebrochen');
    assert.match(canceled.html, /Zahlung abgebrochen/);
    assert.equal((await stateOf(canceled.transactionId))?.status, 'canceled');
    const english = await b.get(`${canceled.returnUrl}&lang=en`);
    assert.match(english.html, /Payment cancelled/);
    const again = await pay(b, 'bezahlt');
    assert.match(again.html, /Payment successful/, 'the language chosen stays');
    assert.equal(sim.simulator.charges(failed.transactionId) + sim.simulator.charges(canceled.transactionId), 0, 'nothing was charged for the failed and cancelled attempts');
  });

  test('a payment left to time out says so once its time is up, and submit stays blocked', async () => {
    const b = await applicant();
    const open = await pay(b, 'zeitueberschreitung');
    assert.equal(open.status, 202);
    assert.match(open.html, /noch nicht abgeschlossen/);
    // The runtime's deadline passes (EFA_PAYMENT_TIMEOUT_MINUTES): moved into the past here instead of waiting.
    await stack.rt.db.query(`UPDATE payments SET expires_at = now() - interval '1 minute' WHERE transaction_id = $1`, [open.transactionId]);
    const late = await b.get(open.returnUrl);
    assert.equal(late.status, 200);
    assert.match(late.html, /Zeit für die Zahlung abgelaufen/);
    assert.equal((await stateOf(open.transactionId))?.status, 'timeout');
    const check = await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    assert.match(check.html, /nicht rechtzeitig abgeschlossen/);
    assert.doesNotMatch(check.html, /action="[^"]*\/absenden"/);
  });

  test('a forged return changes nothing: the state is asked of the provider, and another draft\'s payment is not found', async () => {
    const b = await applicant();
    await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    const started = await b.submit({}, '/bezahlen');
    const transactionId = new URL(started.location as string).pathname.split('/').pop() as string;
    const { rows } = await stack.rt.db.query<{ id: string }>('SELECT id FROM payments WHERE transaction_id = $1', [transactionId]);
    const returnUrl = `/${TENANT}/${REQUIRED}/bezahlen/rueckkehr?zahlung=${rows[0]?.id}`;
    await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    const again = await b.submit({}, '/bezahlen');
    assert.equal(again.location, started.location, '"pay now" again goes back to the open transaction');
    const queries = sim.simulator.statusQueries;
    const forged = await b.get(`${returnUrl}&status=BOOKED&paymentInformation.status=BOOKED`);
    assert.equal(forged.status, 202, 'the provider says INITIAL, whatever the address claims');
    assert.ok(sim.simulator.statusQueries > queries, 'the runtime asked the provider');
    assert.equal((await stateOf(transactionId))?.status, 'initial');
    assert.equal((await b.get(`/${TENANT}/${REQUIRED}/bezahlen/rueckkehr?zahlung=00000000-0000-4000-8000-000000000000`)).status, 404);
    assert.equal((await b.get(`/${TENANT}/${REQUIRED}/bezahlen/rueckkehr?zahlung=<script>`)).status, 404);
    const stranger = await applicant();
    const foreign = await stranger.get(returnUrl);
    assert.equal(foreign.status, 404, 'another draft cannot use this payment');
    assert.match(foreign.html, /Zahlung nicht gefunden/);
    const noCsrf = await b.post(`/${TENANT}/${REQUIRED}/bezahlen`, '');
    assert.equal(noCsrf.status, 403, 'pay now needs the CSRF token');
    assert.ok(noCsrf.html.includes(`href="/${TENANT}/${REQUIRED}/pruefen"`), 'the refusal leads back to the check page');
  });

  test('a replayed return makes no second charge and no second state change', async () => {
    const b = await applicant();
    const paid = await pay(b, 'bezahlt');
    const first = await stateOf(paid.transactionId);
    const replay = await b.get(paid.returnUrl);
    assert.equal(replay.status, 200);
    assert.match(replay.html, /Zahlung erfolgreich/);
    const provider = new Browser(sim.url);
    await provider.get(`/pay/${paid.transactionId}`);
    assert.match(provider.lastHtml, /bereits abgeschlossen/);
    assert.equal(sim.simulator.charges(paid.transactionId), 1);
    assert.deepEqual(await stateOf(paid.transactionId), first, 'settled once');
    await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    const count = async () => Number((await stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM payments')).rows[0]?.n);
    const before = await count();
    const again = await b.post(`/${TENANT}/${REQUIRED}/bezahlen`, new URLSearchParams({ _csrf: csrfOf(b.lastHtml) }).toString());
    assert.equal(again.status, 303);
    assert.equal(again.location, `/${TENANT}/${REQUIRED}/pruefen`, 'a paid fee opens no second transaction');
    assert.equal(await count(), before);
  });

  test('"pay now" pressed twice at once (a double click, two tabs) opens one transaction, and both go to its page', async () => {
    const b = await applicant();
    const body = new URLSearchParams({ _csrf: csrfOf(b.lastHtml) }).toString();
    const presses = await Promise.all([b.post(`/${TENANT}/${REQUIRED}/bezahlen`, body), b.post(`/${TENANT}/${REQUIRED}/bezahlen`, body), b.post(`/${TENANT}/${REQUIRED}/bezahlen`, body)]);
    assert.deepEqual(presses.map((r) => r.status), [303, 303, 303]);
    assert.equal(new Set(presses.map((r) => r.location)).size, 1, 'every press leads to the same payment page');
    const transactionId = new URL(presses[0]?.location as string).pathname.split('/').pop() as string;
    const { rows } = await stack.rt.db.query<{ transaction_id: string }>('SELECT p.transaction_id FROM payments p JOIN payments q ON q.draft_id = p.draft_id WHERE q.transaction_id = $1', [transactionId]);
    assert.deepEqual(rows.map((r) => r.transaction_id), [transactionId], 'one transaction for the draft');
  });

  test('a provider answer with another amount is refused and the fee stays open', async () => {
    const b = await applicant();
    const tampered = await pay(b, 'bezahlt', (transactionId) => sim.simulator.changeAmount(transactionId, 100));
    assert.equal(tampered.status, 409);
    assert.match(tampered.html, /Zahlung nicht anerkannt/);
    assert.equal((await stateOf(tampered.transactionId))?.status, 'initial');
    const check = await b.get(`/${TENANT}/${REQUIRED}/pruefen`);
    assert.doesNotMatch(check.html, /action="[^"]*\/absenden"/, 'submit stays blocked');
  });

  test('reconciliation lists paid drafts without a submission and submissions whose fee is not paid, for operators only', async () => {
    const b = await applicant();
    const paid = await pay(b, 'bezahlt');
    const later = await applicant(LATER);
    const check = await later.get(`/${TENANT}/${LATER}/pruefen`);
    assert.match(check.html, /erst, wenn die zuständige Stelle über Ihren Antrag entschieden hat/);
    const done = await later.submit({}, '/absenden');
    assert.equal(done.status, 303);
    const submissionId = (done.location as string).split('/').pop() as string;
    const path = '/_efa/admin/payments/reconciliation';
    assert.equal((await fetch(`${stack.url}${path}`)).status, 401);
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const tokenRes = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=deliveries:read' });
    const narrow = ((await tokenRes.json()) as { access_token: string }).access_token;
    assert.equal((await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${narrow}` } })).status, 403, 'another scope is not enough');
    const full = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=payments:read' });
    const token = ((await full.json()) as { access_token: string }).access_token;
    const res = await fetch(`${stack.url}${path}?tenant=${TENANT}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const body = await res.json() as { paymentsWithoutSubmission: Array<{ transactionId: string; amountCents: number }>; submissionsWithoutPayment: Array<{ id: string; paymentPolicy: string; feeCents: number }> };
    assert.ok(body.paymentsWithoutSubmission.some((p) => p.transactionId === paid.transactionId && p.amountCents === 2500));
    assert.ok(body.submissionsWithoutPayment.some((s) => s.id === submissionId && s.paymentPolicy === 'after-decision' && s.feeCents === 2500));
    assert.doesNotMatch(JSON.stringify(body), /Erika|Mustermann|Holstenstraße|Bello/, 'no personal data');
    assert.equal((await fetch(`${stack.url}${path}?tenant=x'1`, { headers: { authorization: `Bearer ${token}` } })).status, 400);
  });
});
