import Fastify, { type FastifyInstance } from 'fastify';
import { receivers } from './index.js';
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
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(inboxPage(options)));
  app.get('/messages', async () => options.inbox.list().map(({ document: _d, ...rest }) => rest));
  app.get<{ Params: { id: string } }>('/messages/:id', async (req, reply) => {
    const message = options.inbox.get(req.params.id);
    return message ?? reply.code(404).send({ error: 'unknown message' });
  });
  return app;
}

function inboxPage({ inbox, authorities }: ReceiverOptions): string {
  const rows = inbox.list().map((m) => `<tr><td>${esc(m.receivedAt)}</td><td>${esc(authorities.get(m.authorityId)?.name ?? m.authorityId)}</td><td>${esc(m.transport)}</td><td>${esc(m.reference)}</td><td><a href="/messages/${encodeURIComponent(m.messageId)}">${esc(m.messageId)}</a></td></tr>`).join('');
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Lokaler Behördenempfänger</title></head><body>
<h1>Lokaler Behördenempfänger (Demo)</h1>
<p>Hier kommen die Anträge an, entschlüsselt mit dem privaten Schlüssel der jeweiligen Behörde und mit geprüfter Signatur.</p>
<table><thead><tr><th>Eingang</th><th>Behörde</th><th>Transport</th><th>Aktenzeichen</th><th>Nachricht</th></tr></thead><tbody>${rows || '<tr><td colspan="5">Noch nichts eingegangen.</td></tr>'}</tbody></table>
</body></html>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
