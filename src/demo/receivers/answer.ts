import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { signAnswerToken, type ZbpStatus } from '../../transports/answer-token.js';
import { fitConnectReplyBody } from '../../transports/fit-connect-reply.js';
import { osciAnswerMessage } from '../../transports/osci-reply.js';
import { webhookAnswerRequest } from '../../transports/webhook-reply.js';
import { xtaAnswerMessage } from '../../transports/xta-reply.js';
import type { ReceivedMessage } from './inbox.js';
import type { ReceiverOptions } from './types.js';

/**
 * The demo authority answers (docs/postfach.md): from the receiver's page, a message gets an
 * answer (text, a ZBP status, optionally a generated PDF Bescheid), sent back to the runtime over
 * the return path of the transport it came by, signed with the authority's demo key. Tests send
 * their answers through `answerRequest` too, so demo and tests speak the same protocol.
 */
export interface DemoAnswer {
  answerId: string;
  text: string;
  status?: ZbpStatus;
  attachments: Array<{ filename: string; mediaType: string; bytes: Buffer }>;
}

export type ReturnTransport = 'webhook' | 'xta' | 'osci' | 'fit-connect';

/** The request the authority's system sends to the runtime's return path for `transport`. */
export async function answerRequest(transport: ReturnTransport, target: { authorityId: string; submissionId: string }, answer: DemoAnswer, signingKey: JWK): Promise<{ path: string; headers: Record<string, string>; body: string }> {
  const path = `/_efa/return/${transport}`;
  const a = { ...target, ...answer };
  if (transport === 'webhook') return { path, ...(await webhookAnswerRequest(signingKey, a)) };
  const token = await signAnswerToken(signingKey, a);
  if (transport === 'fit-connect') return { path, headers: { 'content-type': 'application/json' }, body: fitConnectReplyBody({ ...a, token }) };
  if (transport === 'xta') return { path, headers: { 'content-type': 'application/soap+xml' }, body: xtaAnswerMessage({ ...a, token }) };
  return { path, headers: { 'content-type': 'application/xml' }, body: osciAnswerMessage({ ...a, token }) };
}

/** A one-page PDF with a few lines of text (Helvetica), with a correct cross-reference table. */
export function demoPdf(lines: string[]): Buffer {
  const text = lines.map((l, i) => `BT /F1 12 Tf 72 ${770 - i * 18} Td (${l.replace(/[()\\]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?')}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = Buffer.byteLength(pdf, 'latin1');
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

const STATUSES: Array<[ZbpStatus | '', string]> = [['', 'ohne neuen Stand'], ['PROCESSING', 'In Bearbeitung'], ['ACTION_REQUIRED', 'Mitwirkung erforderlich (Unterlage nachfordern)'], ['COMPLETED', 'Abgeschlossen (Bescheid)']];

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function formPage(m: ReceivedMessage, result?: string): string {
  const options = STATUSES.map(([v, label]) => `<option value="${v}"${v === 'COMPLETED' ? ' selected' : ''}>${esc(label)}</option>`).join('');
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Antwort an die Antragstellerin oder den Antragsteller</title></head><body>
<p><a href="/">Zurück zum Posteingang</a></p>
<h1>Antworten auf ${esc(m.reference)}</h1>
${result ? `<p role="status"><strong>${esc(result)}</strong></p>` : ''}
<p>Die Antwort geht über den Rückkanal des Transports „${esc(m.transport)}“ an efa-runtime, signiert mit dem Demo-Schlüssel der Behörde, und erscheint im Postfach der Statusseite des Antrags.</p>
<form method="post" action="/messages/${encodeURIComponent(m.messageId)}/answer">
<p><label for="text">Nachricht</label><br><textarea id="text" name="text" rows="6" cols="70" required>Sehr geehrte Antragstellerin, sehr geehrter Antragsteller,\n\nanbei erhalten Sie unseren Bescheid zu Ihrem Antrag ${esc(m.reference)}.</textarea></p>
<p><label for="status">Neuer Stand</label><br><select id="status" name="status">${options}</select></p>
<p><input type="checkbox" id="bescheid" name="bescheid" value="1" checked> <label for="bescheid">PDF-Bescheid anhängen</label></p>
<p><button type="submit">Antwort senden</button></p>
</form></body></html>`;
}

/** GET/POST /messages/:id/answer on the receiver: the "answer" button of the demo. */
export async function answerRoutes(app: FastifyInstance, options: ReceiverOptions): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
  const find = (id: string) => options.inbox.get(id);
  app.get<{ Params: { id: string } }>('/messages/:id/answer', async (req, reply) => {
    const m = find(req.params.id);
    return m ? reply.type('text/html; charset=utf-8').send(formPage(m)) : reply.code(404).send({ error: 'unknown message' });
  });
  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/messages/:id/answer', async (req, reply) => {
    const m = find(req.params.id);
    const authority = m && options.authorities.get(m.authorityId);
    if (!m || !authority) return reply.code(404).send({ error: 'unknown message' });
    const status = STATUSES.some(([v]) => v !== '' && v === req.body?.status) ? (req.body.status as ZbpStatus) : undefined;
    const text = String(req.body?.text ?? '').slice(0, 5000) || `Nachricht zu ${m.reference}`;
    const attachments = req.body?.bescheid ? [{ filename: `Bescheid-${m.reference}.pdf`, mediaType: 'application/pdf', bytes: demoPdf([authority.name, `Bescheid zu Ihrem Antrag ${m.reference}`, `Datum: ${new Date().toISOString().slice(0, 10)}`, 'Demo: erzeugt vom lokalen Behoerdenempfaenger']) }] : [];
    let result: string;
    if (!options.runtimeUrl) result = 'Diesem Empfänger ist keine efa-runtime bekannt (runtimeUrl).';
    else {
      const request = await answerRequest(m.transport as ReturnTransport, { authorityId: m.authorityId, submissionId: m.messageId }, { answerId: randomUUID(), text, ...(status ? { status } : {}), attachments }, authority.signingKey);
      const res = await fetch(`${options.runtimeUrl}${request.path}`, { method: 'POST', headers: request.headers, body: request.body }).catch((err: unknown) => err as Error);
      result = res instanceof Error ? `efa-runtime nicht erreichbar: ${res.message}` : res.ok ? 'Die Antwort ist angekommen: Sie steht jetzt im Postfach des Antrags.' : `efa-runtime lehnt ab (${res.status}): ${await res.text()}`;
    }
    return reply.type('text/html; charset=utf-8').send(formPage(m, result));
  });
}
