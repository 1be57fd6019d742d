/**
 * Paying the fee (docs/payment.md): the check page's payment box, "pay now" (a transaction opened
 * at the Land's provider, the applicant sent to its payment page) and the return page. The return
 * page never believes its address: it finds the payment by id within this browser's draft, asks
 * the provider for the state server to server, and settles the payment once (src/payment/). The
 * draft stays as it is whatever happens here.
 */
import type { FastifyReply } from 'fastify';
import { EfaError } from '../../core/errors.js';
import { pruneHidden, validateAll, type StepContext } from '../../forms/validate.js';
import { t } from '../../forms/text.js';
import { PaymentMismatchError } from '../../payment/errors.js';
import type { PaymentRecord, PaymentState } from '../../payment/payments.js';
import type { PaymentPolicy } from '../../payment/types.js';
import type { Money } from '../../services/contract.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import type { SubmissionPayment } from '../../submissions/submit.js';
import type { Runtime } from '../../runtime.js';
import { stepContext } from './logic.js';
import { fill, paymentTexts, type PaymentTexts } from './payment-texts.js';
import { linkOrigin, type ApplicantPages, type Req, type RouteTypes, type ServiceContext } from './request.js';
import { berlinToday, formOf, money, type PageEnv, type PageView } from './view.js';

export const PAY_SEGMENT = 'bezahlen';

export const policyOf = (service: LoadedService): PaymentPolicy => service.definition.payment?.policy ?? 'inactive';

/** Where a complete draft stands with its fee: the policy, the fee, its payments. */
export interface PaymentStanding {
  policy: Exclude<PaymentPolicy, 'inactive'>;
  fee: Money;
  /** Whether the applicant can pay online here (policy and the Land's provider). */
  online: boolean;
  /** The draft's payment that counts (booked first, else the newest). */
  last?: PaymentRecord;
  /** The booked payment for exactly this fee, if any. */
  paid?: PaymentRecord;
}

/**
 * The draft's payment standing, or undefined when there is nothing to pay (no policy, fee 0, or the
 * answers are incomplete). An open payment is asked after at the provider first, so a payment
 * completed in another tab (or without coming back) counts.
 */
export async function standingOf(rt: Runtime, p: PageEnv, service: LoadedService, draft: Draft, ctx: StepContext): Promise<PaymentStanding | undefined> {
  const policy = policyOf(service);
  if (policy === 'inactive') return undefined;
  const form = formOf(p.tenant, service.definition.id);
  const data = pruneHidden(form, draft.data, ctx.conditions);
  if (validateAll(service, form, data, ctx)) return undefined;
  const fee = service.logic.fee(data, ctx.logic);
  if (fee.cents <= 0) return undefined;
  const online = policy !== 'after-decision' && rt.payments.offers(p.tenant.id);
  let last = online ? await rt.payments.ofDraft(draft.id) : undefined;
  if (last?.status === 'initial') {
    try {
      last = await rt.payments.refresh(last);
    } catch (err) {
      // The provider is away or disagrees: the payment stays open, the page says what it knows.
      if (!(err instanceof EfaError)) throw err;
    }
  }
  const paid = last?.status === 'booked' && last.amountCents === fee.cents ? last : undefined;
  return { policy, fee, online, last, paid };
}

export const blocksSubmit = (s: PaymentStanding | undefined): boolean => s?.policy === 'before-submit' && !s.paid;

/** What travels with the submission: the policy and the booked payment. */
export function submissionPayment(s: PaymentStanding | undefined): SubmissionPayment | undefined {
  if (!s) return undefined;
  const paid = s.paid;
  return {
    policy: s.policy,
    ...(paid?.transactionId ? { paid: { paymentId: paid.id, provider: paid.provider, transactionId: paid.transactionId, ...(paid.transactionUrl ? { transactionUrl: paid.transactionUrl } : {}), reference: paid.purpose, method: paid.paymentMethod ?? 'OTHER', amountCents: paid.amountCents, bookedAt: (paid.settledAt ?? paid.createdAt).toISOString() } } : {}),
  };
}

const LAST_NOTE: Partial<Record<PaymentState, keyof PaymentTexts>> = { failed: 'lastFailed', canceled: 'lastCanceled', timeout: 'lastTimeout' };

/** The check page's payment box; `refused`: a submit was just refused for want of payment. */
export function paymentBox(p: PageEnv, service: LoadedService, s: PaymentStanding | undefined, csrf: string, refused = false): Record<string, unknown> | undefined {
  if (!s) return undefined;
  const tx = paymentTexts[p.lang];
  const amount = money(s.fee, p.lang);
  if (s.policy === 'after-decision') return { title: tx.boxTitle, text: fill(tx.afterDecision, amount) };
  if (s.paid) return { title: tx.boxTitle, paid: fill(tx.paid, s.paid ? money({ cents: s.paid.amountCents, currency: 'EUR' }, p.lang) : amount), referenceLabel: tx.paidReference, reference: s.paid.transactionId };
  if (!s.online) return undefined;
  const changed = s.last?.status === 'booked' && s.last.amountCents !== s.fee.cents;
  const note = changed ? fill(tx.amountChanged, amount) : s.last && LAST_NOTE[s.last.status] ? tx[LAST_NOTE[s.last.status] as keyof PaymentTexts] : undefined;
  return {
    title: tx.boxTitle, text: s.policy === 'before-submit' ? tx.required : tx.optional, note, refused: refused ? tx.blocked : undefined,
    action: `${p.base}/${service.definition.id}/${PAY_SEGMENT}`, csrf, button: fill(tx.payNow, amount),
  };
}

type Outcome = PaymentState | 'mismatch' | 'unknown' | 'unavailable';
const OUTCOME: Record<Outcome, { title: keyof PaymentTexts; text: keyof PaymentTexts; status: number }> = {
  booked: { title: 'successTitle', text: 'success', status: 200 },
  failed: { title: 'failedTitle', text: 'failed', status: 200 },
  canceled: { title: 'canceledTitle', text: 'canceled', status: 200 },
  timeout: { title: 'timeoutTitle', text: 'timeout', status: 200 },
  initial: { title: 'pendingTitle', text: 'pending', status: 202 },
  mismatch: { title: 'mismatchTitle', text: 'mismatch', status: 409 },
  unknown: { title: 'unknownTitle', text: 'unknown', status: 404 },
  unavailable: { title: 'unavailableTitle', text: 'unavailable', status: 503 },
};

/** The page after the provider (or after a failed start): what happened, and the way on. */
export function paymentResultView(p: PageEnv, service: LoadedService, outcome: Outcome, opts: { amountCents?: number; csrf: string; againHref?: string }): PageView {
  const tx = paymentTexts[p.lang];
  const o = OUTCOME[outcome];
  const amount = opts.amountCents ? money({ cents: opts.amountCents, currency: 'EUR' }, p.lang) : '';
  const id = service.definition.id;
  const retry = outcome === 'failed' || outcome === 'canceled' || outcome === 'timeout';
  return {
    template: 'payment', title: tx[o.title], status: o.status,
    context: {
      heading: tx[o.title], text: fill(tx[o.text], amount), success: outcome === 'booked', problem: outcome === 'mismatch' || outcome === 'unavailable',
      checkHref: `${p.base}/${id}/pruefen`, checkLabel: outcome === 'booked' ? tx.toCheckAndSubmit : tx.toCheck,
      retry: retry ? { action: `${p.base}/${id}/${PAY_SEGMENT}`, csrf: opts.csrf, label: tx.payAgain } : undefined,
      againHref: outcome === 'initial' ? opts.againHref : undefined, againLabel: tx.checkAgain,
    },
  };
}

/** "Pay now": a complete draft with a fee and no payment for it yet goes to the provider's page. */
async function startPayment(pages: ApplicantPages, req: Req, reply: FastifyReply, { p, service, draft }: ServiceContext) {
  const { rt } = pages;
  const id = service.definition.id;
  const ctx = stepContext(p, rt.places, service, berlinToday(), draft.data);
  const standing = await standingOf(rt, p, service, draft, ctx);
  // Nothing to pay here (or paid already): the check page says why.
  if (!standing?.online || standing.paid) return reply.redirect(`${p.base}/${id}/pruefen`, 303);
  const description = t(service.definition.payment?.description ?? service.definition.title, 'de').slice(0, 250);
  try {
    const { payPageUrl } = await rt.payments.begin({
      tenant: p.tenant.id, serviceId: id, draftId: draft.id, amountCents: standing.fee.cents, description,
      items: [{ id: 'gebuehr', description, quantity: 1, singleGrossCents: standing.fee.cents }],
      returnUrl: (paymentId) => `${linkOrigin(req)}${p.base}/${id}/${PAY_SEGMENT}/rueckkehr?zahlung=${paymentId}`,
    });
    return reply.redirect(payPageUrl, 303);
  } catch (err) {
    if (!(err instanceof EfaError)) throw err;
    req.log.warn({ code: err.code, tenant: p.tenant.id, service: id }, 'payment could not be started');
    return pages.send(reply, p, paymentResultView(p, service, 'unavailable', { csrf: reply.generateCsrf() }));
  }
}

/** The provider's way back: the payment of this draft, its state asked of the provider. */
async function paymentReturn(pages: ApplicantPages, req: Req, reply: FastifyReply, { p, service, draft }: ServiceContext) {
  const { rt } = pages;
  const csrf = reply.generateCsrf();
  const found = await rt.payments.find(String(req.query.zahlung ?? ''), draft.id);
  if (!found || found.serviceId !== service.definition.id) return pages.send(reply, p, paymentResultView(p, service, 'unknown', { csrf }));
  let payment: PaymentRecord;
  try {
    payment = await rt.payments.refresh(found);
  } catch (err) {
    if (!(err instanceof EfaError)) throw err;
    // Only codes and ids: nothing of the applicant goes to the log.
    req.log.warn({ code: err.code, payment: found.id }, 'payment return not accepted');
    return pages.send(reply, p, paymentResultView(p, service, err instanceof PaymentMismatchError ? 'mismatch' : 'unavailable', { csrf, amountCents: found.amountCents }));
  }
  const againHref = `${p.base}/${service.definition.id}/${PAY_SEGMENT}/rueckkehr?zahlung=${payment.id}`;
  return pages.send(reply, p, paymentResultView(p, service, payment.status, { csrf, amountCents: payment.amountCents, againHref }));
}

export function registerPayment(pages: ApplicantPages): void {
  const { app } = pages;
  app.post<RouteTypes>(`/:tenant/:service/${PAY_SEGMENT}`, { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await pages.serviceContext(req, reply);
    if (!ctx) return;
    return startPayment(pages, req, reply, ctx);
  });
  app.get<RouteTypes>(`/:tenant/:service/${PAY_SEGMENT}/rueckkehr`, async (req: Req, reply) => {
    const ctx = await pages.serviceContext(req, reply);
    if (!ctx) return;
    return paymentReturn(pages, req, reply, ctx);
  });
}
