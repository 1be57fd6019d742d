/** What a receiver accepted: decrypted and verified, as the authority's Fachverfahren would see it. */
export interface ReceivedMessage {
  messageId: string;
  transport: string;
  authorityId: string;
  receivedAt: string;
  reference: string;
  serviceKey: string;
  mediaType: string;
  /** The decrypted plaintext document. */
  document: string;
  /** Protocol metadata as received (headers, SOAP metadata, FIT-Connect metadata, ...). */
  metadata: Record<string, unknown>;
  /** The applicant's files, decrypted and checked against their SHA-512 (empty when none). */
  attachments: ReceivedAttachment[];
}

/** One decrypted attachment whose plaintext hash the receiver verified. */
export interface ReceivedAttachment {
  id: string;
  filename: string;
  mediaType: string;
  size: number;
  /** Hex SHA-512 of `bytes`, equal to what the sender stated. */
  sha512: string;
  bytes: Buffer;
}

export interface InboxAddResult {
  duplicate: boolean;
  message: ReceivedMessage;
}

/**
 * The authority side's store. Deduplicates by message id: delivery is at least once, the effect
 * (a case opened in the Fachverfahren) must be exactly once.
 */
export class Inbox {
  private readonly byId = new Map<string, ReceivedMessage>();
  /** How often each message id arrived, duplicates included: tests prove "exactly once in effect" with it. */
  private readonly arrivals = new Map<string, number>();

  add(message: ReceivedMessage): InboxAddResult {
    this.arrivals.set(message.messageId, (this.arrivals.get(message.messageId) ?? 0) + 1);
    const existing = this.byId.get(message.messageId);
    if (existing) return { duplicate: true, message: existing };
    this.byId.set(message.messageId, message);
    return { duplicate: false, message };
  }

  get(messageId: string): ReceivedMessage | undefined {
    return this.byId.get(messageId);
  }

  list(authorityId?: string): ReceivedMessage[] {
    const all = [...this.byId.values()];
    return (authorityId ? all.filter((m) => m.authorityId === authorityId) : all).sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  }

  arrivalsOf(messageId: string): number {
    return this.arrivals.get(messageId) ?? 0;
  }

  get size(): number {
    return this.byId.size;
  }
}
