import type { Readable } from 'node:stream';
import type { JWK } from 'jose';
import type { SenderIdentity } from '../crypto/keys.js';

/**
 * The transport contract: what a transport adapter is given (the directory entry of the authority's
 * endpoint, the message, the runtime's identity) and what it answers (receipt, decision, health).
 * Routing, delivery and submissions use transports through this module and src/transports/registry.ts.
 */

export type { SenderIdentity };

/** A public key as JSON Web Key (RFC 7517). Private members are never accepted in routing data. */
export type PublicJwk = JWK;

/** The DVDV-style directory entry: how a given authority receives a given service. */
export interface DirectoryEntry {
  authorityId: string;
  /** LeiKa key, or "*" for every service of that authority. */
  serviceKey: string;
  /** Name of a registered transport adapter (webhook, fit-connect, xta, osci, ...). */
  transport: string;
  /** Base URL of the authority's receiving endpoint. */
  address: string;
  /**
   * Which document the authority's Fachverfahren reads; the payload is serialised so before
   * encryption: the generic 'json' or 'xml', or a standard message (src/messages/formats.ts).
   */
  payloadFormat: string;
  /** The authority's public encryption key (RSA, RSA-OAEP-256): payloads are encrypted for it. */
  encryptionKey: PublicJwk;
  /** The authority's public signing key: receipts and event tokens it signs are verified with it. */
  verificationKey?: PublicJwk;
  /** Set when the entry has no verificationKey on purpose (production refuses it otherwise): why. */
  unverifiedReceipts?: { reason: string };
  /** Protocol identifiers of the authority (FIT-Connect destination id, XTA reader id, ...). */
  identifiers: Record<string, string>;
  /** Transport-specific settings, validated against the transport's configSchema. */
  options: Record<string, unknown>;
}

/**
 * What a transport delivers. The payload was encrypted for the authority at submit time, so a
 * transport (and the worker, and the database) never sees the applicant's plaintext.
 */
export interface OutboundMessage {
  /** Stable across retries and redeliveries: receivers deduplicate by it. Equals the submission id. */
  messageId: string;
  /** Human reference number shown to the applicant. */
  reference: string;
  submittedAt: string;
  tenant: string;
  service: { id: string; version: string; leikaKey: string; title: string };
  authority: { id: string; name: string };
  /** 12-digit ARS that decided responsibility. */
  region: string;
  payload: {
    /** JWE compact serialisation (RSA-OAEP-256 + A256GCM) for the authority's encryption key. */
    jwe: string;
    mediaType: 'application/json' | 'application/xml';
    /** Hex SHA-512 of the plaintext, so a receiver can prove nothing was swapped. */
    sha512: string;
    /** URI of the JSON Schema the plaintext conforms to. */
    schemaUri: string;
    /**
     * The directory entry's payloadFormat at submit ('json', 'xml', 'xgewerbeanzeige-2.2'), and a
     * standard message's type (its root element): transports name the standard with them
     * (messageStandard in src/core/formats.ts). Absent for messages from before they were kept.
     */
    format?: string;
    messageType?: string;
  };
  /** Files the applicant uploaded, each encrypted for the authority on its own (empty when none). */
  attachments: OutboundAttachment[];
  /**
   * The applicant's login (src/accounts/) at submit: its eIDAS level. Absent for an anonymous
   * application. Transports name it in their own metadata; the payload carries it too.
   */
  authentication?: { trustLevel: 'low' | 'substantial' | 'high' };
  /**
   * The e-mail address the applicant gave for replies, where the service declares one: a transport
   * that can announce a reply channel (FIT-Connect metadata 2.x) names it there. Absent otherwise.
   */
  replyEmail?: string;
  /**
   * The fee's booked online payment (docs/payment.md): the provider's transaction id and URL, the
   * purpose it was booked under, the method, the amount. Absent when nothing was paid online.
   */
  payment?: { transactionId: string; transactionUrl?: string; reference: string; method: string; amountCents: number; bookedAt: string };
}

/**
 * One uploaded file as a transport sends it. Encrypted for the authority at submit time like the
 * payload; its plaintext hash is also listed in the payload document, so the receiver can prove
 * that every file is the one the applicant sent.
 */
export interface OutboundAttachment {
  /** Stable (UUID) across retries and redeliveries: receivers deduplicate by (messageId, id). */
  id: string;
  /** JSON Pointer of the form field (array item) it belongs to, e.g. "/hunde/2/nachweis". */
  pointer: string;
  /** The applicant's file name as stored; every transport sends it through cleanFileName (src/attachments/file-name.ts). */
  filename: string;
  /** Media type sniffed from the content at upload, never taken from the name. */
  mediaType: string;
  /** Plaintext size in bytes. */
  size: number;
  /** Hex SHA-512 of the plaintext. */
  sha512: string;
  /** Length in bytes of the compact JWE that open() yields (for Content-Length). */
  jweLength: number;
  /**
   * The file as a JWE compact serialisation (RSA-OAEP-256 + A256GCM) for the authority's key, as
   * ASCII bytes, streamed from the store: never held whole in memory. Each call opens a new stream.
   */
  open(): Readable;
}

export interface TransportContext {
  endpoint: DirectoryEntry;
  sender: SenderIdentity;
  /** Per-attempt timeout; a transport aborts its HTTP calls after it. */
  timeoutMs: number;
  /**
   * Aborts when the whole attempt's deadline has passed (all of its HTTP calls together); a
   * transport passes it to every call. Absent outside the delivery worker (checks, tests).
   */
  signal?: AbortSignal;
  /**
   * The confirmed steps of this message's multi-step send, kept across attempts and workers
   * (PostgreSQL): a transport whose send takes several calls records each answered step and skips
   * it on the next attempt. Absent outside the delivery worker: every step is taken each time.
   */
  progress?: SendProgress;
  /** Shared by every worker for a while (PostgreSQL): what the remote side publishes, never secrets. */
  cache?: SharedCache;
}

/** The steps of one message's send that the remote side already confirmed (step name -> value). */
export interface SendProgress {
  steps(): Promise<Record<string, string>>;
  record(step: string, value: string): Promise<void>;
  /** The remote side forgot what was recorded (its submission is gone): start over. */
  forget(): Promise<void>;
}

export interface SharedCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** The authority's decision on a delivered submission, as a transport reads it after the hand-over. */
export interface AuthorityDecision {
  decision: 'accepted' | 'rejected';
  /** RFC 7807 problems of a rejection (empty for an accept). */
  problems: Array<{ type: string; title: string; detail?: string; instance?: string }>;
  decidedAt: string;
  /** Who decided, as the transport identifies them (e.g. the FIT-Connect destination). */
  decidedBy: string;
  /** The signed event token or document, kept as proof. */
  evidence?: string;
  /** For an accept: the authentication tag of the encrypted data it accepted (checked against ours). */
  dataTag?: string;
}

/** Proof of delivery as the receiver gave it. */
export interface Receipt {
  transport: string;
  deliveredAt: string;
  /** The receiver's own id for the message, if it assigns one. */
  receiverReference?: string;
  /** The signed receipt or report as received (JWS, XML, ...), kept for the operator. */
  evidence?: string;
  /** True when the receipt's signature was checked against the authority's verification key. */
  verified: boolean;
  /** True when the receiver said it had this message id already. */
  duplicate?: boolean;
  /**
   * The hand-over is not yet the authority's answer (FIT-Connect: submitted, accept or reject comes
   * later): what the transport's `decision` needs to look it up. Followed outside the attempt.
   */
  followUp?: Record<string, string>;
}

export interface HealthResult {
  ok: boolean;
  detail: string;
}

/**
 * A transport adapter: one file under src/transports/, registered in src/transports/registry.ts.
 * `send` throws TransportError; retryable errors are retried by the delivery worker.
 */
export interface Transport {
  readonly name: string;
  /** JSON Schema (2020-12) for DirectoryEntry.options of this transport. */
  readonly configSchema: Record<string, unknown>;
  send(message: OutboundMessage, ctx: TransportContext): Promise<Receipt>;
  check(ctx: TransportContext): Promise<HealthResult>;
  /**
   * For receipts with a `followUp`: the authority's decision if it has decided, else undefined.
   * Called by the follow-up poller, never inside a delivery attempt; throws TransportError.
   */
  decision?(followUp: Record<string, string>, ctx: TransportContext): Promise<AuthorityDecision | undefined>;
}
