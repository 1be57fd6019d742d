import type { ReceiverPlugin } from './types.js';
import { webhookReceiver } from './webhook.js';
import { xtaReceiver } from './xta.js';
import { osciReceiver } from './osci.js';
import { fitConnectReceiver } from './fit-connect.js';
import { fitConnectRoutingReceiver } from './fit-connect-routing.js';

/** Local receivers by transport name; each mounts its routes under its own path prefix. */
export const receivers: ReadonlyMap<string, ReceiverPlugin> = new Map<string, ReceiverPlugin>([
  ['webhook', webhookReceiver],
  ['xta', xtaReceiver],
  ['osci', osciReceiver],
  ['fit-connect', fitConnectReceiver],
  ['fit-connect-routing', fitConnectRoutingReceiver],
]);
