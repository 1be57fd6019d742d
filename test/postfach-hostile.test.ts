import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request, type ClientRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RETURN_READ_LIMITS } from '../src/http/routes/postfach-return.js';
import { Browser } from './support/browser.js';
import { waitUntil } from './support/delivery-stack.js';
import { SAMPLE_PNG } from './support/messages.js';
import { answerRequest, apply, received, startPostfachStack, type Answer, type PostfachStack } from './support/postfach.js';

/** What an unauthenticated caller can make the return channel read, and the reply upload's quotas. */
describe('return channel and Postfach reply under hostile input', () => {
  let ps: PostfachStack;
  before(async () => {
    // One file per client address and window: the reply upload must count against it like any upload.
    ps = await startPostfachStack(undefined, { EFA_UPLOAD_CLIENT_MAX_FILES: '1' });
  });
  after(async () => ps.close());

  function tiny(): Promise<Response> {
    return fetch(`${ps.stack.url}/_efa/return/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  }

  it('while one address sends a body of the full size, its further answers are refused (503) before they are read; the room comes back when it ends', async () => {
    const app = await apply(ps, 'webhook');
    await received(ps, app);
    const answer: Answer = { answerId: randomUUID(), text: 'Ihr Antrag ist genehmigt.', status: 'COMPLETED', attachments: [] };
    // An unsigned sender announcing the largest body and trickling it: nothing proves who it is yet.
    const held: ClientRequest = request(`${ps.stack.url}/_efa/return/fit-connect`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(RETURN_READ_LIMITS.perSourceBytes) } });
    held.on('error', () => undefined);
    held.write('{"replyId":"');
    let busy: Response | undefined;
    await waitUntil(async () => {
      busy = await tiny();
      return busy.status === 503;
    }, 10_000, 'a further body from the same address refused while the first is read');
    assert.ok(busy);
    assert.equal(busy.headers.get('retry-after'), '5');
    assert.equal(((await busy.json()) as { error: string }).error, 'return_busy');

    const req = await answerRequest('webhook', app, answer);
    const refused = await fetch(`${ps.stack.url}${req.path}`, { method: 'POST', headers: req.headers, body: req.body });
    assert.equal(refused.status, 503, 'even a signed answer waits: the address is busy');
    const { rows } = await ps.stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM submission_answers WHERE submission_id = $1', [app.id]);
    assert.equal(rows[0]?.n, '0');

    held.destroy();
    let accepted = 0;
    await waitUntil(async () => {
      const again = await answerRequest('webhook', app, answer);
      accepted = (await fetch(`${ps.stack.url}${again.path}`, { method: 'POST', headers: again.headers, body: again.body })).status;
      return accepted !== 503;
    }, 10_000, 'the address\'s room given back once the held body ended');
    assert.equal(accepted, 201);
  });

  it('a reply upload counts against the per-client upload allowance: past it, 429 with the reason and nothing sent', async () => {
    const app = await apply(ps, 'webhook');
    await received(ps, app);
    const ask = await answerRequest('webhook', app, { answerId: randomUUID(), text: 'Bitte reichen Sie den Nachweis nach.', status: 'ACTION_REQUIRED', attachments: [] });
    assert.equal((await fetch(`${ps.stack.url}${ask.path}`, { method: 'POST', headers: ask.headers, body: ask.body })).status, 201);
    const browser = new Browser(ps.stack.url);
    const file = [{ name: 'dokument', filename: SAMPLE_PNG.filename, type: SAMPLE_PNG.mediaType, content: SAMPLE_PNG.bytes }];
    await browser.get(`/sh/status/${app.key}/postfach`);
    assert.equal((await browser.submitMultipart({ nachricht: 'Erster Nachweis.' }, file, '/nachreichen')).status, 303);
    await browser.get(`/sh/status/${app.key}/postfach`);
    const second = await browser.submitMultipart({ nachricht: 'Noch einer.' }, file, '/nachreichen');
    assert.equal(second.status, 429, second.html.slice(0, 300));
    assert.match(second.html, /zu viele Dateien hochgeladen/);
    assert.match(second.html, /id="dokument-error"/, 'the message names the document field');
    const { rows } = await ps.stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM submissions WHERE case_id = $1', [app.id]);
    assert.equal(rows[0]?.n, '1', 'only the first reply went to the authority');
  });

  it('one address may make the return paths read at most RETURN_READ_LIMITS.perSourcePerMinute bodies a minute (429 after)', async () => {
    // Run last: it uses up this address's minute on the return paths.
    let status = 0;
    for (let i = 0; i <= RETURN_READ_LIMITS.perSourcePerMinute && status !== 429; i++) status = (await tiny()).status;
    assert.equal(status, 429);
    const after = await tiny();
    assert.equal(after.status, 429);
    assert.ok(Number(after.headers.get('retry-after')) > 0);
  });
});
