/**
 * The size and count limits FITKO publishes for a FIT-Connect submission, checked before the first
 * call: a submission over them would be refused by the Submission Service after the token, the key
 * and the create, and no retry could change that.
 */
import { TransportError } from '../core/errors.js';
import type { OutboundMessage } from './types.js';

const MB = 1024 * 1024;
export const FIT_CONNECT_LIMITS = {
  /** Encrypted data (`encryptedData`) of one submission. */
  dataBytes: 10 * MB,
  attachments: 100,
  /** One encrypted attachment. */
  attachmentBytes: 500 * MB,
  /** All encrypted attachments of one submission together. */
  totalBytes: 2048 * MB,
} as const;

/** A submission over FIT-Connect's published limits: not retryable, the operator sees which limit. */
export class FitConnectLimitError extends TransportError {
  override readonly code = 'EFA_FIT_CONNECT_LIMIT';

  constructor(transport: string, message: string) {
    super(transport, `${message}; FIT-Connect refuses it, so it is not sent`, false);
  }
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

export function checkLimits(transport: string, message: OutboundMessage): void {
  const dataBytes = Buffer.byteLength(message.payload.jwe);
  if (dataBytes > FIT_CONNECT_LIMITS.dataBytes) throw new FitConnectLimitError(transport, `the encrypted data of submission ${message.messageId} has ${mb(dataBytes)}, more than ${mb(FIT_CONNECT_LIMITS.dataBytes)}`);
  const { attachments } = message;
  if (attachments.length > FIT_CONNECT_LIMITS.attachments) throw new FitConnectLimitError(transport, `submission ${message.messageId} has ${attachments.length} attachments, more than ${FIT_CONNECT_LIMITS.attachments}`);
  const tooLarge = attachments.find((a) => a.jweLength > FIT_CONNECT_LIMITS.attachmentBytes);
  if (tooLarge) throw new FitConnectLimitError(transport, `attachment ${tooLarge.id} of submission ${message.messageId} has ${mb(tooLarge.jweLength)} encrypted, more than ${mb(FIT_CONNECT_LIMITS.attachmentBytes)}`);
  const total = attachments.reduce((n, a) => n + a.jweLength, 0);
  if (total > FIT_CONNECT_LIMITS.totalBytes) throw new FitConnectLimitError(transport, `the attachments of submission ${message.messageId} have ${mb(total)} encrypted together, more than ${mb(FIT_CONNECT_LIMITS.totalBytes)}`);
}
