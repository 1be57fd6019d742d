/**
 * A local payment provider (Bezahldienst) for development and tests: it speaks XBezahldienste's
 * REST API over HTTP (`POST /paymenttransaction/{originatorId}/{endPointId}`, `GET …/{transactionId}`,
 * HTTP Basic) and has a payment page where the tester chooses what happens: paid, failed,
 * cancelled, or left to time out. Like a real provider it never calls back: the runtime must ask
 * for the state. `npm start` mounts it beside the demo receiver (under /bezahldienst); tests start
 * it on port 0 and read what it charged.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { escapeXml as esc } from './saml-idp-response.js';

export interface SimulatorAccount {
  originatorId: string;
  endPointId: string;
  secret: string;
}

/** The demo's provider account; tenants/<land>.json names the secret's variable. */
export const DEMO_PAYMENT = { originatorId: 'efa-demo', endPointId: 'gebuehren', secretEnv: 'EFA_DEMO_PAYMENT_SECRET', secret: 'efa-demo-payment-secret-development-only' } as const;

type Status = 'INITIAL' | 'BOOKED' | 'FAILED' | 'CANCELED';

interface Transaction {
  id: string;
  account: SimulatorAccount;
  request: Record<string, unknown> & { grosAmount: number; redirectUrl: string; purpose: string };
  status: Status;
  method?: string;
  timestamp?: string;
  /** How often money was taken: a real provider books once, whatever the browser does. */
  charges: number;
}

const CHOICES: Record<string, { status: Status | 'timeout'; label: string }> = {
  bezahlt: { status: 'BOOKED', label: 'Erfolgreich bezahlen (Kreditkarte)' },
  fehlgeschlagen: { status: 'FAILED', label: 'Zahlung schlägt fehl' },
  abgebrochen: { status: 'CANCELED', label: 'Zahlung abbrechen' },
  zeitueberschreitung: { status: 'timeout', label: 'Nichts tun, Zeit ablaufen lassen' },
};

const cents = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n * 100) : NaN);

/** What a payment request must be (the published limits); every problem is named. */
function problemsOf(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (body.currency !== 'EUR') problems.push('currency must be EUR');
  if (typeof body.purpose !== 'string' || body.purpose.length < 1 || body.purpose.length > 27) problems.push('purpose must be 1 to 27 characters');
  if (typeof body.requestId !== 'string' || body.requestId === '') problems.push('requestId is required');
  const items = Array.isArray(body.items) ? body.items as Array<Record<string, unknown>> : [];
  if (items.length < 1 || items.length > 99) problems.push('items must hold 1 to 99 positions');
  const sum = items.reduce((n, i) => n + cents(i.totalNetAmount) + cents(i.totalTaxAmount ?? 0), 0);
  if (!(cents(body.grosAmount) > 0) || sum !== cents(body.grosAmount)) problems.push('grosAmount must be positive and the sum of the items');
  try {
    if (!/^https?:$/.test(new URL(String(body.redirectUrl)).protocol)) problems.push('redirectUrl must be an http(s) URL');
  } catch {
    problems.push('redirectUrl must be an http(s) URL');
  }
  return problems;
}

export class PaymentSimulator {
  private readonly transactions = new Map<string, Transaction>();
  /** Status queries answered (the runtime asks; it never takes the browser's word). */
  statusQueries = 0;

  constructor(private readonly accounts: SimulatorAccount[], private readonly publicBase: () => string) {}

  /** How often the transaction was charged. */
  charges(transactionId: string): number {
    return this.transactions.get(transactionId)?.charges ?? 0;
  }

  /** The transaction's current status, as the provider knows it. */
  statusOf(transactionId: string): Status | undefined {
    return this.transactions.get(transactionId)?.status;
  }

  /** For tests: the provider reports another amount than was asked for (a tampered transaction). */
  changeAmount(transactionId: string, amountCents: number): void {
    const tx = this.transactions.get(transactionId);
    if (tx) tx.request = { ...tx.request, grosAmount: amountCents / 100 };
  }

  private accountOf(req: FastifyRequest<{ Params: Record<string, string> }>): SimulatorAccount | undefined {
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user, secret] = auth ? Buffer.from(auth, 'base64').toString('utf8').split(':') : [];
    return this.accounts.find((a) => a.originatorId === req.params.originatorId && a.endPointId === req.params.endPointId && a.originatorId === user && a.secret === secret);
  }

  private answer(tx: Transaction): Record<string, unknown> {
    const base = this.publicBase();
    return {
      paymentRequest: tx.request,
      paymentInformation: {
        transactionId: tx.id, status: tx.status,
        transactionUrl: `${base}/paymenttransaction/${tx.account.originatorId}/${tx.account.endPointId}/${tx.id}`,
        transactionRedirectUrl: `${base}/pay/${tx.id}`, transactionReference: tx.request.purpose,
        ...(tx.method ? { paymentMethod: tx.method } : {}), ...(tx.timestamp ? { transactionTimestamp: tx.timestamp } : {}),
      },
    };
  }

  readonly plugin = async (app: FastifyInstance): Promise<void> => {
    // The payment page's buttons are plain forms; what they post is in the path.
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));
    }
    app.post<{ Params: Record<string, string>; Body: Record<string, unknown> }>('/paymenttransaction/:originatorId/:endPointId', async (req, reply) => {
      const account = this.accountOf(req);
      if (!account) return reply.code(401).send({ error: 'unauthorized' });
      const body = (req.body ?? {}) as Record<string, unknown>;
      const problems = problemsOf(body);
      if (problems.length > 0) return reply.code(400).send({ error: 'invalid payment request', problems });
      const tx: Transaction = { id: randomUUID(), account, request: body as Transaction['request'], status: 'INITIAL', charges: 0 };
      this.transactions.set(tx.id, tx);
      return reply.code(201).send(this.answer(tx));
    });
    app.get<{ Params: Record<string, string> }>('/paymenttransaction/:originatorId/:endPointId/:transactionId', async (req, reply) => {
      const account = this.accountOf(req);
      if (!account) return reply.code(401).send({ error: 'unauthorized' });
      const tx = this.transactions.get(req.params.transactionId ?? '');
      if (!tx || tx.account !== account) return reply.code(404).send({ error: 'unknown transaction' });
      this.statusQueries += 1;
      return reply.send(this.answer(tx));
    });
    // What `npm start` prints as the simulator's address: what it is (its payments open only by their own link).
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html('Bezahldienst (Simulator)',
      '<p>Ein lokaler Simulator der XBezahldienste-Schnittstelle (POST /paymenttransaction/…). Ein Antrag mit Gebühr führt über „Jetzt bezahlen“ auf seine Zahlungsseite; dort wählen Sie bezahlt, fehlgeschlagen, abgebrochen oder Zeitüberschreitung.</p>')));
    app.get<{ Params: { id: string } }>('/pay/:id', async (req, reply) => this.page(reply, this.transactions.get(req.params.id)));
    app.post<{ Params: { id: string; choice: string } }>('/pay/:id/:choice', async (req, reply) => this.choose(reply, this.transactions.get(req.params.id), req.params.choice));
  };

  private page(reply: FastifyReply, tx: Transaction | undefined) {
    if (!tx) return reply.code(404).type('text/html; charset=utf-8').send(html('Unbekannte Zahlung', '<p>Diese Zahlung gibt es nicht.</p>'));
    const amount = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(tx.request.grosAmount);
    const items = (tx.request.items as Array<Record<string, unknown>>).map((i) => `<li>${esc(String(i.description ?? ''))}: ${esc(String(i.quantity ?? 1))} ×</li>`).join('');
    const back = `<p><a href="${esc(tx.request.redirectUrl)}">Zurück zum Antrag</a></p>`;
    if (tx.status !== 'INITIAL') return reply.type('text/html; charset=utf-8').send(html('Zahlung abgeschlossen', `<p>Diese Zahlung ist bereits abgeschlossen (${esc(tx.status)}).</p>${back}`));
    const forms = Object.entries(CHOICES).map(([choice, c]) => `<form method="post" action="${esc(this.publicBase())}/pay/${esc(tx.id)}/${choice}"><button type="submit">${esc(c.label)}</button></form>`).join('');
    return reply.type('text/html; charset=utf-8').send(html('Bezahlen', `<p>Verwendungszweck: ${esc(tx.request.purpose)}</p><p>Betrag: <strong>${esc(amount)}</strong></p><ul>${items}</ul>${forms}`));
  }

  private choose(reply: FastifyReply, tx: Transaction | undefined, choice: string) {
    const c = CHOICES[choice];
    if (!tx || !c) return reply.code(404).type('text/html; charset=utf-8').send(html('Unbekannte Zahlung', '<p>Diese Zahlung gibt es nicht.</p>'));
    if (c.status === 'timeout') {
      // The applicant stays away: the transaction remains INITIAL until the runtime's deadline passes.
      return reply.type('text/html; charset=utf-8').send(html('Sitzung abgelaufen', `<p>Die Zeit für die Zahlung ist abgelaufen. Es wurde nichts abgebucht.</p><p><a href="${esc(tx.request.redirectUrl)}">Zurück zum Antrag</a></p>`));
    }
    if (tx.status === 'INITIAL') {
      tx.status = c.status;
      if (c.status === 'BOOKED') {
        tx.charges += 1;
        tx.method = 'CREDITCARD';
        tx.timestamp = new Date().toISOString();
      }
    }
    return reply.redirect(tx.request.redirectUrl, 303);
  }
}

function html(title: string, body: string): string {
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>${esc(title)} – Lokaler Bezahldienst (Demo)</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/** The simulator on its own port (tests: port 0). */
export async function startPaymentSimulator(opts: { port?: number; host?: string; accounts?: SimulatorAccount[] } = {}): Promise<{ url: string; simulator: PaymentSimulator; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  let url = '';
  const simulator = new PaymentSimulator(opts.accounts ?? [{ originatorId: DEMO_PAYMENT.originatorId, endPointId: DEMO_PAYMENT.endPointId, secret: DEMO_PAYMENT.secret }], () => url);
  await app.register(simulator.plugin);
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  url = `http://${opts.host ?? '127.0.0.1'}:${(app.server.address() as AddressInfo).port}`;
  return { url, simulator, close: () => app.close() };
}
