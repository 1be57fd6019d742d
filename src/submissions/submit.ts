import { randomBytes, randomUUID } from 'node:crypto';
import { EfaError, NoEndpointError, NoResponsibleAuthorityError } from '../core/errors.js';
import { encryptFor, sha512Hex } from '../crypto/jwe.js';
import { endpointFor, type RoutingData } from '../routing/load.js';
import { isPullEndpoint } from '../transports/vocabulary.js';
import type { Authority } from '../routing/types.js';
import type { DirectoryEntry } from '../transports/types.js';
import type { LogicContext, Money } from '../services/contract.js';
import type { LoadedService } from '../services/registry.js';
import type { Database } from '../storage/db.js';
import { countPaid, countSubmitted, submittedCountSql } from '../storage/figure-counts.js';
import { fileRefsIn } from '../attachments/references.js';
import { buildPayload } from '../messages/index.js';
import { applicantEmailOf } from './reply-email.js';
import { UnknownAttachmentError, type AttachmentStore, type SealedFile } from '../attachments/store.js';

export interface Responsible {
  authority: Authority;
  endpoint: DirectoryEntry;
  region: string;
}

/** Finds the responsible authority and its endpoint; both must exist before anything is stored. */
export function resolveResponsible(routing: RoutingData, service: LoadedService, data: unknown): Responsible {
  const region = service.logic.region(data);
  const leikaKey = service.definition.leikaKey;
  const authorityId = routing.responsibility.resolve(leikaKey, region);
  if (!authorityId) throw new NoResponsibleAuthorityError(leikaKey, region);
  const endpoint = endpointFor(routing, authorityId, leikaKey);
  if (!endpoint) throw new NoEndpointError(authorityId, leikaKey);
  return { authority: routing.authorities.get(authorityId) as Authority, endpoint, region };
}

/** The draft was submitted (or expired) meanwhile, e.g. by a double click on "submit". */
export class DraftGoneError extends EfaError {
  constructor() {
    super('EFA_DRAFT_GONE', 'the draft no longer exists', 409);
  }
}

/**
 * A submit failed, and the copies of its files sealed for the authority could not be removed
 * either (the database went away in between). The submit's own error is kept as `submitError`.
 * Nothing was submitted and the draft is unchanged; the left-over sealed chunks are removed by the
 * next sealing's bind or with the draft. The message names no file and no answer, only counts.
 */
export class UnsealError extends EfaError {
  constructor(readonly files: number, readonly submitError: unknown, cause: unknown) {
    super('EFA_UNSEAL_FAILED', `submit failed (${messageOf(submitError)}) and the sealed copies of ${files} file(s) could not be removed: ${messageOf(cause)}`, 500, { cause });
  }
}

function messageOf(err: unknown): string {
  if (err instanceof EfaError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The fee's payment as it travels with the submission (docs/payment.md): the service's policy
 * and, when the applicant paid online, the booked payment (no personal data: ids, amount, method).
 */
export interface SubmissionPayment {
  policy: 'optional' | 'before-submit' | 'after-decision';
  paid?: { paymentId: string; provider: string; transactionId: string; transactionUrl?: string; reference: string; method: string; amountCents: number; bookedAt: string };
}

/** What the payload's meta.payment (and the submissions row) says of the payment. */
export function paymentMeta(payment: SubmissionPayment): Record<string, unknown> {
  const { paid } = payment;
  if (!paid) return { policy: payment.policy, status: 'OPEN' };
  const { paymentId: _, ...shown } = paid;
  return { policy: payment.policy, status: 'BOOKED', ...shown };
}

export interface SubmissionRecord {
  id: string;
  reference: string;
  tenant: string;
  authorityName: string;
  fee: Money;
  submittedAt: string;
  /** 'pull': nothing to deliver, the authority fetches it; whoever hands submissions to a queue must skip it. */
  deliveryMode: DeliveryMode;
}

export type DeliveryMode = 'push' | 'pull';

/** Reference numbers: Land code, year, 8 characters without look-alikes (no 0/O, 1/I/L). */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export function newReference(tenant: string, now = new Date()): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${tenant.toUpperCase()}-${now.getUTCFullYear()}-${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/**
 * Stores a validated application: encrypted for the responsible authority, written together with
 * its outbox entry and the deletion of the draft in one transaction, so a submission is either
 * complete and queued for delivery or not there at all. A submission for an authority that fetches
 * its own (directory transport "pull") gets no outbox entry: it waits, encrypted, for the pull API.
 */
export async function storeSubmission(db: Database, input: {
  tenant: string;
  service: LoadedService;
  data: unknown;
  logicCtx: LogicContext;
  responsible: Responsible;
  draftId?: string;
  /** Makes reference numbers (tests inject collisions here); newReference by default. */
  reference?: (tenant: string) => string;
  /** Where the draft's uploaded files are; needed when the data references any. */
  attachments?: AttachmentStore;
  /** The applicant's sealed copy for their receipt, made for the submission id (DraftStore.sealApplicantCopy). */
  applicantCopy?: (submissionId: string) => Uint8Array;
  /** SHA-256 of the applicant's status key (status-key.ts); the key itself is never passed here. */
  statusKeySha256?: Buffer;
  /** The applicant's login (src/accounts/): its trust level and which answers came from which source. */
  authentication?: { trustLevel: string; prefilled: Array<{ pointer: string; source: string; editable: boolean }> };
  /** The fee's payment (src/payment/): bound to the submission in the same transaction. */
  payment?: SubmissionPayment;
  /** The key of the account the draft was bound to after a login (accounts/sessions.ts accountKey): the Postfach after login lists it. */
  account?: string;
  /** The applicant's e-mail address for answer notices, sealed for the submission id (src/postfach/notify.ts). */
  notifySealed?: (submissionId: string) => Uint8Array;
}): Promise<SubmissionRecord> {
  const makeReference = input.reference ?? newReference;
  const id = randomUUID();
  const submittedAt = new Date().toISOString();
  // 31^8 references per Land and year: a collision is rare (tens a year at a large Land's volume),
  // but each would be a failed submit. The reference is inside the encrypted payload, so a retry
  // builds and encrypts the document again.
  for (let attempt = 1; ; attempt++) {
    const reference = makeReference(input.tenant);
    try {
      return await storeOnce(db, input, { id, reference, submittedAt });
    } catch (err) {
      if (!isReferenceCollision(err) || attempt >= REFERENCE_ATTEMPTS) throw err;
    }
  }
}

const REFERENCE_ATTEMPTS = 5;

/** PostgreSQL's unique_violation on submissions.reference (pg and PGlite both carry the SQLSTATE). */
function isReferenceCollision(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown; detail?: unknown };
  if (e?.code !== '23505') return false;
  if (typeof e.constraint === 'string') return e.constraint === 'submissions_reference_key';
  return /reference/.test(`${String(e.message)} ${String(e.detail)}`);
}

async function storeOnce(db: Database, input: Parameters<typeof storeSubmission>[1], ids: { id: string; reference: string; submittedAt: string }): Promise<SubmissionRecord> {
  const { service, data, logicCtx, responsible } = input;
  const { id, reference, submittedAt } = ids;
  const fee = service.logic.fee(data, logicCtx);
  const derived = service.logic.derive(data, logicCtx) as Record<string, unknown>;
  // What the confirmation page will show of the logic (service.json "display"), fixed at submission.
  const shown = Object.fromEntries((service.definition.display ?? []).filter((d) => (d.pages ?? ['confirmation']).includes('confirmation'))
    .map((d) => [d.value, d.value === 'fee' ? fee : derived?.[d.value.slice('derived.'.length)] ?? null]));
  const files = fileRefsIn(data);
  // Every file the data references is re-encrypted for the authority before the transaction (this
  // streams and may take a while); the transaction then only binds the sealed copies.
  let sealed: SealedFile[] = [];
  if (files.length > 0) {
    if (!input.attachments || !input.draftId) throw new UnknownAttachmentError(files[0]?.id as string);
    if ((await db.query('SELECT id FROM drafts WHERE id = $1', [input.draftId])).rows.length === 0) throw new DraftGoneError();
    sealed = await input.attachments.seal(input.draftId, files, responsible.endpoint.encryptionKey);
  }
  const document = {
    meta: { submissionId: id, reference, submittedAt, tenant: input.tenant, service: service.definition.id, serviceVersion: service.definition.version, leikaKey: service.definition.leikaKey, schema: service.schemaUri, region: responsible.region, ...(input.authentication ? { authentication: input.authentication } : {}), ...(input.payment ? { payment: paymentMeta(input.payment) } : {}) },
    data,
    derived,
    fee,
    // The files' hashes are part of the payload, so the payload's hash covers them too.
    attachments: files.map((f) => ({ id: f.id, pointer: f.pointer, filename: f.filename, mediaType: f.mediaType, size: f.size, sha512: f.sha512 })),
  };
  // The entry's format as routing has it now: a changed payloadFormat applies from the next submission.
  const { text, mediaType, format, messageType } = await buildPayload(service, responsible.endpoint.payloadFormat, document, { authority: { id: responsible.authority.id, name: responsible.authority.name }, endpoint: { identifiers: responsible.endpoint.identifiers } });
  const jwe = await encryptFor(responsible.endpoint.encryptionKey, text, mediaType);
  const mode: DeliveryMode = isPullEndpoint(responsible.endpoint) ? 'pull' : 'push';
  // Only a push delivery announces it (a pull authority reads it in the payload); cleared once delivered.
  const replyEmail = mode === 'push' ? applicantEmailOf(service, data as Record<string, unknown>) ?? null : null;
  try {
    await db.transaction(async (tx) => {
      // Locks the draft: of two submits at once (a double click) one waits here and then finds it gone.
      // Without files to bind to the submission, deleting it at once locks it as well (one statement
      // less on the hot path); with files, it stays until they are bound (its files go with it).
      const deleteFirst = Boolean(input.draftId) && sealed.length === 0;
      // The draft's opening time goes into the figures' duration bucket (src/storage/figure-counts.ts).
      let draftCreatedAt: Date | string | undefined;
      if (input.draftId) {
        const draft = deleteFirst
          ? await tx.query<{ created_at: Date | string }>('DELETE FROM drafts WHERE id = $1 RETURNING created_at', [input.draftId], { name: 'efa_submit_draft_delete' })
          : await tx.query<{ created_at: Date | string }>('SELECT created_at FROM drafts WHERE id = $1 FOR UPDATE', [input.draftId]);
        if (draft.rows.length === 0) throw new DraftGoneError();
        draftCreatedAt = draft.rows[0]?.created_at;
      }
      await tx.query(
        `INSERT INTO submissions (id, reference, tenant, service_id, service_version, leika_key, region, authority_id, authority_name, status, payload_jwe, payload_media_type, payload_sha512, schema_uri, fee_cents, submitted_at, delivery_mode, shown, applicant_copy, payload_format, message_type, trust_level, reply_email, payment_policy, payment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
        [id, reference, input.tenant, service.definition.id, service.definition.version, service.definition.leikaKey, responsible.region, responsible.authority.id, responsible.authority.name, jwe, mediaType, sha512Hex(text), service.schemaUri, fee.cents, submittedAt, mode, JSON.stringify(shown), input.applicantCopy?.(id) ?? null, format, messageType ?? null, input.authentication?.trustLevel ?? null, replyEmail, input.payment?.policy ?? null, input.payment ? JSON.stringify(paymentMeta(input.payment)) : null], { name: 'efa_submit_insert' },
      );
      // The booked payment belongs to this submission now; a payment taken by another submit means this draft was submitted meanwhile.
      const paid = input.payment?.paid;
      if (paid && (await tx.query(`UPDATE payments SET submission_id = $1 WHERE id = $2 AND status = 'booked' AND submission_id IS NULL`, [id, paid.paymentId])).rowCount === 0) throw new DraftGoneError();
      if (input.account) await tx.query('UPDATE submissions SET account = $2 WHERE id = $1', [id, input.account]);
      if (input.notifySealed) await tx.query('UPDATE submissions SET notify_sealed = $2 WHERE id = $1', [id, input.notifySealed(id)]);
      if (input.statusKeySha256) await tx.query('INSERT INTO submission_status_keys (submission_id, key_sha256) VALUES ($1, $2)', [id, input.statusKeySha256], { name: 'efa_submit_status_key' });
      if (sealed.length > 0) await input.attachments?.bind(tx, id, input.draftId as string, sealed);
      if (input.draftId && !deleteFirst && (await tx.query('DELETE FROM drafts WHERE id = $1', [input.draftId])).rowCount === 0) throw new DraftGoneError();
      // Bound above exactly once, so a paid submission counts once in the figures' payment share.
      if (paid) await countPaid(tx, { tenant: input.tenant, serviceId: service.definition.id, submittedAt });
      // Last, so the figures' counter row (src/storage/figure-counts.ts) is locked only until the
      // commit; for a push submission in the outbox's statement, without a round trip of its own.
      const counted = { tenant: input.tenant, serviceId: service.definition.id, submittedAt, draftCreatedAt };
      if (mode === 'push') {
        const count = submittedCountSql(counted, 2);
        await tx.query(`WITH counted AS (${count.sql}) INSERT INTO outbox (submission_id) VALUES ($1)`, [id, ...count.params], { name: `efa_submit_outbox_${count.name}` });
      } else await countSubmitted(tx, counted);
    });
  } catch (err) {
    try {
      await input.attachments?.unseal(sealed);
    } catch (unsealErr) {
      throw new UnsealError(sealed.length, err, unsealErr);
    }
    throw err;
  }
  return { id, reference, tenant: input.tenant, authorityName: responsible.authority.name, fee, submittedAt, deliveryMode: mode };
}
