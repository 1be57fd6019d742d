import { TransportError } from '../core/errors.js';
import { PULL_API_BASE, PULL_TRANSPORT } from './vocabulary.js';
import type { HealthResult, Receipt, Transport, TransportContext } from './types.js';

/**
 * The transport of authorities without an endpoint of their own ("pull"). It is registered like
 * every transport so that directory entries naming it validate, but it never sends: submit keeps
 * its submissions out of the outbox. `send` runs only for a submission that was queued for another
 * transport before the directory switched this authority to pull; that needs the operator (the
 * submission was not meant for the pull API), so it fails without retrying and says why.
 */
export const pull: Transport = {
  name: PULL_TRANSPORT,
  configSchema: { type: 'object', additionalProperties: false, properties: {} },

  async send(message, ctx: TransportContext): Promise<Receipt> {
    throw new TransportError(PULL_TRANSPORT, `authority ${ctx.endpoint.authorityId} fetches its submissions over the pull API (${PULL_API_BASE}/submissions); submission ${message.messageId} was queued for pushing and cannot be pushed there`, false);
  },

  async check(ctx: TransportContext): Promise<HealthResult> {
    return { ok: true, detail: `authority ${ctx.endpoint.authorityId} fetches its submissions at ${PULL_API_BASE}/submissions` };
  },
};
