import { EfaError, NoEndpointError, TransportError } from '../core/errors.js';
import { endpointFor, type RoutingData } from '../routing/load.js';
import { transportNamed } from '../transports/registry.js';
import type { DirectoryEntry, OutboundAttachment, OutboundMessage, Receipt, SendProgress, SenderIdentity } from '../transports/types.js';
import { attachmentsOf } from '../attachments/store.js';
import type { Database } from '../storage/db.js';
import type { SubmissionRow } from '../submissions/row.js';
import type { AuthorityLimits } from './limits.js';
import { progressOf, sharedCache } from './progress.js';

/** How an attempt ended, as recorded and counted. `superseded`: another worker holds or settled the entry. */
export type AttemptOutcomeName = 'delivered' | 'retry' | 'failed' | 'superseded';

export interface DeliveryDeps {
  db: Database;
  /** The current routing data (it may be reloaded while the process runs). */
  routing: () => RoutingData;
  sender: SenderIdentity;
  /**
   * The deadline of one whole attempt over a transport, all of its HTTP calls together (slow
   * protocols such as OSCI get more). Always shorter than the outbox lease (runtime.ts leaseMs).
   */
  timeoutMs: (transport: string) => number;
  serviceTitle: (serviceId: string) => string;
  /** Per-authority concurrency and circuit breaker; without it neither applies. */
  limits?: AuthorityLimits;
  /** Told about every finished attempt (metrics); never about the payload. */
  onAttempt?: (event: { transport: string; outcome: AttemptOutcomeName; seconds: number }) => void;
  /** Told when a claim was put off because of an authority's breaker or concurrency limit. */
  onDeferred?: (reason: 'breaker' | 'concurrency') => void;
}

/** What one send produced, before it is recorded (recording and settling are one transaction). */
export interface SentAttempt {
  transport: string;
  address: string;
  authorityId: string;
  startedAt: Date;
  /** A step of a multi-step send was confirmed in this attempt: the authority answered, even if the attempt failed. */
  advanced?: boolean;
  result: { outcome: 'delivered'; receipt: Receipt } | { outcome: 'error'; error: string; retryable: boolean };
}

/** The attempt's deadline passed: whatever the transport was still doing no longer counts. */
export class AttemptDeadlineError extends TransportError {
  constructor(transport: string, address: string, ms: number) {
    super(transport, `no answer from ${address} within ${ms} ms (the attempt's deadline, all its calls together)`, true);
  }
}

/**
 * One send of one submission: build the message, look the endpoint up now (the directory may have
 * changed since submit) and hand it to the transport under one deadline for the whole attempt. The
 * deadline aborts every HTTP call of the transport (ctx.signal) and, should a transport ignore it,
 * ends the attempt anyway. Nothing is written here: the caller records and settles in one go.
 */
export async function sendOnce(deps: DeliveryDeps, row: SubmissionRow): Promise<SentAttempt> {
  const startedAt = new Date();
  const endpoint = endpointFor(deps.routing(), row.authority_id, row.leika_key);
  const base = { transport: endpoint?.transport ?? 'none', address: endpoint?.address ?? '', authorityId: row.authority_id, startedAt };
  const progress = progressOf(deps.db, row.id);
  try {
    if (!endpoint) throw new NoEndpointError(row.authority_id, row.leika_key);
    // The files are read from the store as the transport sends them; the deadline covers that too.
    const receipt = await withDeadline(deps, endpoint, toMessage(row, deps, await attachmentsOf(deps.db, row.id)), progress);
    return { ...base, result: { outcome: 'delivered', receipt } };
  } catch (err) {
    const retryable = err instanceof TransportError ? err.retryable : !(err instanceof EfaError);
    return { ...base, advanced: progress.advanced, result: { outcome: 'error', error: err instanceof Error ? err.message : String(err), retryable } };
  }
}

async function withDeadline(deps: DeliveryDeps, endpoint: DirectoryEntry, message: OutboundMessage, progress: SendProgress): Promise<Receipt> {
  const ms = deps.timeoutMs(endpoint.transport);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const err = new AttemptDeadlineError(endpoint.transport, endpoint.address, ms);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  try {
    const send = transportNamed(endpoint.transport).send(message, { endpoint, sender: deps.sender, timeoutMs: ms, signal: controller.signal, progress, cache: sharedCache(deps.db) });
    // A send that loses the race still settles later; its rejection must not go unhandled.
    send.catch(() => undefined);
    return await Promise.race([send, deadline]);
  } finally {
    clearTimeout(timer);
  }
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
    payload: {
      jwe: row.payload_jwe, mediaType: row.payload_media_type, sha512: row.payload_sha512, schemaUri: row.schema_uri,
      ...(row.payload_format ? { format: row.payload_format } : {}),
      ...(row.message_type ? { messageType: row.message_type } : {}),
    },
    attachments,
    ...(row.trust_level ? { authentication: { trustLevel: row.trust_level } } : {}),
    ...(row.reply_email ? { replyEmail: row.reply_email } : {}),
    ...(row.payment?.status === 'BOOKED' && row.payment.transactionId ? { payment: bookedPayment(row.payment) } : {}),
  };
}

/** A booked payment as the transports name it (FIT-Connect paymentInformation). */
function bookedPayment(p: NonNullable<SubmissionRow['payment']>): NonNullable<OutboundMessage['payment']> {
  return {
    transactionId: p.transactionId as string, reference: p.reference ?? '', method: p.method ?? 'OTHER', amountCents: p.amountCents ?? 0, bookedAt: p.bookedAt ?? '',
    ...(p.transactionUrl ? { transactionUrl: p.transactionUrl } : {}),
  };
}
