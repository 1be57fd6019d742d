import { nameOf } from '../messages.js';
import { fieldNamed } from '../options.js';
import type { Lang } from '../text.js';
import { str, type FieldKind, type FormField, type ParseResult } from './kind.js';

const MONTHS_DE = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * A date as three inputs (day, month, year): works without JavaScript, with any keyboard and
 * screen reader, unlike native date pickers. Stored as ISO 8601 (YYYY-MM-DD). A two-digit year is
 * refused with its own message (85: 1985 or 2085?); with `timing` "past" a day after today is
 * refused (a date of birth), with "future" one before today.
 */
export const date: FieldKind = {
  name: 'date',
  accepts: ['string'],
  parse(field, body, ctx) {
    const raw = { day: str(body, `${field.name}.day`), month: str(body, `${field.name}.month`), year: str(body, `${field.name}.year`) };
    if (!raw.day && !raw.month && !raw.year) return { value: undefined, raw };
    const n = nameOf(fieldNamed(field));
    const fail = (code: string, de: string, en: string): ParseResult => ({ value: undefined, raw, error: { code, message: { de, en } } });
    if (!raw.day || !raw.month || !raw.year) return fail('incomplete', `Geben Sie für ${n.de} Tag, Monat und Jahr ein.`, `${cap(n.en)} must include a day, month and year.`);
    if (/^[0-9]{2}$/.test(raw.year)) {
      const century = twoDigitGuess(field, raw.year, ctx.today);
      return fail('two-digit-year', `Geben Sie das Jahr vierstellig ein, zum Beispiel ${century} statt ${raw.year}.`, `Enter the year with four digits, for example ${century} instead of ${raw.year}.`);
    }
    const [d, m, y] = [raw.day, raw.month, raw.year].map((s) => (/^[0-9]{1,4}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
    const candidate = new Date(Date.UTC(y, m - 1, d));
    const valid = raw.year.length === 4 && candidate.getUTCFullYear() === y && candidate.getUTCMonth() === m - 1 && candidate.getUTCDate() === d;
    // No example date: a fixed one is in the past for a field that must lie ahead (and ages out).
    if (!valid) return fail('format', `Geben Sie für ${n.de} ein gültiges Datum ein: Tag, Monat und Jahr in Ziffern, das Jahr vierstellig.`, `${cap(n.en)} must be a real date. Enter the day, month and year as numbers, the year with four digits.`);
    const value = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    const timing = field.def.timing;
    if (timing === 'past' && ctx.today && value > ctx.today) return fail('past', `Geben Sie für ${n.de} ein Datum bis heute ein; es kann nicht in der Zukunft liegen.`, `${cap(n.en)} must be today or in the past.`);
    if (timing === 'future' && ctx.today && value < ctx.today) return fail('future', `Geben Sie für ${n.de} ein Datum ab heute ein; es kann nicht in der Vergangenheit liegen.`, `${cap(n.en)} must be today or in the future.`);
    return { value, raw };
  },
  view(_field, value, parsed) {
    if (parsed) return { partial: 'field-date', ...parsed.raw };
    const [year, month, day] = typeof value === 'string' ? value.split('-') : ['', '', ''];
    return { partial: 'field-date', day: day ? String(Number(day)) : '', month: month ? String(Number(month)) : '', year: year ?? '' };
  },
  summary(_field, value, lang: Lang) {
    if (typeof value !== 'string') return '';
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    return lang === 'en' ? `${d} ${MONTHS_EN[m - 1]} ${y}` : `${d}. ${MONTHS_DE[m - 1]} ${y}`;
  },
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The four-digit year "85" most likely means: the past century for a date that lies behind (or would be ahead otherwise). */
function twoDigitGuess(field: FormField, yy: string, today: string | undefined): string {
  const thisYear = Number((today ?? new Date().toISOString()).slice(0, 4));
  const recent = Number(`20${yy}`);
  return field.def.timing === 'future' || recent <= thisYear ? String(recent) : `19${yy}`;
}
