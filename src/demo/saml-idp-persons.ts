import type { TrustLevel } from '../accounts/types.js';
import { DEFAULT_ATTRIBUTE_OIDS, storkLevelFor, type StorkLevel } from '../accounts/saml-vocabulary.js';

/**
 * The test persons of the local SAML IdP, one per trust level, as BundID would describe them:
 * how they logged in (user name and password, ELSTER certificate, online ID card), the level that
 * gives, and the attributes by OID. Erika Mustermann is the sample person printed on the German ID
 * card; the others are made up. None of them exists.
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

export const TEST_PERSONS: readonly TestPerson[] = [
  person('basis', 'Lisa Musterfrau', 'Benutzername und Passwort', 'low', {
    [O.givenName]: 'Lisa', [O.familyName]: 'Musterfrau', [O.email]: 'lisa.musterfrau@example.org',
  }),
  person('elster', 'Max Mustermann', 'ELSTER-Zertifikat', 'substantial', {
    [O.givenName]: 'Max', [O.familyName]: 'Mustermann', [O.birthDate]: '1980-03-01', [O.email]: 'max.mustermann@example.org',
    [O.street]: 'Beispielweg 3', [O.postalCode]: '24103', [O.city]: 'Kiel', [O.country]: 'DE',
  }),
  person('eid', 'Erika Mustermann', 'Online-Ausweis (eID)', 'high', {
    [O.givenName]: 'Erika', [O.familyName]: 'Mustermann', [O.birthDate]: '1964-08-12', [O.email]: 'erika.mustermann@example.org',
    [O.street]: 'Heidestraße 17', [O.postalCode]: '51147', [O.city]: 'Köln', [O.country]: 'DE',
  }),
];

export function testPerson(id: string): TestPerson | undefined {
  return TEST_PERSONS.find((p) => p.id === id);
}
