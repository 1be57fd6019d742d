import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { hashSecret, newSecret, type ApiClient } from '../src/auth/clients.js';
import { readJsonFile } from '../src/core/declarations.js';
import { decryptWith, sha512Hex } from '../src/crypto/jwe.js';
import { decodeUtf8, signJson } from '../src/crypto/jws.js';
import { generateSigningKeyPair } from '../src/crypto/keys.js';
import { EVENT_ACCEPT, EVENT_REJECT } from '../src/transports/fit-connect.js';
import { applyOverHttp } from './support/apply.js';
import { startStack, type TestStack } from './support/runtime.js';

const BONN = { strasse: 'Markt', plz: '53111', ort: 'Bonn' };
const KIEL = { strasse: 'Holstenstraße', plz: '24103', ort: 'Kiel' };
const API = '/_efa/api/v1';
/** The demo pull authority's private keys: the authority's side, which the runtime never holds. */
const bonnKeys = readJsonFile(join('routing', 'demo-private', 'bundesstadt-bonn.json')) as { decryptionKey: JWK; signingKey: JWK };

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

describe('authority pull API: a pull authority lists, fetches, decrypts and decides', () => {
  let stack: TestStack;
  let bonnToken: string;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    const bonn = stack.pullCredentials.find((c) => c.authorityId === 'bundesstadt-bonn');
    assert.ok(bonn, 'the demo directory has a pull authority with a generated client');
    bonnToken = await token(bonn.clientId, bonn.clientSecret);
  });
  after(async () => stack.close());

  async function token(clientId: string, secret: string): Promise<string> {
    const res = await fetch(`${stack.url}/_efa/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { access_token: string }).access_token;
  }

  /** A client added the way EFA_API_CLIENTS would add it. */
  async function clientToken(client: Omit<ApiClient, 'secretSha256'>): Promise<string> {
    const secret = newSecret();
    stack.rt.apiClients.set(client.id, { ...client, secretSha256: hashSecret(secret) });
    return token(client.id, secret);
  }

  async function call<T = Record<string, unknown>>(method: string, path: string, opts: { token?: string; body?: string; type?: string } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.type) headers['content-type'] = opts.type;
    const res = await fetch(`${stack.url}${path}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
  }

  const event = (id: string, body: unknown, t = bonnToken) => call(`POST`, `${API}/submissions/${id}/events`, { token: t, type: 'application/json', body: JSON.stringify(body) });

  /** The status page as anyone holding the confirmation's status link sees it (no cookie). */
  const statusLinks = new Map<string, string>();
  async function apply(...args: Parameters<typeof applyOverHttp>): ReturnType<typeof applyOverHttp> {
    const submitted = await applyOverHttp(...args);
    statusLinks.set(submitted.id, submitted.statusHref);
    return submitted;
  }
  async function statusPage(id: string, lang: 'de' | 'en'): Promise<string> {
    const res = await fetch(`${stack.url}${statusLinks.get(id) as string}?lang=${lang}`);
    assert.equal(res.status, 200);
    return res.text();
  }

  async function attempts(id: string): Promise<Array<{ transport: string; outcome: string; address: string; receipt: { receiverReference?: string } }>> {
    return (await stack.rt.db.query<{ transport: string; outcome: string; address: string; receipt: { receiverReference?: string } }>('SELECT transport, outcome, address, receipt FROM delivery_attempts WHERE submission_id = $1 ORDER BY attempt', [id])).rows;
  }

  async function signedEvent(id: string, name: string, details: Record<string, unknown>, key: JWK = bonnKeys.signingKey): Promise<string> {
    return signJson(key, { iss: 'bundesstadt-bonn', iat: Math.floor(Date.now() / 1000), jti: randomUUID(), sub: `submission:${id}`, txn: `case:${id}`, events: { [name]: details } }, 'secevent+jwt');
  }

  test('a full application to Bonn: waits unpushed, is listed, fetched, decrypted with the authority key, accepted; the status page says so in German and English', async () => {
    const { id, reference } = await apply(stack.url, 'nw', BONN);
    await stack.rt.delivery?.drain();
    const outbox = await stack.rt.db.query('SELECT 1 FROM outbox WHERE submission_id = $1', [id]);
    assert.equal(outbox.rows.length, 0, 'a pull submission is not queued for pushing');
    assert.equal(stack.inbox.get(id), undefined, 'and nothing was pushed to any receiver');
    const waiting = await statusPage(id, 'de');
    assert.match(waiting, /data-status="submitted">Eingegangen, die zuständige Stelle holt ihn ab</);
    assert.match(waiting, /bis die zuständige Stelle ihn abruft/);

    const list = await call<{ totalCount: number; count: number; submissions: Array<Record<string, unknown>> }>('GET', `${API}/submissions`, { token: bonnToken });
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('cache-control'), 'no-store');
    const listed = list.body.submissions.find((s) => s.submissionId === id);
    assert.deepEqual(listed, {
      submissionId: id, destinationId: 'bundesstadt-bonn', caseId: id, reference, submittedAt: listed?.submittedAt, status: 'submitted',
      serviceType: { name: 'Gewerbeanmeldung', identifier: 'urn:de:fim:leika:leistung:99050012104000' },
    });

    const fetched = await call<{ encryptedData: string; status: string; reference: string; data: { mediaType: string; hash: { type: string; content: string } } }>('GET', `${API}/submissions/${id}`, { token: bonnToken });
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.status, 'delivered', 'the first fetch is the delivery');
    assert.equal(fetched.body.reference, reference);
    // The authority's side: only its private key opens the data, and the hash proves it is complete.
    const plaintext = decodeUtf8((await decryptWith(bonnKeys.decryptionKey, fetched.body.encryptedData)).plaintext);
    assert.equal(sha512Hex(plaintext), fetched.body.data.hash.content);
    assert.equal(fetched.body.data.mediaType, 'application/json');
    const doc = JSON.parse(plaintext) as { meta: { reference: string; submissionId: string }; data: { betrieb: { name: string; anschrift: { ars: string } } } };
    assert.equal(doc.meta.reference, reference);
    assert.equal(doc.meta.submissionId, id);
    assert.equal(doc.data.betrieb.name, 'Kiosk am Markt');
    assert.equal(doc.data.betrieb.anschrift.ars, '053140000000');

    const stored = await stack.rt.db.query<{ status: string; payload_jwe: string }>('SELECT status, payload_jwe FROM submissions WHERE id = $1', [id]);
    assert.equal(stored.rows[0]?.status, 'delivered');
    assert.doesNotMatch(stored.rows[0]?.payload_jwe ?? '', /Kiosk am Markt/, 'no plaintext in the central database');
    const recorded = await attempts(id);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]?.transport, 'pull', 'the operator sees the pickup as a delivery over "pull"');
    assert.equal(recorded[0]?.outcome, 'delivered');
    assert.equal(recorded[0]?.receipt.receiverReference, 'bundesstadt-bonn-pull', 'and which client fetched it');
    assert.match(await statusPage(id, 'de'), /data-status="delivered"/);

    assert.equal((await call('GET', `${API}/submissions/${id}`, { token: bonnToken })).status, 200);
    assert.equal((await attempts(id)).length, 1, 'fetching again is no second delivery');

    const accepted = await event(id, { event: 'accept-submission' });
    assert.equal(accepted.status, 201);
    assert.equal(accepted.body.status, 'accepted');
    assert.equal(accepted.body.signed, false);
    const again = await event(id, { event: 'accept-submission' });
    assert.equal(again.status, 200, 'the same decision again is answered, not recorded twice');
    assert.equal(again.body.repeated, true);
    assert.equal(again.body.decidedAt, accepted.body.decidedAt);
    const conflicting = await event(id, { event: 'reject-submission', problems: [{ title: 'zu spät' }] });
    assert.equal(conflicting.status, 409);
    assert.equal(conflicting.body.error, 'decision_conflict');

    const after = await call<{ submissions: Array<{ submissionId: string }> }>('GET', `${API}/submissions?limit=500`, { token: bonnToken });
    assert.ok(!after.body.submissions.some((s) => s.submissionId === id), 'a decided submission is no longer listed');
    const de = await statusPage(id, 'de');
    assert.match(de, /data-status="accepted">Von der Stelle angenommen</);
    assert.match(de, /Entschieden am<\/dt>/);
    const en = await statusPage(id, 'en');
    assert.match(en, /data-status="accepted">Accepted by the office</);
    assert.match(en, /Decided on<\/dt>/);
  });

  test('a rejection with reasons as a signed FIT-Connect event: kept with its token; the applicant sees "rejected"', async () => {
    const { id } = await apply(stack.url, 'nw', BONN, 'Imbiss am Rhein');
    const notYet = await event(id, { event: 'reject-submission', problems: [{ title: 'Unterlagen fehlen' }] });
    assert.equal(notYet.status, 409, 'nobody decides on what was never fetched');
    assert.equal(notYet.body.error, 'submission_not_fetched');
    assert.equal((await call('GET', `${API}/submissions/${id}`, { token: bonnToken })).status, 200);

    const problems = [{ type: 'https://schema.fitko.de/fit-connect/events/problems/missing-documents', title: 'Unterlagen fehlen', detail: 'Die Erlaubnis nach § 34c GewO fehlt.' }];
    const forged = await signedEvent(id, EVENT_REJECT, { problems }, (await generateSigningKeyPair()).privateJwk);
    const refused = await call('POST', `${API}/submissions/${id}/events`, { token: bonnToken, type: 'application/jose', body: forged });
    assert.equal(refused.status, 422, 'a token signed with another key than the directory names');
    assert.equal(refused.body.error, 'event_signature_invalid');

    const token = await signedEvent(id, EVENT_REJECT, { problems });
    const rejected = await call<{ status: string; signed: boolean; problems: unknown }>('POST', `${API}/submissions/${id}/events`, { token: bonnToken, type: 'application/jose', body: token });
    assert.equal(rejected.status, 201);
    assert.equal(rejected.body.status, 'rejected');
    assert.equal(rejected.body.signed, true);
    assert.deepEqual(rejected.body.problems, problems);
    const decision = await stack.rt.db.query<{ decision: string; evidence: string; client_id: string; problems: unknown }>('SELECT decision, evidence, client_id, problems FROM submission_decisions WHERE submission_id = $1', [id]);
    assert.deepEqual(decision.rows[0], { decision: 'rejected', evidence: token, client_id: 'bundesstadt-bonn-pull', problems });

    const de = await statusPage(id, 'de');
    assert.match(de, /data-status="rejected">Von der Stelle abgelehnt</);
    assert.match(await statusPage(id, 'en'), /data-status="rejected">Rejected by the office</);
    const shown = await call<{ decision: { status: string; problems: unknown } }>('GET', `${API}/submissions/${id}`, { token: bonnToken });
    assert.equal(shown.body.decision.status, 'rejected');
    assert.deepEqual(shown.body.decision.problems, problems);
  });

  test('a signed accept must name the authentication tag of the data it accepted', async () => {
    const { id } = await apply(stack.url, 'nw', BONN, 'Blumen Beethoven');
    const fetched = await call<{ encryptedData: string }>('GET', `${API}/submissions/${id}`, { token: bonnToken });
    const tag = fetched.body.encryptedData.split('.')[4] as string;
    const wrongTag = await call('POST', `${API}/submissions/${id}/events`, { token: bonnToken, type: 'application/jose', body: await signedEvent(id, EVENT_ACCEPT, { authenticationTags: { data: `${tag.slice(1)}A` } }) });
    assert.equal(wrongTag.status, 422);
    assert.equal(wrongTag.body.error, 'event_mismatch');
    const otherSubmission = await call('POST', `${API}/submissions/${id}/events`, { token: bonnToken, type: 'application/jose', body: await signedEvent(randomUUID(), EVENT_ACCEPT, { authenticationTags: { data: tag } }) });
    assert.equal(otherSubmission.status, 400, 'a token about another submission');
    assert.match(String(otherSubmission.body.message), /sub must be/);
    const accepted = await call('POST', `${API}/submissions/${id}/events`, { token: bonnToken, type: 'application/jose', body: await signedEvent(id, EVENT_ACCEPT, { authenticationTags: { data: tag } }) });
    assert.equal(accepted.status, 201);
    assert.equal(accepted.body.status, 'accepted');
    assert.equal(accepted.body.signed, true);
  });

  test('another authority\'s submission does not exist for a pull client (404, like a random id), and a push submission neither', async () => {
    const bonnSubmission = await apply(stack.url, 'nw', BONN, 'Eiscafé Venezia');
    const kielToken = await clientToken({ id: 'kiel-pull', scopes: ['submissions:pull'], authority: 'gewerbeamt-kiel' });

    const list = await call<{ submissions: Array<{ submissionId: string }>; totalCount: number }>('GET', `${API}/submissions`, { token: kielToken });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.submissions, [], 'Kiel sees none of Bonn\'s submissions');
    assert.equal(list.body.totalCount, 0);

    const foreign = await call('GET', `${API}/submissions/${bonnSubmission.id}`, { token: kielToken });
    const random = await call('GET', `${API}/submissions/${randomUUID()}`, { token: kielToken });
    assert.equal(foreign.status, 404);
    assert.equal(random.status, 404);
    assert.equal(foreign.body.error, random.body.error, 'the answer does not tell an existing id from a missing one');
    assert.equal(String(foreign.body.message).replace(bonnSubmission.id, 'ID'), String(random.body.message).replace(/[0-9a-f-]{36}/, 'ID'));
    assert.equal((await event(bonnSubmission.id, { event: 'accept-submission' }, kielToken)).status, 404);
    const untouched = await stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [bonnSubmission.id]);
    assert.equal(untouched.rows[0]?.status, 'submitted', 'the foreign attempts changed nothing');
    assert.equal((await attempts(bonnSubmission.id)).length, 0);

    // Kiel's own submission is pushed over the webhook: not the pull API's to hand out or decide.
    const kielSubmission = await apply(stack.url, 'sh', KIEL, 'Fischbrötchen Kiel');
    await stack.rt.delivery?.drain();
    assert.equal((await call('GET', `${API}/submissions/${kielSubmission.id}`, { token: kielToken })).status, 404);
    assert.equal((await event(kielSubmission.id, { event: 'accept-submission' }, kielToken)).status, 404);
  });

  test('no token is 401, a bad token is 401, a token without the scope or without an authority is 403', async () => {
    const anonymous = await call('GET', `${API}/submissions`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await call('GET', `${API}/submissions/${randomUUID()}`)).status, 401);
    assert.equal((await call('POST', `${API}/submissions/${randomUUID()}/events`, { type: 'application/json', body: '{"event":"accept-submission"}' })).status, 401);
    const forged = await call('GET', `${API}/submissions`, { token: `${bonnToken.slice(0, -4)}AAAA` });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error, 'invalid_token');

    const operator = stack.rt.devCredentials;
    assert.ok(operator, 'development has a generated operator client');
    const operatorToken = await token(operator.clientId, operator.clientSecret);
    const noScope = await call('GET', `${API}/submissions`, { token: operatorToken });
    assert.equal(noScope.status, 403);
    assert.equal(noScope.body.error, 'insufficient_scope');

    const lost = await clientToken({ id: 'pull-without-authority', scopes: ['submissions:pull'] });
    const noAuthority = await call('GET', `${API}/submissions`, { token: lost });
    assert.equal(noAuthority.status, 403);
    assert.equal(noAuthority.body.error, 'no_authority');
  });

  test('pages are disjoint, ordered and complete; bad pagination is refused', async () => {
    const mine: string[] = [];
    for (const name of ['Seite Eins', 'Seite Zwei', 'Seite Drei']) mine.push((await apply(stack.url, 'nw', BONN, name)).id);
    const all = await call<{ totalCount: number; submissions: Array<{ submissionId: string; submittedAt: string }> }>('GET', `${API}/submissions?limit=500`, { token: bonnToken });
    assert.equal(all.body.totalCount, all.body.submissions.length);
    const paged: string[] = [];
    for (let offset = 0; ; offset++) {
      const page = await call<{ count: number; offset: number; limit: number; submissions: Array<{ submissionId: string }> }>('GET', `${API}/submissions?offset=${offset}&limit=1`, { token: bonnToken });
      assert.equal(page.status, 200);
      assert.equal(page.body.offset, offset);
      assert.equal(page.body.limit, 1);
      if (page.body.count === 0) break;
      paged.push(...page.body.submissions.map((s) => s.submissionId));
    }
    assert.deepEqual(paged, all.body.submissions.map((s) => s.submissionId), 'one at a time gives the same list, without gaps or repeats');
    assert.deepEqual(paged.filter((id) => mine.includes(id)), mine, 'oldest first');
    const times = all.body.submissions.map((s) => s.submittedAt);
    assert.deepEqual([...times].sort(), times);

    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'limit=-1', 'offset=-1', 'offset=1.5', 'limit=1&limit=2', 'offset=99999999999']) {
      const res = await call('GET', `${API}/submissions?${query}`, { token: bonnToken });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, 'request_invalid', query);
    }
  });

  test('concurrent fetches are one delivery; concurrent conflicting decisions: one wins, the other is a conflict', async () => {
    const { id } = await apply(stack.url, 'nw', BONN, 'Zwillingsbäckerei');
    const fetches = await Promise.all(Array.from({ length: 6 }, () => call<{ status: string }>('GET', `${API}/submissions/${id}`, { token: bonnToken })));
    assert.deepEqual(fetches.map((f) => f.status), [200, 200, 200, 200, 200, 200]);
    assert.deepEqual(fetches.map((f) => f.body.status), Array(6).fill('delivered'));
    assert.equal((await attempts(id)).length, 1, 'one pickup recorded, however many fetched at once');

    const [accept, reject] = await Promise.all([
      event(id, { event: 'accept-submission' }),
      event(id, { event: 'reject-submission', problems: [{ title: 'Doppelt' }] }),
    ]);
    assert.deepEqual([accept.status, reject.status].sort(), [201, 409]);
    const winner = accept.status === 201 ? 'accepted' : 'rejected';
    const stored = await stack.rt.db.query<{ status: string; decisions: string }>('SELECT status, (SELECT count(*)::text FROM submission_decisions WHERE submission_id = $1) AS decisions FROM submissions WHERE id = $1', [id]);
    assert.deepEqual(stored.rows[0], { status: winner, decisions: '1' });
  });

  test('a submission queued for pushing to an authority that pulls fails with a reason for the operator', async () => {
    // As if Bonn's directory entry had named a push transport at submit and "pull" at delivery time.
    const { id } = await apply(stack.url, 'nw', BONN, 'Umzug Rheinaue');
    await stack.rt.db.query(`UPDATE submissions SET delivery_mode = 'push' WHERE id = $1`, [id]);
    await stack.rt.db.query('INSERT INTO outbox (submission_id) VALUES ($1)', [id]);
    await stack.rt.delivery?.drain();
    const row = await stack.rt.db.query<{ status: string; last_error: string }>('SELECT status, last_error FROM submissions WHERE id = $1', [id]);
    assert.equal(row.rows[0]?.status, 'failed', 'not retried forever and not reported as delivered');
    assert.match(row.rows[0]?.last_error ?? '', /fetches its submissions over the pull API/);
    const tried = await attempts(id);
    assert.deepEqual(tried.map((a) => [a.transport, a.outcome]), [['pull', 'failed']]);
  });

  test('hostile input: malformed ids, wrong content types, oversized and malformed events, HEAD', async () => {
    for (const id of ['not-a-uuid', '1', `${randomUUID()}x`, "' OR 1=1 --"]) {
      const res = await call('GET', `${API}/submissions/${encodeURIComponent(id)}`, { token: bonnToken });
      assert.equal(res.status, 400, id);
      assert.equal(res.body.error, 'request_invalid');
    }
    const { id } = await apply(stack.url, 'nw', BONN, 'Kaffeerösterei');
    const head = await fetch(`${stack.url}${API}/submissions/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${bonnToken}` } });
    assert.notEqual(head.status, 200, 'HEAD is no download');
    const unchanged = await stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [id]);
    assert.equal(unchanged.rows[0]?.status, 'submitted');
    await call('GET', `${API}/submissions/${id}`, { token: bonnToken });

    const post = (body: string, type?: string) => call('POST', `${API}/submissions/${id}/events`, { token: bonnToken, body, ...(type ? { type } : {}) });
    const form = await post('event=accept-submission', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 415);
    assert.equal(form.body.error, 'unsupported_media_type');
    assert.equal((await post('accept', 'text/plain')).status, 415);
    const xml = await post('<accept/>', 'application/xml');
    assert.equal(xml.status, 415);
    assert.equal(xml.body.error, 'unsupported_media_type', 'errors keep the API\'s JSON shape');
    const huge = await post(JSON.stringify({ event: 'reject-submission', problems: [{ title: 'x', detail: 'y'.repeat(70 * 1024) }] }), 'application/json');
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error, 'payload_too_large');
    const hugeToken = await post('a'.repeat(70 * 1024), 'application/jose');
    assert.equal(hugeToken.status, 413);
    const broken = await post('{"event": ', 'application/json');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error, 'bad_request');
    const invalid: Array<[unknown, RegExp]> = [
      [{ event: 'approve' }, /must be equal to one of/],
      [{ event: 'accept-submission', extra: 1 }, /additional properties/],
      [{ event: 'reject-submission' }, /at least one problem/],
      [{ event: 'reject-submission', problems: [] }, /at least one problem/],
      [{ event: 'accept-submission', problems: [{ title: 'no' }] }, /accept event has no problems/],
      [{ event: 'reject-submission', problems: [{ detail: 'no title' }] }, /title/],
      [{ event: 'reject-submission', problems: Array.from({ length: 21 }, () => ({ title: 'zu viel' })) }, /more than 20/],
      [['accept-submission'], /must be object/],
    ];
    for (const [body, message] of invalid) {
      const res = await post(JSON.stringify(body), 'application/json');
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(res.body.error, 'event_invalid');
      assert.match(String(res.body.message), message);
    }
    const notAToken = await post('not.a.token', 'application/jose');
    assert.equal(notAToken.status, 422);
    const stillOpen = await stack.rt.db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [id]);
    assert.equal(stillOpen.rows[0]?.status, 'delivered', 'no refused event decided anything');
  });
});
