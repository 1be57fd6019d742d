import { decryptWith, sha512Hex } from '../crypto/jwe.js';
import { decodeUtf8, signJson, verifyEd25519 } from '../crypto/jws.js';
import type { OutboundMessage } from '../routing/types.js';
import type { ReceiverPlugin } from './types.js';

/** Signatures older or newer than this are refused, so a captured request cannot be replayed later. */
const TOLERANCE_SECONDS = 300;

/**
 * The authority side of the signed webhook: verifies the Standard Webhooks signature against the
 * sender's published keys, decrypts with the authority's private key, checks the hash, stores once
 * per message id and answers with a signed receipt.
 */
export const webhookReceiver: ReceiverPlugin = async (app, { authorities, inbox, senderKeys }) => {
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post<{ Params: { authorityId: string }; Body: string }>('/webhook/:authorityId', async (req, reply) => {
    const authority = authorities.get(req.params.authorityId);
    if (!authority) return reply.code(404).send({ error: 'unknown authority' });

    const id = header(req.headers['webhook-id']);
    const timestamp = header(req.headers['webhook-timestamp']);
    const signatures = header(req.headers['webhook-signature']);
    if (!id || !timestamp || !signatures) return reply.code(400).send({ error: 'webhook-id, webhook-timestamp and webhook-signature are required' });
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (!Number.isFinite(age) || age > TOLERANCE_SECONDS) return reply.code(401).send({ error: 'timestamp outside tolerance' });

    const signed = `${id}.${timestamp}.${req.body}`;
    if (!(await anySignatureValid(signed, signatures, await senderKeys()))) return reply.code(401).send({ error: 'signature invalid' });

    let message: OutboundMessage;
    try {
      message = JSON.parse(req.body) as OutboundMessage;
    } catch {
      return reply.code(400).send({ error: 'body is not JSON' });
    }
    if (message.messageId !== id) return reply.code(400).send({ error: 'webhook-id does not match messageId' });

    let document: string;
    try {
      document = decodeUtf8((await decryptWith(authority.decryptionKey, message.payload.jwe)).plaintext);
    } catch {
      return reply.code(422).send({ error: 'payload cannot be decrypted with this authority key' });
    }
    if (sha512Hex(document) !== message.payload.sha512) return reply.code(422).send({ error: 'payload hash mismatch' });

    const { duplicate, message: stored } = inbox.add({
      messageId: message.messageId,
      transport: 'webhook',
      authorityId: authority.id,
      receivedAt: new Date().toISOString(),
      reference: message.reference,
      serviceKey: message.service.leikaKey,
      mediaType: message.payload.mediaType,
      document,
      metadata: { tenant: message.tenant, service: message.service, region: message.region, submittedAt: message.submittedAt },
    });
    const receipt = await signJson(authority.signingKey, {
      messageId: stored.messageId,
      sha512: message.payload.sha512,
      receivedAt: stored.receivedAt,
      duplicate,
      receiverReference: `${authority.id}:${stored.messageId}`,
    }, 'receipt+jwt');
    return reply.code(200).send({ receipt });
  });

  app.head('/webhook/:authorityId', async (req, reply) => reply.code(authorities.has((req.params as { authorityId: string }).authorityId) ? 200 : 404).send());
};

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function anySignatureValid(signed: string, signatureHeader: string, keys: import('jose').JWK[]): Promise<boolean> {
  for (const entry of signatureHeader.split(' ')) {
    const [version, sig] = entry.split(',', 2);
    if (version !== 'v1a' || !sig) continue;
    for (const key of keys) {
      if (await verifyEd25519(key, signed, sig).catch(() => false)) return true;
    }
  }
  return false;
}
