import { importJWK, type JWK } from 'jose';
import { signEd25519, verifyEd25519 } from '../crypto/jws.js';
import { AnswerInvalidError, AnswerSignatureError, base64Bytes, checkedAnswer, sha512Of, type FileDescription, type ReturnEnvelope, type ReturnPath, type ZbpStatus } from './answer-token.js';

/**
 * The webhook's way back: the authority calls the runtime as the runtime calls it, after the
 * Standard Webhooks specification (webhook-id = the answer id, webhook-timestamp, webhook-signature
 * "v1a," + Ed25519 over `${id}.${timestamp}.${body}`), signed with the key its directory entry
 * publishes as verificationKey. The body is JSON: the submission, the text, an optional ZBP status
 * and the files (base64) with their SHA-512 each.
 */

/** A call older (or newer) than this is refused: the signature must not be replayable for long. */
export const WEBHOOK_TOLERANCE_S = 5 * 60;

interface WebhookAnswerBody {
  submissionId?: unknown;
  text?: unknown;
  status?: unknown;
  attachments?: Array<FileDescription & { content?: unknown }>;
}

export const webhookReturn: ReturnPath = {
  channel: 'webhook',
  mediaTypes: ['application/json'],
  read(body, headers): ReturnEnvelope {
    const id = headers['webhook-id'] ?? '';
    const timestamp = headers['webhook-timestamp'] ?? '';
    const signatures = (headers['webhook-signature'] ?? '').split(' ').filter((s) => s.startsWith('v1a,')).map((s) => s.slice(4));
    if (!id || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) throw new AnswerSignatureError('carries no webhook-id, webhook-timestamp and v1a webhook-signature');
    let parsed: WebhookAnswerBody;
    try {
      parsed = JSON.parse(body) as WebhookAnswerBody;
    } catch {
      throw new AnswerInvalidError('the body is not JSON');
    }
    const submissionId = typeof parsed?.submissionId === 'string' ? parsed.submissionId.toLowerCase() : '';
    if (!/^[0-9a-f-]{36}$/.test(submissionId)) throw new AnswerInvalidError('submissionId must be a UUID');
    return {
      submissionId, answerId: id.toLowerCase(),
      async verify(key: JWK) {
        if (Math.abs(Date.now() / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_S) throw new AnswerSignatureError(`timestamp is more than ${WEBHOOK_TOLERANCE_S} s away from now`);
        const signed = `${id}.${timestamp}.${body}`;
        let ok = false;
        for (const signature of signatures) ok ||= await verifyEd25519(key, signed, signature).catch(() => false);
        if (!ok) throw new AnswerSignatureError('signature does not verify with the authority\'s verificationKey');
        const files = Array.isArray(parsed.attachments) ? parsed.attachments : [];
        return checkedAnswer({ answerId: id, submissionId, text: parsed.text, status: parsed.status, files, bytes: files.map((f, i) => base64Bytes(f?.content, `attachment ${i + 1}'s content`)), signed: true });
      },
    };
  },
};

/** The authority's call (demo receiver, tests): headers and body. */
export async function webhookAnswerRequest(privateJwk: JWK, a: { submissionId: string; answerId: string; text: string; status?: ZbpStatus; attachments: Array<{ filename: string; mediaType: string; bytes: Buffer }> }): Promise<{ headers: Record<string, string>; body: string }> {
  const body = JSON.stringify({
    submissionId: a.submissionId, text: a.text, ...(a.status ? { status: a.status } : {}),
    attachments: a.attachments.map((f) => ({ filename: f.filename, mediaType: f.mediaType, size: f.bytes.length, sha512: sha512Of(f.bytes), content: f.bytes.toString('base64') })),
  });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const key = await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA');
  if (key instanceof Uint8Array) throw new AnswerInvalidError('the signing key is no Ed25519 private key');
  const signature = await signEd25519(key, `${a.answerId}.${timestamp}.${body}`);
  return { headers: { 'content-type': 'application/json', 'webhook-id': a.answerId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1a,${signature}` }, body };
}
