import Fastify, { type FastifyInstance } from 'fastify';
import { receivers } from './index.js';
import { answerRoutes, esc } from './answer.js';
import type { ReceivedAttachment, ReceivedMessage } from './inbox.js';
import type { ReceiverOptions } from './types.js';

/**
 * The local authority receiver: one HTTP server that speaks every transport's protocol for a set of
 * authorities, plus a read-only inbox page so a person sees what arrived (demo mode only).
 */
export async function buildReceiverServer(options: ReceiverOptions, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false });
  for (const plugin of receivers.values()) {
    await app.register(async (scope) => plugin(scope, options));
  }
  await app.register(async (scope) => answerRoutes(scope, options));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(inboxPage(options)));
  app.get('/mail', async (_req, reply) => reply.type('text/html; charset=utf-8').send(mailPage(options.mailbox)));
  app.get('/messages', async () => options.inbox.list().map(({ document: _d, ...rest }) => ({ ...rest, attachments: rest.attachments.map(describe) })));
  app.get<{ Params: { id: string } }>('/messages/:id', async (req, reply) => {
    const message = options.inbox.get(req.params.id);
    return message ? { ...message, attachments: message.attachments.map(describe) } : reply.code(404).send({ error: 'unknown message' });
  });
  app.get<{ Params: { id: string; attachmentId: string } }>('/messages/:id/attachments/:attachmentId', async (req, reply) => {
    const attachment = options.inbox.get(req.params.id)?.attachments.find((a) => a.id === req.params.attachmentId);
    if (!attachment) return reply.code(404).send({ error: 'unknown attachment' });
    // The applicant's file, served as a download only: it must never run as a page on this origin.
    return reply
      .type(/^[-\w.]+\/[-\w.+]+$/.test(attachment.mediaType) ? attachment.mediaType : 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${asciiName(attachment.filename)}"; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .send(attachment.bytes);
  });
  return app;
}

/** An attachment without its bytes: what a list shows. */
function describe({ bytes: _b, ...rest }: ReceivedAttachment): Omit<ReceivedAttachment, 'bytes'> {
  return rest;
}

function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}

function attachmentLinks(m: ReceivedMessage): string {
  if (m.attachments.length === 0) return '–';
  const items = m.attachments.map((a) => `<li><a href="/messages/${encodeURIComponent(m.messageId)}/attachments/${encodeURIComponent(a.id)}">${esc(a.filename)}</a> (${esc(a.mediaType)}, ${a.size} Bytes, SHA-512 geprüft: <code title="${esc(a.sha512)}">${esc(a.sha512.slice(0, 16))}…</code>)</li>`);
  return `<ul>${items.join('')}</ul>`;
}

function inboxPage({ inbox, authorities }: ReceiverOptions): string {
  const rows = inbox.list().map((m) => `<tr><td>${esc(m.receivedAt)}</td><td>${esc(authorities.get(m.authorityId)?.name ?? m.authorityId)}</td><td>${esc(m.transport)}</td><td>${esc(m.reference)}</td><td><a href="/messages/${encodeURIComponent(m.messageId)}">${esc(m.messageId)}</a></td><td>${attachmentLinks(m)}</td><td><a href="/messages/${encodeURIComponent(m.messageId)}/answer">Antworten</a></td></tr>`).join('');
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Lokaler Behördenempfänger</title></head><body>
<h1>Lokaler Behördenempfänger (Demo)</h1>
<p><a href="/mail">E-Mail-Benachrichtigungen an Antragstellende (lokaler SMTP-Server)</a></p>
<p>Hier kommen die Anträge an, entschlüsselt mit dem privaten Schlüssel der jeweiligen Behörde und mit geprüfter Signatur. Jede Anlage ist entschlüsselt und gegen ihren SHA-512-Hashwert geprüft.</p>
<table><thead><tr><th>Eingang</th><th>Behörde</th><th>Transport</th><th>Aktenzeichen</th><th>Nachricht</th><th>Anlagen</th><th>Rückkanal</th></tr></thead><tbody>${rows || '<tr><td colspan="7">Noch nichts eingegangen.</td></tr>'}</tbody></table>
</body></html>`;
}

function mailPage(mailbox: ReceiverOptions['mailbox']): string {
  const rows = [...(mailbox ?? [])].reverse().map((m) => `<tr><td>${esc(m.receivedAt)}</td><td>${esc(m.to.join(', '))}</td><td>${esc(m.subject)}</td><td><pre>${esc(m.text)}</pre></td></tr>`).join('');
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Lokaler Mailserver</title></head><body>
<h1>E-Mail-Benachrichtigungen (lokaler SMTP-Server, Demo)</h1>
<p>${mailbox ? 'Was der lokale SMTP-Server von efa-runtime empfangen hat (nur im Speicher, neueste zuerst).' : 'Kein lokaler SMTP-Server: EFA_SMTP_URL ist gesetzt, die Benachrichtigungen gehen dorthin.'}</p>
<table><thead><tr><th>Eingang</th><th>An</th><th>Betreff</th><th>Text</th></tr></thead><tbody>${rows || '<tr><td colspan="4">Noch keine E-Mail.</td></tr>'}</tbody></table>
</body></html>`;
}
