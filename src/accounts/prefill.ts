import type { AccountAttributes } from './types.js';

/** One answer a service wants from the account (service.json `login.prefill`). */
export interface PrefillRule {
  pointer: string;
  attribute: string;
  editable?: boolean;
}

/** A prefilled answer: where it goes, its value, where it came from, whether it stays editable. */
export interface PrefilledAnswer {
  pointer: string;
  value: unknown;
  source: string;
  editable: boolean;
}

/**
 * A source of answers the state already knows (once-only). The first is the account itself; a
 * register (e.g. the civil register over XMeld) would be another adapter of the same shape.
 */
export interface PrefillAdapter {
  readonly name: string;
  fill(attributes: AccountAttributes, rules: readonly PrefillRule[]): PrefilledAnswer[];
}

function joined(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((part): part is string => part !== undefined && part !== '');
  return present.length > 0 ? present.join(' ') : undefined;
}

/** The account's attributes by the names service.json uses, with the name and address transforms. */
function attributeValue(attributes: AccountAttributes, name: string): unknown {
  const address = attributes.address;
  switch (name) {
    case 'givenName': return attributes.givenName;
    case 'familyName': return attributes.familyName;
    case 'fullName': return joined(attributes.givenName, attributes.familyName);
    case 'birthDate': return attributes.birthDate;
    case 'email': return attributes.email;
    case 'address.street': return address?.street;
    case 'address.houseNumber': return address?.houseNumber;
    case 'address.streetAndNumber': return joined(address?.street, address?.houseNumber);
    case 'address.postalCode': return address?.postalCode;
    case 'address.city': return address?.city;
    // The address field kind's shape (src/forms/fields/address.ts); only a complete address fills it.
    case 'address': return address?.street && address.postalCode && address.city
      ? { strasse: address.street, ...(address.houseNumber ? { hausnummer: address.houseNumber } : {}), plz: address.postalCode, ort: address.city }
      : undefined;
    default: return undefined;
  }
}

/** Answers from the logged-in account's attributes; what the account does not know stays empty. */
export const accountPrefill: PrefillAdapter = {
  name: 'account',
  fill(attributes, rules) {
    return rules.flatMap((rule) => {
      const value = attributeValue(attributes, rule.attribute);
      return value === undefined ? [] : [{ pointer: rule.pointer, value, source: 'account', editable: rule.editable === true }];
    });
  },
};
