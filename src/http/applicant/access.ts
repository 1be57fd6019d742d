/**
 * Who may see a submitted application (the confirmation, status and receipt pages): the holder of
 * its status key (the link from the confirmation page), or the browser that submitted (its status
 * cookie holds the key). A submission id alone gets a page saying so, for any id.
 */
import type { FastifyReply } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { cookieWithKey, isStatusKey, keysInCookie, matchesStatusKey, statusKeyHash, STATUS_COOKIE } from '../../submissions/status-key.js';
import { trustAtLeast, type TrustLevel } from '../../accounts/types.js';
import { overviewSessionOf } from './account.js';
import { authorityName, type SubmissionFacts } from './facts.js';
import type { Req } from './request.js';
import { uiOf, type PageEnv, type PageView } from './view.js';

/** The receipt's path below a status page (/<tenant>/status/<key>/…). */
export const RECEIPT_FILE = 'eingangsbestaetigung.pdf';

export interface SubmissionView {
  id: string;
  reference: string;
  service_id: string;
  authority_name: string;
  status: string;
  fee_cents: number;
  /** The declared facts of the logic at submission (service.json "display"). */
  shown: Record<string, unknown> | null;
  /** The fee's payment at submit (docs/payment.md); null without a payment policy. */
  payment?: { status: string; transactionId?: string; amountCents?: number } | null;
  submitted_at: Date | string;
  /** 'pull': the authority collects the submission itself over the pull API. */
  delivery_mode: string;
  /** When the authority accepted or rejected it. */
  decided_at: Date | string | null;
  authority_id: string;
  /** The delivered attempt's receipt was signed by the authority and checked. */
  confirmed: boolean;
  /** Handed over to an authority that decides later (FIT-Connect); its decision is being followed. */
  awaiting_decision: boolean;
  /** When the retention purge removed the payload and the applicant's copy (null: not yet). */
  payload_purged_at: Date | string | null;
  /** SHA-256 of the status key; null for submissions from before status keys. */
  key_sha256: Uint8Array | null;
  /** The key of the account it was submitted with (the Postfach after login), null when anonymous. */
  account: string | null;
  /** The login's level at submit, null when anonymous. */
  trust_level: TrustLevel | null;
}

export interface StatusAccess {
  row: SubmissionView;
  /** The status key the request proved (in its path or its cookie): the links on the page carry it. */
  key: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A submission as its own tenant may show it: another Land's is simply not found. */
async function submissionWhere(rt: Runtime, tenant: string, where: 's.id = $2' | 'k.key_sha256 = $2', value: string | Buffer): Promise<SubmissionView | undefined> {
  const { rows } = await rt.db.query<SubmissionView>(
    `SELECT s.id, s.reference, s.service_id, s.authority_name, s.status, s.fee_cents, s.shown, s.submitted_at, s.delivery_mode, d.decided_at, s.authority_id, s.payload_purged_at, s.payment, k.key_sha256, s.account, s.trust_level,
            s.delivery_mode = 'pull' OR EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.submission_id = s.id AND a.outcome = 'delivered' AND a.receipt->>'verified' = 'true') AS confirmed,
            EXISTS (SELECT 1 FROM delivery_followups f WHERE f.submission_id = s.id) AS awaiting_decision
       FROM submissions s LEFT JOIN submission_decisions d ON d.submission_id = s.id LEFT JOIN submission_status_keys k ON k.submission_id = s.id
      WHERE s.tenant = $1 AND ${where}`,
    [tenant, value],
  );
  return rows[0];
}

/**
 * Who may see a submission through /status/<param>: the holder of its status key, or, for a
 * submission id, the browser whose status cookie holds that submission's key. 'key-needed': an id
 * without that cookie (the same answer whether or not the id exists).
 */
export async function statusAccess(rt: Runtime, req: Req, p: PageEnv): Promise<StatusAccess | 'key-needed' | undefined> {
  const param = req.params.key ?? '';
  if (isStatusKey(param)) {
    const row = await submissionWhere(rt, p.tenant.id, 'k.key_sha256 = $2', statusKeyHash(param));
    return row ? { row, key: param } : undefined;
  }
  if (!UUID.test(param)) return undefined;
  return (await accessByCookie(rt, req, p, param)) ?? (await accessByAccount(rt, req, p, param)) ?? 'key-needed';
}

/**
 * The account logged in to this Land's Postfach sees the applications it submitted, by their id
 * (the links of its overview); another account's, or an anonymous one, is not found for it.
 */
async function accessByAccount(rt: Runtime, req: Req, p: PageEnv, id: string): Promise<StatusAccess | undefined> {
  const current = await overviewSessionOf(rt, req, p);
  if (!current) return undefined;
  const row = await submissionWhere(rt, p.tenant.id, 's.id = $2', id);
  const own = row && row.account !== null && row.account === current.session.account;
  // Submitted at a higher level than this login reached: that level's login opens it.
  return own && (row.trust_level === null || trustAtLeast(current.session.trustLevel, row.trust_level)) ? { row, key: id } : undefined;
}

export async function accessByCookie(rt: Runtime, req: Req, p: PageEnv, id: string): Promise<StatusAccess | undefined> {
  const keys = keysInCookie(req.cookies[STATUS_COOKIE]);
  if (keys.length === 0 || !UUID.test(id)) return undefined;
  const row = await submissionWhere(rt, p.tenant.id, 's.id = $2', id);
  const key = row && keys.find((k) => matchesStatusKey(k, row.key_sha256));
  return row && key ? { row, key } : undefined;
}

/** The browser that submitted keeps the key in an HttpOnly cookie for this Land's pages only. */
export function keepStatusCookie(rt: Runtime, req: Req, reply: FastifyReply, p: PageEnv, key: string): void {
  void reply.setCookie(STATUS_COOKIE, cookieWithKey(req.cookies[STATUS_COOKIE], key), {
    httpOnly: true, sameSite: 'lax', secure: rt.config.production ? true : 'auto', path: p.base || '/', maxAge: rt.config.draftTtlDays * 86400,
  });
}

export function keyNeededView(p: PageEnv): PageView {
  const ui = uiOf(p);
  return { template: 'error', title: ui.statusLinkNeededTitle, context: { message: ui.statusLinkNeeded, homeHref: `${p.base}/` }, status: 404 };
}

export function applicantFacts(rt: Runtime, p: PageEnv, row: SubmissionView, key: string): SubmissionFacts {
  // The stored name is the German one; the English name comes from the routing data in force.
  const known = rt.routing.authorities.get(row.authority_id);
  const authorityName_ = known ? authorityName({ name: row.authority_name, nameEn: known.nameEn }, p.lang) : row.authority_name;
  return { ...factsOf(row), authorityName: authorityName_, authority: known, receiptHref: `${p.base}/status/${key}/${RECEIPT_FILE}?lang=${p.lang}` };
}

function factsOf(row: SubmissionView) {
  return { reference: row.reference, serviceId: row.service_id, authorityName: row.authority_name, status: row.status, feeCents: row.fee_cents, submittedAt: row.submitted_at, shown: row.shown };
}

/** The declared facts are computed from the answers: they go when the retention purge takes those. */
export function withoutFactsOncePurged(row: SubmissionView, view: PageView): PageView {
  return row.payload_purged_at ? { ...view, context: { ...view.context, facts: [] } } : view;
}
