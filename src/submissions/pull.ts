import { EfaError } from '../core/errors.js';
import { decodeCursor, encodeCursor } from '../storage/cursor.js';
import { PULL_API_BASE, PULL_TRANSPORT, authenticationTag, type Problem } from '../transports/vocabulary.js';
import type { Database, Queryable } from '../storage/db.js';
import { attachmentsOf } from '../attachments/store.js';
import type { OutboundAttachment } from '../transports/types.js';
import type { SubmissionRow } from './row.js';

/**
 * The authority side of pull submissions (directory transport "pull"): what an authority may list,
 * fetch and decide. Every query is scoped to the calling authority's own pull submissions, so an id
 * of another authority behaves exactly like an id that does not exist.
 */

export type Decision = 'accepted' | 'rejected';

/** Another authority's submission, a push submission and a missing one look the same from outside. */
export class PullSubmissionNotFoundError extends EfaError {
  constructor(id: string) {
    super('EFA_SUBMISSION_NOT_FOUND', `no submission ${id} for this authority`, 404);
  }
}

/** A decision differs from the one already recorded; decisions are final. */
export class DecisionConflictError extends EfaError {
  constructor(id: string, readonly recorded: Decision) {
    super('EFA_DECISION_CONFLICT', `submission ${id} was already ${recorded}; a decision cannot be changed`, 409);
  }
}

/** Accepting or rejecting what was never fetched would decide on a document nobody read. */
export class NotFetchedError extends EfaError {
  constructor(id: string) {
    super('EFA_SUBMISSION_NOT_FETCHED', `submission ${id} has not been fetched yet: GET it before deciding`, 409);
  }
}

/** A signed accept event names another ciphertext than the one stored: it accepts something else. */
export class EventMismatchError extends EfaError {
  constructor(id: string) {
    super('EFA_EVENT_MISMATCH', `the accept event's authenticationTags.data is not the tag of submission ${id}'s encrypted data`, 422);
  }
}

export interface PendingItem {
  submissionId: string;
  reference: string;
  serviceId: string;
  leikaKey: string;
  submittedAt: string;
  /** 'submitted': never fetched; 'delivered': fetched, not yet decided. */
  status: 'submitted' | 'delivered';
  /** For an applicant's reply (docs/postfach.md): the application whose case it belongs to. */
  caseId?: string;
}

export interface PendingPage {
  offset: number;
  limit: number;
  totalCount: number;
  submissions: PendingItem[];
  /** Cursor for the page after this one (`after`); null on the last page. */
  next: string | null;
}

export interface RecordedDecision {
  decision: Decision;
  problems: Problem[];
  decidedAt: string;
  clientId: string;
  /** True when the authority sent a signed event token that verified. */
  signed: boolean;
}

export interface PulledSubmission {
  submissionId: string;
  authorityId: string;
  reference: string;
  tenant: string;
  serviceId: string;
  serviceVersion: string;
  leikaKey: string;
  region: string;
  submittedAt: string;
  status: string;
  payloadJwe: string;
  mediaType: string;
  sha512: string;
  schemaUri: string;
  /** For an applicant's reply (docs/postfach.md): the application whose case it belongs to. */
  caseId?: string;
  decision?: RecordedDecision;
}

/** The columns the pull API reads: never authority_name or fee, which the authority knows itself. */
type PullRow = Pick<SubmissionRow, 'id' | 'authority_id' | 'reference' | 'tenant' | 'service_id' | 'service_version' | 'leika_key' | 'region' | 'submitted_at' | 'status' | 'payload_jwe' | 'payload_media_type' | 'payload_sha512' | 'schema_uri'> & { case_id: string | null };

interface DecisionRow {
  decision: Decision;
  problems: Problem[];
  decided_at: Date | string;
  client_id: string;
  evidence: string | null;
}

const OWN_PULL = `authority_id = $1 AND delivery_mode = 'pull'`;

/**
 * The authority's undecided submissions, oldest first; ties broken by id so pages never overlap.
 * Keyset paging with `after` (the previous page's `next`) reads the submissions_pull_pending
 * index from that position on; `offset` stays for clients that used it and is capped by the route.
 */
export async function listPending(db: Queryable, authorityId: string, page: { offset: number; limit: number; after?: string }): Promise<PendingPage> {
  const q = pendingQueries(authorityId, page);
  const [{ rows }, count] = await Promise.all([
    db.query<{ id: string; reference: string; service_id: string; leika_key: string; submitted_at: Date | string; cursor_at: string; status: PendingItem['status']; case_id: string | null }>(q.page.sql, q.page.args),
    db.query<{ n: string }>(q.count.sql, q.count.args),
  ]);
  const shown = rows.slice(0, page.limit);
  const last = shown[shown.length - 1];
  return {
    offset: page.offset, limit: page.limit,
    totalCount: Number(count.rows[0]?.n ?? 0),
    submissions: shown.map((r) => ({ submissionId: r.id, reference: r.reference, serviceId: r.service_id, leikaKey: r.leika_key, submittedAt: iso(r.submitted_at), status: r.status, ...(r.case_id ? { caseId: r.case_id } : {}) })),
    next: rows.length > page.limit && last ? encodeCursor(last.cursor_at, last.id) : null,
  };
}

/** The SQL of one page of pending submissions and of their count; exported so a test can EXPLAIN exactly what the route runs. */
export function pendingQueries(authorityId: string, page: { offset: number; limit: number; after?: string }): { page: { sql: string; args: unknown[] }; count: { sql: string; args: unknown[] } } {
  const pending = `${OWN_PULL} AND status IN ('submitted', 'delivered')`;
  const args: unknown[] = [authorityId, page.offset, page.limit + 1];
  let keyset = '';
  if (page.after) {
    const { at, id } = decodeCursor(page.after);
    keyset = ` AND (submitted_at, id) > ($${args.push(at)}::timestamptz, $${args.push(id)}::uuid)`;
  }
  return {
    page: { sql: `SELECT id, reference, service_id, leika_key, submitted_at, submitted_at::text AS cursor_at, status, case_id FROM submissions WHERE ${pending}${keyset} ORDER BY submitted_at, id OFFSET $2 LIMIT $3`, args },
    count: { sql: `SELECT count(*)::text AS n FROM submissions WHERE ${pending}`, args: [authorityId] },
  };
}

/**
 * One submission for its authority. The first fetch is the delivery: the status moves to
 * `delivered` and a delivery attempt with transport "pull" is recorded, so the operator sees when
 * and by which client it was picked up. Fetching again changes nothing.
 */
export async function fetchForAuthority(db: Database, authorityId: string, id: string, clientId: string): Promise<PulledSubmission> {
  return db.transaction(async (tx) => {
    const picked = await tx.query(`UPDATE submissions SET status = 'delivered', last_error = NULL, updated_at = now() WHERE id = $2 AND ${OWN_PULL} AND status = 'submitted' RETURNING id`, [authorityId, id]);
    if (picked.rowCount > 0) await recordPickup(tx, id, clientId);
    const row = await ownRow(tx, authorityId, id, false);
    if (!row) throw new PullSubmissionNotFoundError(id);
    return toPulled(row, await decisionOf(tx, id));
  });
}

async function recordPickup(tx: Queryable, id: string, clientId: string): Promise<void> {
  const deliveredAt = new Date().toISOString();
  const receipt = { transport: PULL_TRANSPORT, deliveredAt, receiverReference: clientId, verified: false };
  await tx.query(
    `INSERT INTO delivery_attempts (submission_id, attempt, transport, address, started_at, finished_at, outcome, error, receipt)
     VALUES ($1, (SELECT COALESCE(max(attempt), 0) + 1 FROM delivery_attempts WHERE submission_id = $1), $2, $3, $4, $4, 'delivered', NULL, $5)`,
    [id, PULL_TRANSPORT, `${PULL_API_BASE}/submissions/${id}`, deliveredAt, JSON.stringify(receipt)],
  );
}

export interface NewDecision {
  decision: Decision;
  problems: Problem[];
  clientId: string;
  /** The authority's signed event token, when the decision came as one. */
  evidence?: string;
  /** authenticationTags.data of a signed accept event: must be the stored ciphertext's tag. */
  dataTag?: string;
}

/**
 * Records the authority's decision and moves the status the applicant sees. Repeating the same
 * decision returns the recorded one (a client may retry after a lost answer); another decision is
 * a conflict. The row lock serialises concurrent decisions on one submission.
 */
export async function decide(db: Database, authorityId: string, id: string, input: NewDecision): Promise<{ decision: RecordedDecision; repeated: boolean }> {
  return db.transaction(async (tx) => {
    const row = await ownRow(tx, authorityId, id, true);
    if (!row) throw new PullSubmissionNotFoundError(id);
    const recorded = await decisionOf(tx, id);
    if (recorded) {
      if (recorded.decision !== input.decision) throw new DecisionConflictError(id, recorded.decision);
      return { decision: recorded, repeated: true };
    }
    if (row.status === 'submitted') throw new NotFetchedError(id);
    if (input.dataTag !== undefined && input.dataTag !== authenticationTag(row.payload_jwe)) throw new EventMismatchError(id);
    const { rows } = await tx.query<DecisionRow>(
      `INSERT INTO submission_decisions (submission_id, decision, problems, client_id, evidence) VALUES ($1, $2, $3, $4, $5)
       RETURNING decision, problems, decided_at, client_id, evidence`,
      [id, input.decision, JSON.stringify(input.problems), input.clientId, input.evidence ?? null],
    );
    await tx.query('UPDATE submissions SET status = $2, updated_at = now() WHERE id = $1', [id, input.decision]);
    return { decision: toDecision(rows[0] as DecisionRow), repeated: false };
  });
}

/** A file of another submission, or one that does not exist: the same from outside. */
export class PullAttachmentNotFoundError extends EfaError {
  constructor(id: string, attachmentId: string) {
    super('EFA_ATTACHMENT_NOT_FOUND', `no attachment ${attachmentId} in submission ${id} for this authority`, 404);
  }
}

/** The files of one of the authority's own pull submissions (each opens as a stream of its JWE). */
export async function attachmentsForAuthority(db: Queryable, authorityId: string, id: string): Promise<OutboundAttachment[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM submissions WHERE id = $2 AND ${OWN_PULL}`, [authorityId, id]);
  if (!rows[0]) throw new PullSubmissionNotFoundError(id);
  return attachmentsOf(db, id);
}

/** The service key of one of the authority's pull submissions (for the directory entry that applies). */
export async function leikaKeyOf(db: Queryable, authorityId: string, id: string): Promise<string> {
  const { rows } = await db.query<{ leika_key: string }>(`SELECT leika_key FROM submissions WHERE id = $2 AND ${OWN_PULL}`, [authorityId, id]);
  if (!rows[0]) throw new PullSubmissionNotFoundError(id);
  return rows[0].leika_key;
}

async function ownRow(tx: Queryable, authorityId: string, id: string, lock: boolean): Promise<PullRow | undefined> {
  const { rows } = await tx.query<PullRow>(
    `SELECT id, authority_id, reference, tenant, service_id, service_version, leika_key, region, submitted_at, status, payload_jwe, payload_media_type, payload_sha512, schema_uri, case_id
       FROM submissions WHERE id = $2 AND ${OWN_PULL}${lock ? ' FOR UPDATE' : ''}`,
    [authorityId, id],
  );
  return rows[0];
}

async function decisionOf(tx: Queryable, id: string): Promise<RecordedDecision | undefined> {
  const { rows } = await tx.query<DecisionRow>('SELECT decision, problems, decided_at, client_id, evidence FROM submission_decisions WHERE submission_id = $1', [id]);
  return rows[0] ? toDecision(rows[0]) : undefined;
}

function toDecision(row: DecisionRow): RecordedDecision {
  return { decision: row.decision, problems: row.problems, decidedAt: iso(row.decided_at), clientId: row.client_id, signed: row.evidence !== null };
}

function toPulled(row: PullRow, decision: RecordedDecision | undefined): PulledSubmission {
  return {
    submissionId: row.id, authorityId: row.authority_id, reference: row.reference, tenant: row.tenant,
    serviceId: row.service_id, serviceVersion: row.service_version, leikaKey: row.leika_key, region: row.region,
    submittedAt: iso(row.submitted_at), status: row.status,
    payloadJwe: row.payload_jwe, mediaType: row.payload_media_type, sha512: row.payload_sha512, schemaUri: row.schema_uri,
    ...(row.case_id ? { caseId: row.case_id } : {}),
    ...(decision ? { decision } : {}),
  };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
