import { PaymentConfigError } from './errors.js';
import type { PaymentAdapterFactory } from './types.js';
import { xbezahldienste } from './xbezahldienste.js';

/** The one place payment adapters are registered. A new provider is one file plus one line here. */
export const paymentAdapters: ReadonlyMap<string, PaymentAdapterFactory> = new Map<string, PaymentAdapterFactory>([
  ['xbezahldienste', xbezahldienste],
]);

export function paymentAdapterNamed(name: string): PaymentAdapterFactory {
  const factory = paymentAdapters.get(name);
  if (!factory) throw new PaymentConfigError(`no payment adapter named "${name}"; known: ${[...paymentAdapters.keys()].join(', ')}`);
  return factory;
}
