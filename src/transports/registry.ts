import { EfaError } from '../core/errors.js';
import type { Transport } from './types.js';
import { webhook } from './webhook.js';
import { xta } from './xta.js';
import { osci } from './osci.js';
import { fitConnect } from './fit-connect.js';
import { pull } from './pull.js';

/** The one place transports are registered. A new adapter is one file plus one line here. */
export const transports: ReadonlyMap<string, Transport> = new Map<string, Transport>([
  [webhook.name, webhook],
  [xta.name, xta],
  [osci.name, osci],
  [fitConnect.name, fitConnect],
  [pull.name, pull],
]);

export function transportNamed(name: string): Transport {
  const transport = transports.get(name);
  if (!transport) throw new EfaError('EFA_UNKNOWN_TRANSPORT', `no transport named "${name}"; known: ${[...transports.keys()].join(', ')}`);
  return transport;
}
