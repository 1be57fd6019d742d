import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Browser } from './support/browser.js';
import { waitUntil } from './support/delivery-stack.js';
import { SAMPLE_PDF, SAMPLE_PNG } from './support/messages.js';
import { answerRequest, apply, pullToken, received, startPostfachStack, TRANSPORTS, type Answer, type Application, type PostfachStack } from './support/postfach.js';

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

function decision(text = `Bescheid ${randomUUID()}: Ihre Anmeldung ist genehmigt.`): Answer {
  return { answerId: randomUUID(), text, status: 'COMPLETED', attachments: [{ filename: 'Bescheid.pdf', mediaType: 'application/pdf', bytes: SAMPLE_PDF.bytes }] };
}

describe('return channel: an authority\'s answer reaches the right applicant\'s Postfach', () => {
  let ps: PostfachStack;
  let token: string;
  before(async () => {
    ps = await startPostfachStack();
    token = await pullToken(ps);
  });
  after(async () => ps.close());

  async function send(transport: (typeof TRANSPORTS)[number], app: Application, answer: Answer, signingKey = app.authority.signingKey): Promise<Response> {
    if (transport === 'pull') {
      return fetch(`${ps.stack.url}/_efa/api/v1/submissions/${app.id}/answers`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ answerId: answer.answerId, text: answer.text, status: answer.status, attachments: answer.attachments.map((f) => ({ filename: f.filename, mediaType: f.mediaType, sha512: sha512(f.bytes), content: f.bytes.toString('base64') })) }),
      });
    }
    const req = await answerRequest(transport, app, answer, signingKey);
    return fetch(`${ps.stack.url}${req.path}`, { method: 'POST', headers: req.headers, body: req.body });
  }

  async function postfach(app: Application): Promise<string> {
    const res = await fetch(`${ps.stack.url}/sh/status/${app.key}/postfach`);
    assert.equal(res.status, 200);
    return res.text();
  }

  for (const transport of TRANSPORTS) {
    it(`over ${transport}: shown with its attachment (hash verified) to its applicant only, and told by e-mail without its content`, async () => {
      const mine = await apply(ps, transport);
      const other = await apply(ps, transport);
      await received(ps, mine, transport === 'pull' ? token : undefined);
      const answer = decision();
      const res = await send(transport, mine, answer);
      assert.equal(res.status, 201, await res.clone().text());

      const page = await postfach(mine);
      assert.ok(page.includes(answer.text), 'the answer\'s text is in the applicant\'s Postfach');
      assert.match(page, /data-zbp-status="COMPLETED"/);
      const href = /href="([^"]+)" download>Bescheid\.pdf/.exec(page)?.[1];
      assert.ok(href, 'the attachment is offered for download');
      const file = await fetch(`${ps.stack.url}${href.replace(/&amp;/g, '&')}`);
      assert.equal(file.status, 200);
      assert.equal(sha512(Buffer.from(await file.arrayBuffer())), sha512(SAMPLE_PDF.bytes));
      assert.match(file.headers.get('content-disposition') ?? '', /^attachment/);

      assert.ok(!(await postfach(other)).includes(answer.text), 'another applicant never sees it');
      const guessed = await fetch(`${ps.stack.url}/sh/status/${other.key}/postfach/${answer.answerId}/0`);
      assert.equal(guessed.status, 404, 'nor downloads its file with their own link');

      const mail = await ps.smtp.waitFor(mine.email);
      assert.ok(mail.text.includes(mine.reference));
      assert.ok(!mail.text.includes(answer.text) && !mail.text.includes('Bescheid.pdf'), 'the mail holds nothing of the answer');
      assert.ok(!mail.text.includes(mine.key) && !mail.text.includes('/status/'), 'nor the secret status link');
      assert.equal(ps.smtp.to(other.email).length, 0, 'the other applicant gets no mail');
    });
  }

  it('takes the same answer twice as one answer, and refuses another answer under the same id', async () => {
    const app = await apply(ps, 'webhook');
    await received(ps, app);
    const answer = decision();
    assert.equal((await send('webhook', app, answer)).status, 201);
    const again = await send('webhook', app, answer);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { repeated: boolean }).repeated, true);
    const { rows } = await ps.stack.rt.db.query<{ n: string }>('SELECT count(*)::text AS n FROM submission_answers WHERE submission_id = $1', [app.id]);
    assert.equal(rows[0]?.n, '1');
    const changed = await send('webhook', app, { ...answer, text: 'Etwas anderes' });
    assert.equal(changed.status, 409);
    assert.equal(((await changed.json()) as { error: string }).error, 'answer_conflict');
    await ps.smtp.waitFor(app.email);
    assert.equal(ps.smtp.to(app.email).length, 1, 'one answer, one mail');
  });

  it('refuses a forged answer (another key), a tampered file and an answer over another transport, storing nothing', async () => {
    const app = await apply(ps, 'xta');
    await received(ps, app);
    const hooked = await apply(ps, 'webhook');
    await received(ps, hooked);
    // Each signed with the key of the other transport's authority: a valid key, but not theirs.
    for (const [transport, target, stranger] of [['xta', app, hooked.authority.signingKey], ['webhook', hooked, app.authority.signingKey]] as const) {
      const forged = await send(transport, target, decision(), stranger);
      assert.equal(forged.status, 401, `forged ${transport} answer`);
      assert.equal(((await forged.json()) as { error: string }).error, 'answer_signature_invalid');
    }
    const overWebhook = await send('webhook', app, decision());
    assert.equal(overWebhook.status, 403, 'an answer over a transport the authority does not receive by');
    const req = await answerRequest('xta', app, decision());
    const tampered = req.body.replace(/(<xta:Attachment[^>]*>)([A-Za-z0-9+/]{4})/, (_m, open: string) => `${open}AAAA`);
    const res = await fetch(`${ps.stack.url}${req.path}`, { method: 'POST', headers: req.headers, body: tampered });
    assert.equal(res.status, 422);
    assert.equal(((await res.json()) as { error: string }).error, 'answer_attachment_hash');
    const { rows } = await ps.stack.rt.db.query('SELECT 1 FROM submission_answers WHERE submission_id = ANY($1::uuid[])', [[app.id, hooked.id]]);
    assert.equal(rows.length, 0);
  });

  it('lets a pull authority answer only its own submissions', async () => {
    const foreign = await apply(ps, 'webhook');
    await received(ps, foreign);
    const res = await send('pull', foreign, decision());
    assert.equal(res.status, 404);
  });

  it('an ACTION_REQUIRED answered with an upload reaches the authority as part of the same case', async () => {
    const app = await apply(ps, 'webhook');
    await received(ps, app);
    const ask = { answerId: randomUUID(), text: 'Bitte reichen Sie den Nachweis nach.', status: 'ACTION_REQUIRED' as const, attachments: [] };
    assert.equal((await send('webhook', app, ask)).status, 201);

    const browser = new Browser(ps.stack.url);
    const status = await browser.get(`/sh/status/${app.key}`);
    assert.match(status.html, /data-zbp-status="ACTION_REQUIRED"/, 'the status page\'s history shows the request');
    const page = await browser.get(`/sh/status/${app.key}/postfach`);
    assert.match(page.html, /enctype="multipart\/form-data"/, 'the Postfach offers the upload');

    const empty = await browser.submitMultipart({ nachricht: 'Hier fehlt noch etwas' }, [], '/nachreichen');
    assert.equal(empty.status, 400);
    assert.match(empty.html, /id="dokument-error"/, 'a reply without a document names the field');

    const sent = await browser.submitMultipart({ nachricht: 'Anbei der Nachweis.' }, [{ name: 'dokument', filename: SAMPLE_PNG.filename, type: SAMPLE_PNG.mediaType, content: SAMPLE_PNG.bytes }], '/nachreichen');
    assert.equal(sent.status, 303, sent.html.slice(0, 300));
    await waitUntil(() => ps.stack.inbox.list().some((m) => m.reference === `${app.reference}-N1`), 30_000, 'the reply at the authority');
    const arrived = ps.stack.inbox.list().find((m) => m.reference === `${app.reference}-N1`);
    assert.ok(arrived);
    assert.equal(arrived.authorityId, app.authority.id, 'the same authority, over the same transport');
    assert.equal(arrived.transport, 'webhook');
    const doc = JSON.parse(arrived.document) as { meta: { kind: string; caseId: string; inReplyTo: string }; message: string };
    assert.deepEqual([doc.meta.kind, doc.meta.caseId, doc.meta.inReplyTo, doc.message], ['reply', app.id, ask.answerId, 'Anbei der Nachweis.']);
    assert.equal(arrived.attachments.length, 1);
    assert.equal(arrived.attachments[0]?.sha512, sha512(SAMPLE_PNG.bytes));
    assert.match((await browser.get(`/sh/status/${app.key}/postfach`)).html, /class="efa-reply-sent"/);
  });

  it('the demo receiver\'s "answer" button sends a Bescheid back that the applicant reads', async () => {
    const app = await apply(ps, 'osci');
    await received(ps, app);
    const form = await fetch(`${ps.stack.receiverUrl}/messages/${app.id}/answer`);
    assert.equal(form.status, 200);
    const res = await fetch(`${ps.stack.receiverUrl}/messages/${app.id}/answer`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ text: 'Ihr Bescheid liegt bei.', status: 'COMPLETED', bescheid: '1' }).toString() });
    assert.match(await res.text(), /Die Antwort ist angekommen/);
    const page = await postfach(app);
    assert.ok(page.includes('Ihr Bescheid liegt bei.'));
    assert.match(page, new RegExp(`Bescheid-${app.reference}\\.pdf`));
  });

  it('a reply to a pull authority waits in its list as part of the same case', async () => {
    const app = await apply(ps, 'pull');
    await received(ps, app, token);
    assert.equal((await send('pull', app, { answerId: randomUUID(), text: 'Bitte Nachweis nachreichen.', status: 'ACTION_REQUIRED', attachments: [] })).status, 201);
    const browser = new Browser(ps.stack.url);
    await browser.get(`/sh/status/${app.key}/postfach`);
    const sent = await browser.submitMultipart({}, [{ name: 'dokument', filename: 'nachweis.pdf', type: 'application/pdf', content: SAMPLE_PDF.bytes }], '/nachreichen');
    assert.equal(sent.status, 303);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const list = (await (await fetch(`${ps.stack.url}/_efa/api/v1/submissions?limit=500`, auth)).json()) as { submissions: Array<{ submissionId: string; caseId: string; reference: string }> };
    const item = list.submissions.find((s) => s.reference === `${app.reference}-N1`);
    assert.ok(item, 'the reply is listed for the authority');
    assert.equal(item.caseId, app.id);
    const fetched = (await (await fetch(`${ps.stack.url}/_efa/api/v1/submissions/${item.submissionId}`, auth)).json()) as { caseId: string; attachments: Array<{ hash: { content: string } }> };
    assert.equal(fetched.caseId, app.id);
    assert.equal(fetched.attachments[0]?.hash.content, sha512(SAMPLE_PDF.bytes));
  });
});
