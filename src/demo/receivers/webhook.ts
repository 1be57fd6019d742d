import { decryptWith, sha512Hex } from '../../crypto/jwe.js';
import { decodeUtf8, signJson, verifyEd25519 } from '../../crypto/jws.js';
import { ATTACHMENT_PART, type WebhookMessage } from '../../transports/webhook.js';
import { AttachmentRefusal, RECEIVER_BODY_LIMIT, confirmedDigests, isDescriptionList, openAll } from './attachments.js';
import type { ReceivedAttachment } from './inbox.js';
import type { ReceiverPlugin } from './types.js';

/** Signatures older or newer than this are refused, so a captured request cannot be replayed later. */
const TOLERANCE_SECONDS = 300;

/**
 * The authority side of the signed webhook: verifies the Standard Webhooks signature against the
 * sender's published keys, decrypts with the authority's private key, checks the hash, stores once
 * per message id and answers with a signed receipt. A multipart body carries the signed JSON as part
 * "message" and one JWE per attachment; each must decrypt to the SHA-512 the signed JSON lists.
 */
export const webhookReceiver: ReceiverPlugin = async (app, { authorities, inbox, senderKeys }) => {
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: RECEIVER_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post<{ Params: { authorityId: string }; Body: string | Buffer }>('/webhook/:authorityId', { bodyLimit: RECEIVER_BODY_LIMIT }, async (req, reply) => {
    const authority = authorities.get(req.params.authorityId);
    if (!authority) return reply.code(404).send({ error: 'unknown authority' });

    const id = header(req.headers['webhook-id']);
    const timestamp = header(req.headers['webhook-timestamp']);
    const signatures = header(req.headers['webhook-signature']);
    if (!id || !timestamp || !signatures) return reply.code(400).send({ error: 'webhook-id, webhook-timestamp and webhook-signature are required' });
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (!Number.isFinite(age) || age > TOLERANCE_SECONDS) return reply.code(401).send({ error: 'timestamp outside tolerance' });

    const parts = await readParts(req.body, req.headers['content-type'] ?? '');
    if (!parts) return reply.code(400).send({ error: 'multipart body needs one part "message" and only "attachment" files besides' });
    const signed = `${id}.${timestamp}.${parts.json}`;
    if (!(await anySignatureValid(signed, signatures, await senderKeys()))) return reply.code(401).send({ error: 'signature invalid' });

    let message: WebhookMessage;
    try {
      message = JSON.parse(parts.json) as WebhookMessage;
    } catch {
      return reply.code(400).send({ error: 'body is not JSON' });
    }
    if (message.messageId !== id) return reply.code(400).send({ error: 'webhook-id does not match messageId' });
    const described = message.attachments ?? [];
    if (!isDescriptionList(described)) return reply.code(400).send({ error: 'attachments must list id, filename, mediaType, size and sha512' });

    let document: string;
    try {
      document = decodeUtf8((await decryptWith(authority.decryptionKey, message.payload.jwe)).plaintext);
    } catch {
      return reply.code(422).send({ error: 'payload cannot be decrypted with this authority key' });
    }
    if (sha512Hex(document) !== message.payload.sha512) return reply.code(422).send({ error: 'payload hash mismatch' });
    let attachments: ReceivedAttachment[];
    try {
      attachments = await openAll(authority, described, parts.attachments);
    } catch (err) {
      if (err instanceof AttachmentRefusal) return reply.code(422).send({ error: err.message, code: err.codeFor('EFA_WEBHOOK') });
      throw err;
    }

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
      attachments,
    });
    const receipt = await signJson(authority.signingKey, {
      messageId: stored.messageId,
      sha512: message.payload.sha512,
      receivedAt: stored.receivedAt,
      duplicate,
      receiverReference: `${authority.id}:${stored.messageId}`,
      attachments: confirmedDigests(attachments),
    }, 'receipt+jwt');
    return reply.code(200).send({ receipt });
  });

  app.head('/webhook/:authorityId', async (req, reply) => reply.code(authorities.has((req.params as { authorityId: string }).authorityId) ? 200 : 404).send());
};

/**
 * The signed JSON and the attachment JWEs by id. A JSON body is the message alone; a multipart body
 * must have exactly one "message" part and nothing but "attachment" files (filename = id) besides.
 */
async function readParts(body: string | Buffer, contentType: string): Promise<{ json: string; attachments: Map<string, string> } | undefined> {
  if (typeof body === 'string') return { json: body, attachments: new Map() };
  let form: FormData;
  try {
    // The platform's multipart parser (undici); a Buffer is a Uint8Array, which the DOM typings doubt.
    form = await new Response(body as unknown as BodyInit, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined;
  }
  const messages = form.getAll('message');
  const json = messages[0];
  if (messages.length !== 1 || typeof json !== 'string') return undefined;
  const attachments = new Map<string, string>();
  const entries: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => entries.push([name, value]));
  for (const [name, value] of entries) {
    if (name === 'message') continue;
    if (name !== ATTACHMENT_PART || typeof value === 'string' || attachments.has(value.name)) return undefined;
    attachments.set(value.name, await value.text());
  }
  return { json, attachments };
}

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
