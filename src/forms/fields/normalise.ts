/**
 * Everyday input as people type it, turned into the one form the authority expects: what is
 * stored and shown is the normalised value. Each function either returns it or says what is wrong,
 * so the field's message can be specific. Pure functions of the text: hostile input (very long,
 * control characters, other scripts) is refused, never half-read.
 */

export type Normalised = { ok: true; value: string } | { ok: false; problem: string };

/** Longer than anything the fields below can hold: refused before any pattern runs. */
const MAX_INPUT = 64;

const DASHES = /[\u2010-\u2015\u2212]/g;

/**
 * A German number plate: district (1–3 letters, umlauts allowed), 1–2 letters, 1–4 digits, an
 * optional E (electric) or H (historic). "m-ah 1234", "M AH 1234", "m–ah1234" → "M-AH 1234". Without
 * a separator between district and letters ("MAH1234") the split is unknowable: M-AH or MA-H.
 */
export function normalisePlate(input: string): Normalised {
  const s = input.trim().toUpperCase().replace(DASHES, '-');
  if (s.length === 0 || s.length > MAX_INPUT || !/^[A-ZÄÖÜ0-9 .:-]+$/.test(s)) return { ok: false, problem: 'format' };
  const tokens = s.split(/[\s.:-]+/).filter(Boolean);
  let parts: [string, string, string] | undefined;
  if (tokens.length === 3) parts = tokens as [string, string, string];
  else if (tokens.length === 2) {
    const m = /^([A-Z]{1,2})([0-9]{1,4}[EH]?)$/.exec(tokens[1] as string);
    if (m) parts = [tokens[0] as string, m[1] as string, m[2] as string];
  }
  if (!parts) return { ok: false, problem: tokens.length === 1 || tokens.length === 2 ? 'separator' : 'format' };
  const [district, letters, number] = parts;
  if (!/^[A-ZÄÖÜ]{1,3}$/.test(district) || !/^[A-Z]{1,2}$/.test(letters) || !/^[1-9][0-9]{0,3}[EH]?$/.test(number)) return { ok: false, problem: 'format' };
  // The plate has room for eight characters besides the suffix (FZV Anlage 4).
  if (district.length + letters.length + number.replace(/[EH]$/, '').length > 8) return { ok: false, problem: 'format' };
  return { ok: true, value: `${district}-${letters} ${number}` };
}

/**
 * A house number with what follows it in Germany: a letter ("12 A" → "12a"), a range or a
 * fraction ("3 – 5" → "3-5", "12 / 1" → "12/1"), a word such as "Rgb." (Rückgebäude) or
 * "Hinterhaus". Spaces are tidied; what is not a house number is returned trimmed for the schema
 * to refuse with its message.
 */
export function normaliseHouseNumber(input: string): string {
  let s = input.trim().replace(/\s+/g, ' ').replace(DASHES, '-');
  if (s.length > MAX_INPUT) return s;
  s = s.replace(/\s*([-/])\s*/g, '$1');
  // A single letter after the number belongs to it ("12 A" → "12a"); a word after it stays apart.
  s = s.replace(/([0-9]) ?([A-Za-z])(?![A-Za-zÄÖÜäöüß.])/g, (_m, digit: string, letter: string) => `${digit}${letter.toLowerCase()}`);
  return s;
}

/**
 * A phone number: digits with the usual marks ("0171 / 123 45-67", "+49 (0) 30 1234567",
 * "0049 30 1234567") → digits in groups separated by single spaces, an international prefix as
 * "+" ("+49 30 1234567": the "(0)" goes, as it is not dialled from abroad). 6 to 15 digits (E.164).
 */
export function normalisePhone(input: string): Normalised {
  const s = input.trim();
  if (s.length === 0 || s.length > MAX_INPUT) return { ok: false, problem: 'format' };
  if (/\p{L}/u.test(s)) return { ok: false, problem: 'letters' };
  if (!/^(\+|00)?[0-9 ()/.\-\u2010-\u2015]+$/.test(s)) return { ok: false, problem: 'format' };
  const international = s.startsWith('+') || s.startsWith('00');
  let body = s.replace(/^(\+|00)/, '');
  if (international) body = body.replace(/^([0-9]{1,3})\s*\(0\)\s*/, '$1 ');
  const groups = body.replace(/[()/.\-\u2010-\u2015]/g, ' ').split(/\s+/).filter(Boolean);
  const digits = groups.join('').length;
  if (digits < 6 || digits > 15) return { ok: false, problem: 'length' };
  return { ok: true, value: `${international ? '+' : ''}${groups.join(' ')}` };
}

/** Lengths of the IBAN per country (SEPA and neighbours, ISO 13616 registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AT: 20, BE: 16, BG: 22, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27, GB: 22, GI: 23, GR: 27,
  HR: 21, HU: 28, IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MT: 31, NL: 18, NO: 15, PL: 28, PT: 25, RO: 24,
  SE: 24, SI: 19, SK: 24, SM: 27, VA: 22,
};

/**
 * An IBAN as typed or pasted ("de89 3704 0044 0532 0130 00") → "DE89370400440532013000": spaces
 * go, letters are capitals; the country's length and the ISO 7064 MOD 97-10 check digits must
 * hold ("checksum": a typo, which the bank would refuse).
 */
export function normaliseIban(input: string): Normalised {
  const s = input.replace(/[\s\u00A0-]+/g, '').toUpperCase();
  if (s.length === 0 || s.length > 40 || !/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(s)) return { ok: false, problem: 'format' };
  const length = IBAN_LENGTHS[s.slice(0, 2)];
  if (length === undefined) return { ok: false, problem: 'country' };
  if (s.length !== length) return { ok: false, problem: 'length' };
  return ibanRemainder(s) === 1 ? { ok: true, value: s } : { ok: false, problem: 'checksum' };
}

/** ISO 7064 MOD 97-10: the country and check digits moved to the end, letters as 10..35, remainder by 97. */
function ibanRemainder(iban: string): number {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rest = (rest * (n > 9 ? 100 : 10) + n) % 97;
  }
  return rest;
}

/** For reading: in groups of four ("DE89 3704 0044 0532 0130 00"), as printed on cards and statements. */
export function groupedIban(iban: string): string {
  return iban.replace(/(.{4})(?=.)/g, '$1 ');
}
