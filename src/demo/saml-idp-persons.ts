import type { TrustLevel } from '../accounts/types.js';
import { DEFAULT_ATTRIBUTE_OIDS, storkLevelFor, type StorkLevel } from '../accounts/saml-vocabulary.js';

/**
 * The test persons of the local SAML IdP, one per trust level, as BundID would describe them:
 * how they logged in (user name and password, ELSTER certificate, online ID card), the level that
 * gives, and the attributes by OID. The same people as the local OpenID provider's; none of them
 * exists.
 */
export interface TestPerson {
  /** What the tester picks on the IdP's page (and what tests name). */
  id: string;
  label: string;
  method: string;
  level: TrustLevel;
  stork: StorkLevel;
  /** The persistent NameID, as BundID issues one per person and service provider. */
  nameId: string;
  /** Attribute values by OID. */
  attributes: Record<string, string>;
}

const O = DEFAULT_ATTRIBUTE_OIDS;

function person(id: string, label: string, method: string, level: TrustLevel, attributes: Record<string, string>): TestPerson {
  return { id, label, method, level, stork: storkLevelFor(level), nameId: `demo-${id}-7f3c9a`, attributes: { [O.pseudonym]: `bPK2-demo-${id}`, ...attributes } };
}

/** The same people as the local OpenID provider's (src/demo/oidc-provider.ts), so both stand-ins agree. */
const KIEL = { [O.postalCode]: '24103', [O.city]: 'Kiel', [O.country]: 'DE' };

export const TEST_PERSONS: readonly TestPerson[] = [
  person('basis', 'Bernd Basis', 'Benutzername und Passwort', 'low', {
    [O.givenName]: 'Bernd', [O.familyName]: 'Basis', [O.birthDate]: '1980-02-01', [O.email]: 'bernd.basis@example.org', [O.street]: 'Holstenstraße 12a', ...KIEL,
  }),
  person('elster', 'Erika Mustermann', 'ELSTER-Zertifikat', 'substantial', {
    [O.givenName]: 'Erika', [O.familyName]: 'Mustermann', [O.birthDate]: '1964-08-12', [O.email]: 'erika.mustermann@example.org', [O.street]: 'Holstenstraße 12a', ...KIEL,
  }),
  person('eid', 'Max Mustermann', 'Online-Ausweis (eID)', 'high', {
    [O.givenName]: 'Max', [O.familyName]: 'Mustermann', [O.birthDate]: '1970-01-01', [O.email]: 'max.mustermann@example.org', [O.street]: 'Rathausplatz 1', ...KIEL,
  }),
];

export function testPerson(id: string): TestPerson | undefined {
  return TEST_PERSONS.find((p) => p.id === id);
}
