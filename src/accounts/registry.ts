import { AccountConfigError } from './errors.js';
import type { AuthAdapterFactory } from './types.js';
import { oidc } from './oidc.js';
import { saml } from './saml.js';

/** The one place login adapters are registered. A new adapter is one file plus one line here. */
export const authAdapters: ReadonlyMap<string, AuthAdapterFactory> = new Map<string, AuthAdapterFactory>([
  ['oidc', oidc],
  ['saml', saml],
]);

export function authAdapterNamed(name: string): AuthAdapterFactory {
  const factory = authAdapters.get(name);
  if (!factory) throw new AccountConfigError(`no login adapter named "${name}"; known: ${[...authAdapters.keys()].join(', ')}`);
  return factory;
}
