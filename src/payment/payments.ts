/**
 * The runtime's payments: each tenant's provider adapter, the payments table, and the two rules that
 * make a payment trustworthy. (1) A payment's state changes only after asking the provider server
 * to server, and only if the provider's transaction matches ours (id, amount, currency, request
 * id): a browser's return or a forged link changes nothing by itself. (2) A state changes once,
 * from 'initial' (a conditional UPDATE), so a replayed return finds it settled and changes nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../storage/db.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { PaymentConfigError, PaymentMismatchError, PaymentProviderError } from './errors.js';
import { paymentAdapterNamed } from './registry.js';
import type { PaymentAdapter, PaymentItem, PaymentMethod, PaymentProviderConfig, ProviderStatus } from './types.js';

export type PaymentState = 'initial' | 'booked' | 'failed' | 'canceled' | 'timeout';

export interface PaymentRecord {
  id: string;
  tenant: string;
  serviceId: string;
  draftId: string;
  submissionId: string | null;
  provider: string;
  transactionId: string | null;
  transactionUrl: string | null;
  payPageUrl: string | null;
  amountCents: number;
  currency: 'EUR';
  purpose: string;
  status: PaymentState;
  paymentMethod: PaymentMethod | null;
  createdAt: Date;
  expiresAt: Date;
  settledAt: Date | null;
}

interface PaymentRow {
  id: string; tenant: string; service_id: string; draft_id: string; submission_id: string | null; provider: string;
  transaction_id: string | null; transaction_url: string | null; pay_page_url: string | null; amount_cents: number; currency: 'EUR'; purpose: string;
  status: PaymentState; payment_method: PaymentMethod | null; created_at: Date | string; expires_at: Date | string; settled_at: Date | string | null;
}

const recordOf = (r: PaymentRow): PaymentRecord => ({
  id: r.id, tenant: r.tenant, serviceId: r.service_id, draftId: r.draft_id, submissionId: r.submission_id, provider: r.provider,
  transactionId: r.transaction_id, transactionUrl: r.transaction_url, payPageUrl: r.pay_page_url, amountCents: Number(r.amount_cents), currency: r.currency, purpose: r.purpose,
  status: r.status, paymentMethod: r.payment_method, createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at), settledAt: r.settled_at ? new Date(r.settled_at) : null,
});

const COLUMNS = 'id, tenant, service_id, draft_id, submission_id, provider, transaction_id, transaction_url, pay_page_url, amount_cents, currency, purpose, status, payment_method, created_at, expires_at, settled_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATE_OF: Record<ProviderStatus, PaymentState> = { INITIAL: 'initial', BOOKED: 'booked', FAILED: 'failed', CANCELED: 'canceled' };
/** How long a parallel "pay now" waits for the transaction another press is opening (beyond the provider's timeout). */
const OPENING_S = 30;
/** Characters of the purpose's random part: no look-alikes, as in reference numbers. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/**
 * The transfer's purpose: at most 27 characters, no personal data: "EFA", the service id's start
 * and 8 random characters (the provider's booking lists show it; the transaction id links it back).
 */
export function purposeFor(serviceId: string): string {
  const random = [...randomBytes(8)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `EFA ${serviceId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 14)} ${random}`;
}

export interface BeginPayment {
  tenant: string;
  serviceId: string;
  draftId: string;
  amountCents: number;
  description: string;
  items: PaymentItem[];
  /** Our return page's absolute URL for this payment id. */
  returnUrl: (paymentId: string) => string;
}

export interface ReconciliationPayment { id: string; tenant: string; serviceId: string; transactionId: string | null; amountCents: number; bookedAt: string | null; createdAt: string }
export interface ReconciliationSubmission { id: string; reference: string; tenant: string; serviceId: string; paymentPolicy: string; feeCents: number; submittedAt: string }

export class Payments {
  private readonly adapters = new Map<string, PaymentAdapter>();

  /** `timeoutMinutes`: how long an opened transaction may stay unpaid before it counts as timed out. */
  constructor(private readonly db: Database, private readonly configs: ReadonlyMap<string, PaymentProviderConfig>, private readonly env: Record<string, string | undefined>, private readonly allowHttp: boolean, private readonly timeoutMinutes = 30) {}

  /** Whether the tenant has a payment provider. */
  offers(tenant: string): boolean {
    return this.configs.has(tenant);
  }

  /** The tenant's adapter, built at first use (its configuration is checked at start, see runtime.ts). */
  adapterFor(tenant: string): PaymentAdapter {
    const cached = this.adapters.get(tenant);
    if (cached) return cached;
    const config = this.configs.get(tenant);
    if (!config) throw new PaymentConfigError(`the Land "${tenant}" has no payment provider`);
    const adapter = paymentAdapterNamed(config.adapter)(config, this.env, { allowHttp: this.allowHttp });
    this.adapters.set(tenant, adapter);
    return adapter;
  }

  /** Opens a transaction at the provider for a draft; the applicant goes on to `payPageUrl`. */
  async begin(input: BeginPayment): Promise<{ payment: PaymentRecord; payPageUrl: string }> {
    const adapter = this.adapterFor(input.tenant);
    const id = randomUUID();
    const purpose = purposeFor(input.serviceId);
    // "Pay now" again (a double click, two tabs, the back button) goes to the draft's open
    // transaction for this fee, also to one a parallel press is opening right now: one transaction
    // per fee, so the applicant cannot pay twice. The draft's row lock orders two presses.
    const open = await this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM drafts WHERE id = $1 FOR UPDATE', [input.draftId]);
      const { rows } = await tx.query<PaymentRow>(
        `SELECT ${COLUMNS} FROM payments WHERE draft_id = $1 AND status = 'initial' AND amount_cents = $2 AND expires_at > now()
            AND (pay_page_url IS NOT NULL OR created_at > now() - make_interval(secs => $3)) ORDER BY created_at DESC LIMIT 1`,
        [input.draftId, input.amountCents, OPENING_S]);
      if (rows[0]) return rows[0];
      await tx.query(
        `INSERT INTO payments (id, tenant, service_id, draft_id, provider, amount_cents, purpose, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(mins => $8))`,
        [id, input.tenant, input.serviceId, input.draftId, adapter.name, input.amountCents, purpose, this.timeoutMinutes],
      );
      return undefined;
    });
    if (open) return this.opened(open);
    let tx;
    try {
      tx = await adapter.initiate({ requestId: id, amountCents: input.amountCents, currency: 'EUR', purpose, description: input.description, items: input.items, redirectUrl: input.returnUrl(id) });
    } catch (err) {
      // Nothing was opened at the provider: the row would only confuse the reconciliation.
      await this.db.query('DELETE FROM payments WHERE id = $1', [id]);
      throw err;
    }
    if (tx.amountCents !== input.amountCents) throw new PaymentMismatchError('amount');
    const { rows } = await this.db.query<PaymentRow>(`UPDATE payments SET transaction_id = $2, transaction_url = $3, pay_page_url = $4 WHERE id = $1 RETURNING ${COLUMNS}`, [id, tx.transactionId, tx.transactionUrl ?? null, tx.payPageUrl ?? null]);
    return { payment: recordOf(rows[0] as PaymentRow), payPageUrl: tx.payPageUrl as string };
  }

  /** The open transaction's page, once the press that opens it has it (at most OPENING_S). */
  private async opened(row: PaymentRow): Promise<{ payment: PaymentRecord; payPageUrl: string }> {
    for (let current: PaymentRow | undefined = row; current; current = await this.reread(current.id)) {
      if (current.pay_page_url) return { payment: recordOf(current), payPageUrl: current.pay_page_url };
      if (Date.now() - new Date(current.created_at).getTime() > OPENING_S * 1000) break;
      await sleep(100);
    }
    throw new PaymentProviderError('the payment being opened by a parallel request did not get its page');
  }

  private async reread(id: string): Promise<PaymentRow | undefined> {
    return (await this.db.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1 AND status = 'initial'`, [id])).rows[0];
  }

  /** The payment `id` if it belongs to this draft; a forged or another draft's id finds nothing. */
  async find(id: string, draftId: string): Promise<PaymentRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.db.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1 AND draft_id = $2`, [id, draftId]);
    return rows[0] ? recordOf(rows[0]) : undefined;
  }

  /** The draft's payment that counts: a booked one, else the newest. */
  async ofDraft(draftId: string): Promise<PaymentRecord | undefined> {
    const { rows } = await this.db.query<PaymentRow>(
      `SELECT ${COLUMNS} FROM payments WHERE draft_id = $1 ORDER BY (status = 'booked') DESC, created_at DESC LIMIT 1`, [draftId]);
    return rows[0] ? recordOf(rows[0]) : undefined;
  }

  /**
   * Asks the provider for an open payment's state and settles it once. A settled payment is
   * returned as it is (a replayed return changes nothing); a provider transaction that does not
   * match ours throws PaymentMismatchError and leaves the payment open.
   */
  async refresh(payment: PaymentRecord): Promise<PaymentRecord> {
    if (payment.status !== 'initial' || !payment.transactionId) return payment;
    const tx = await this.adapterFor(payment.tenant).status(payment.transactionId);
    if (tx.transactionId !== payment.transactionId) throw new PaymentMismatchError('transaction id');
    if (tx.requestId && tx.requestId !== payment.id) throw new PaymentMismatchError('request id');
    if (tx.currency !== payment.currency) throw new PaymentMismatchError('currency');
    if (tx.amountCents !== payment.amountCents) throw new PaymentMismatchError('amount');
    let next = STATE_OF[tx.status];
    if (next === 'initial' && payment.expiresAt.getTime() <= Date.now()) next = 'timeout';
    if (next === 'initial') return payment;
    const { rows } = await this.db.query<PaymentRow>(
      `UPDATE payments SET status = $2, payment_method = $3, settled_at = now() WHERE id = $1 AND status = 'initial' RETURNING ${COLUMNS}`,
      [payment.id, next, next === 'booked' ? tx.paymentMethod ?? 'OTHER' : null],
    );
    if (rows[0]) return recordOf(rows[0]);
    // Settled meanwhile by a parallel return: what was stored first stands.
    const { rows: now } = await this.db.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [payment.id]);
    return recordOf(now[0] as PaymentRow);
  }

  /** Booked payments no submission took (a draft expired or was abandoned after paying): to refund. */
  async withoutSubmission(tenant?: string, limit = 500): Promise<ReconciliationPayment[]> {
    const { rows } = await this.db.query<{ id: string; tenant: string; service_id: string; transaction_id: string | null; amount_cents: number; settled_at: Date | string | null; created_at: Date | string }>(
      `SELECT id, tenant, service_id, transaction_id, amount_cents, settled_at, created_at FROM payments
        WHERE status = 'booked' AND submission_id IS NULL AND ($1::text IS NULL OR tenant = $1) ORDER BY created_at LIMIT $2`, [tenant ?? null, limit]);
    return rows.map((r) => ({ id: r.id, tenant: r.tenant, serviceId: r.service_id, transactionId: r.transaction_id, amountCents: Number(r.amount_cents), bookedAt: r.settled_at ? new Date(r.settled_at).toISOString() : null, createdAt: new Date(r.created_at).toISOString() }));
  }

  /** Submissions whose service requires payment (before submit or after the decision) without a booked payment. */
  async submissionsWithoutPayment(tenant?: string, limit = 500): Promise<ReconciliationSubmission[]> {
    const { rows } = await this.db.query<{ id: string; reference: string; tenant: string; service_id: string; payment_policy: string; fee_cents: number; submitted_at: Date | string }>(
      `SELECT s.id, s.reference, s.tenant, s.service_id, s.payment_policy, s.fee_cents, s.submitted_at FROM submissions s
        WHERE s.payment_policy IN ('before-submit', 'after-decision') AND s.fee_cents > 0 AND ($1::text IS NULL OR s.tenant = $1)
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.submission_id = s.id AND p.status = 'booked')
        ORDER BY s.submitted_at LIMIT $2`, [tenant ?? null, limit]);
    return rows.map((r) => ({ id: r.id, reference: r.reference, tenant: r.tenant, serviceId: r.service_id, paymentPolicy: r.payment_policy, feeCents: Number(r.fee_cents), submittedAt: new Date(r.submitted_at).toISOString() }));
  }
}
