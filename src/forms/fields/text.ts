import type { Lang } from '../text.js';
import type { LocalText } from '../../services/contract.js';
import { nameOf } from '../messages.js';
import { fieldNamed } from '../options.js';
import { controlCharacterError, withoutControlCharacters } from './control.js';
import { str, type FieldKind, type FormField, type ParseResult } from './kind.js';
import { groupedIban, normaliseIban, normalisePhone, normalisePlate, type Normalised } from './normalise.js';
import { readNumber } from './numbers.js';

/**
 * Single-line text in its HTML flavours; the type decides the keyboard on phones. `normalise`
 * turns everyday input into the stored form (fields/normalise.ts), `problem` words its refusals.
 */
function textKind(name: string, type: string, inputmode?: string, multiLine = false, normalise?: (s: string) => Normalised, problem?: (field: FormField, problem: string) => LocalText): FieldKind {
  return {
    name,
    accepts: ['string'],
    parse(field, body) {
      const raw = str(body, field.name);
      const error = controlCharacterError(raw, field.label, { multiLine });
      if (error) return { value: undefined, raw: { value: withoutControlCharacters(raw, multiLine) }, error };
      if (raw === '') return { value: undefined, raw: { value: raw } };
      if (!normalise) return { value: raw, raw: { value: raw } };
      const result = normalise(raw);
      if (!result.ok) return { value: undefined, raw: { value: raw }, error: { code: 'format', message: (problem as NonNullable<typeof problem>)(field, result.problem) } };
      return { value: result.value, raw: { value: raw } };
    },
    view(field, value, parsed) {
      return { partial: 'field-input', type, inputmode, value: parsed ? parsed.raw.value : (value as string | undefined) ?? '' };
    },
    summary: (_field, value) => (value === undefined ? '' : String(value)),
  };
}

function named(field: FormField): { de: string; en: string } {
  return nameOf(fieldNamed(field));
}

export const text = textKind('text', 'text');
export const email = textKind('email', 'email');

/** "0171 / 123 45-67" → "0171 123 45 67", "+49 (0)30 1234567" → "+49 30 1234567". */
export const tel = textKind('tel', 'tel', undefined, false, normalisePhone, (field, problem) => {
  const n = named(field);
  if (problem === 'letters') return { de: `Geben Sie ${n.de} nur mit Ziffern ein, zum Beispiel 030 1234567.`, en: `Enter ${n.en} using numbers only, for example 030 1234567.` };
  if (problem === 'length') return { de: `Geben Sie ${n.de} mit Vorwahl ein (6 bis 15 Ziffern), zum Beispiel 030 1234567.`, en: `Enter ${n.en} with the area code (6 to 15 digits), for example 030 1234567.` };
  return { de: `Geben Sie ${n.de} mit Ziffern, Leerzeichen und höchstens einem + am Anfang ein, zum Beispiel +49 30 1234567.`, en: `Enter ${n.en} using numbers, spaces and at most one + at the start, for example +49 30 1234567.` };
});

/** A German number plate: "m-ah 1234" → "M-AH 1234" (fields/normalise.ts). */
export const plate = textKind('plate', 'text', undefined, false, normalisePlate, (field, problem) => {
  const n = named(field);
  if (problem === 'separator') return { de: `Geben Sie ${n.de} mit einem Bindestrich nach dem Ortskürzel ein, wie auf dem Schild, zum Beispiel M-AB 1234.`, en: `Enter ${n.en} with a hyphen after the area letters, as on the plate, for example M-AB 1234.` };
  return { de: `Geben Sie ${n.de} wie auf dem Schild ein, zum Beispiel M-AB 1234.`, en: `Enter ${n.en} as on the plate, for example M-AB 1234.` };
});

/** An IBAN: stored without spaces, shown in groups of four, its check digits verified (ISO 7064). */
export const iban: FieldKind = {
  ...textKind('iban', 'text', undefined, false, normaliseIban, (field, problem) => ibanMessage(field, problem)),
  name: 'iban',
  view(field, value, parsed) {
    return { partial: 'field-input', type: 'text', value: parsed ? parsed.raw.value : typeof value === 'string' ? groupedIban(value) : '' };
  },
  summary: (_field, value) => (typeof value === 'string' ? groupedIban(value) : ''),
};

function ibanMessage(field: FormField, problem: string): LocalText {
  const n = named(field);
  switch (problem) {
    case 'checksum': return { de: `Die Prüfziffern passen nicht zur Nummer: Prüfen Sie ${n.de} Ziffer für Ziffer, zum Beispiel auf Ihrer Bankkarte oder einem Kontoauszug.`, en: `The check digits do not match the number: check ${n.en} digit by digit, for example on your bank card or a statement.` };
    case 'length': return { de: `${cap(n.de)} hat nicht die richtige Länge für das Land, mit dem sie beginnt. Prüfen Sie, ob eine Ziffer fehlt oder zu viel ist.`, en: `${cap(n.en)} is not the right length for the country it starts with. Check whether a digit is missing or one too many.` };
    case 'country': return { de: `${cap(n.de)} beginnt nicht mit dem Kürzel eines Landes im SEPA-Raum, zum Beispiel DE.`, en: `${cap(n.en)} does not start with the code of a country in the SEPA area, for example DE.` };
    default: return { de: `Geben Sie ${n.de} ein, wie sie auf Ihrer Bankkarte steht, zum Beispiel DE89 3704 0044 0532 0130 00.`, en: `Enter ${n.en} as it is shown on your bank card, for example DE89 3704 0044 0532 0130 00.` };
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const textarea: FieldKind = {
  ...textKind('textarea', 'text', undefined, true),
  view(field, value, parsed) {
    return { partial: 'field-textarea', value: parsed ? parsed.raw.value : (value as string | undefined) ?? '' };
  },
};

/** A whole number as people type it: "1.850" and "1 850" are 1850 on a German page (fields/numbers.ts). */
export const integer: FieldKind = {
  name: 'integer',
  accepts: ['integer'],
  parse(field, body, ctx) {
    const raw = str(body, field.name);
    if (raw === '') return { value: undefined, raw: { value: raw } };
    const reading = readNumber(raw, ctx.lang ?? 'de', { maxDecimals: 0 });
    const whole = reading.ok ? reading.text.replace(/\.0+$/, '') : undefined;
    if (whole === undefined || !/^-?[0-9]{1,15}$/.test(whole)) return { value: undefined, raw: { value: raw }, error: notWhole(field) };
    return { value: Number(whole), raw: { value: raw } };
  },
  view(_field, value, parsed) {
    return { partial: 'field-input', type: 'text', inputmode: 'numeric', value: parsed ? parsed.raw.value : value === undefined ? '' : String(value) };
  },
  // "31.500" on the check page and in the receipt, but a year stays "2019" (grouping from five digits).
  summary: (_field, value, lang) => (typeof value === 'number' ? WHOLE[lang].format(value) : value === undefined ? '' : String(value)),
};

const WHOLE: Record<Lang, Intl.NumberFormat> = {
  de: new Intl.NumberFormat('de-DE', { useGrouping: 'min2' }),
  en: new Intl.NumberFormat('en-GB', { useGrouping: 'min2' }),
};

function notWhole(field: FormField): NonNullable<ParseResult['error']> {
  const n = named(field);
  return { code: 'type', message: { de: `Geben Sie für ${n.de} eine ganze Zahl ein, zum Beispiel 3.`, en: `Enter a whole number for ${n.en}, for example 3.` } };
}
