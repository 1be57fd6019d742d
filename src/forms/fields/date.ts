import { t, type Lang } from '../text.js';
import { str, type FieldKind } from './kind.js';

const MONTHS_DE = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * A date as three inputs (day, month, year): works without JavaScript, with any keyboard and
 * screen reader, unlike native date pickers. Stored as ISO 8601 (YYYY-MM-DD).
 */
export const date: FieldKind = {
  name: 'date',
  accepts: ['string'],
  parse(field, body) {
    const raw = { day: str(body, `${field.name}.day`), month: str(body, `${field.name}.month`), year: str(body, `${field.name}.year`) };
    if (!raw.day && !raw.month && !raw.year) return { value: undefined, raw };
    const label = { de: t(field.label, 'de'), en: t(field.label, 'en') };
    if (!raw.day || !raw.month || !raw.year) {
      return { value: undefined, raw, error: { code: 'incomplete', message: { de: `„${label.de}“ muss Tag, Monat und Jahr enthalten.`, en: `“${label.en}” must include a day, month and year.` } } };
    }
    const [d, m, y] = [raw.day, raw.month, raw.year].map((s) => (/^[0-9]+$/.test(s) ? Number(s) : NaN)) as [number, number, number];
    const candidate = new Date(Date.UTC(y, m - 1, d));
    const valid = raw.year.length === 4 && candidate.getUTCFullYear() === y && candidate.getUTCMonth() === m - 1 && candidate.getUTCDate() === d;
    if (!valid) {
      // No example date: a fixed one is in the past for a field that must lie ahead (and ages out).
      return { value: undefined, raw, error: { code: 'format', message: { de: `„${label.de}“ muss ein gültiges Datum sein. Geben Sie Tag, Monat und Jahr in Ziffern an, das Jahr vierstellig.`, en: `“${label.en}” must be a real date. Enter the day, month and year as numbers, the year with four digits.` } } };
    }
    return { value: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, raw };
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
