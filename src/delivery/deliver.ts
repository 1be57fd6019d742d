import { EfaError, NoEndpointError, TransportError } from '../core/errors.js';
import { endpointFor, type RoutingData } from '../routing/load.js';
import { transportNamed } from '../routing/transports/index.js';
import type { OutboundAttachment, OutboundMessage, Receipt, SenderIdentity } from '../routing/types.js';
import { attachmentsOf } from '../attachments/store.js';
import type { Database } from '../storage/db.js';
import type { SubmissionRow } from '../submissions/row.js';

export interface DeliveryDeps {
  db: Database;
  /** The current routing data (it may be reloaded while the process runs). */
  routing: () => RoutingData;
  sender: SenderIdentity;
  /** Timeout of one attempt over a transport (slow protocols such as OSCI get more). */
  timeoutMs: (transport: string) => number;
  serviceTitle: (serviceId: string) => string;
  /** Told about every finished attempt (metrics); never about the payload. */
  onAttempt?: (event: { transport: string; outcome: 'delivered' | 'retry' | 'failed'; seconds: number }) => void;
}

export type AttemptOutcome = { outcome: 'delivered'; receipt: Receipt } | { outcome: 'retry' | 'failed'; error: string };


/**
 * One delivery attempt of one submission: build the message, look the endpoint up now (the
 * directory may have changed since submit), send, and record the attempt. Already delivered
 * submissions are not sent again, but a resend would be harmless: receivers deduplicate.
 * `last`: no retry follows (the attempt limit is reached), so a retryable error is recorded, and
 * counted, as the failure it is.
 */
export async function attemptDelivery(deps: DeliveryDeps, submissionId: string, attempt: number, last = false): Promise<AttemptOutcome> {
  const { rows } = await deps.db.query<SubmissionRow>('SELECT * FROM submissions WHERE id = $1', [submissionId]);
  const row = rows[0];
  if (!row) return { outcome: 'failed', error: 'submission not found' };
  if (row.status !== 'submitted' && row.status !== 'failed') return { outcome: 'delivered', receipt: { transport: 'none', deliveredAt: new Date().toISOString(), verified: false, duplicate: true } };

  const started = new Date();
  const endpoint = endpointFor(deps.routing(), row.authority_id, row.leika_key);
  let result: AttemptOutcome;
  try {
    if (!endpoint) throw new NoEndpointError(row.authority_id, row.leika_key);
    const receipt = await transportNamed(endpoint.transport).send(toMessage(row, deps, await attachmentsOf(deps.db, row.id)), { endpoint, sender: deps.sender, timeoutMs: deps.timeoutMs(endpoint.transport) });
    result = { outcome: 'delivered', receipt };
  } catch (err) {
    const retryable = err instanceof TransportError ? err.retryable : !(err instanceof EfaError);
    result = { outcome: retryable && !last ? 'retry' : 'failed', error: err instanceof Error ? err.message : String(err) };
  }
  await deps.db.query(
    `INSERT INTO delivery_attempts (submission_id, attempt, transport, address, started_at, finished_at, outcome, error, receipt) VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8)`,
    [submissionId, attempt, endpoint?.transport ?? 'none', endpoint?.address ?? '', started.toISOString(), result.outcome, 'error' in result ? result.error : null, result.outcome === 'delivered' ? JSON.stringify(result.receipt) : null],
  );
  deps.onAttempt?.({ transport: endpoint?.transport ?? 'none', outcome: result.outcome, seconds: (Date.now() - started.getTime()) / 1000 });
  return result;
}

/** `attachments`: the submission's sealed files (attachmentsOf); each opens as a stream from the store. */
export function toMessage(row: SubmissionRow, deps: Pick<DeliveryDeps, 'serviceTitle'>, attachments: OutboundAttachment[] = []): OutboundMessage {
  return {
    messageId: row.id,
    reference: row.reference,
    submittedAt: new Date(row.submitted_at).toISOString(),
    tenant: row.tenant,
    service: { id: row.service_id, version: row.service_version, leikaKey: row.leika_key, title: deps.serviceTitle(row.service_id) },
    authority: { id: row.authority_id, name: row.authority_name },
    region: row.region,
    payload: { jwe: row.payload_jwe, mediaType: row.payload_media_type, sha512: row.payload_sha512, schemaUri: row.schema_uri },
    attachments,
  };
}
