import type { Lang } from '../text.js';

/**
 * Reading and writing numbers as people type them on a German or an English page, shared by the
 * decimal and money kinds. A number is carried as its canonical decimal text ("-1850.5") until it
 * becomes a JSON number, so limits and steps are checked on exact digits, not on binary floats.
 */
export type Reading =
  | { ok: true; text: string }
  /** `format`: not a number at all ("2,5,1"); `ambiguous`: "1.850" could be 1850 or 1.85, both readings given. */
  | { ok: false; problem: 'format' }
  | { ok: false; problem: 'ambiguous'; readings: [string, string] };

/** The most digits a number may have: beyond 15, a double no longer holds every digit. */
const MAX_DIGITS = 15;

export interface ReadOptions {
  /** At most this many digits after the separator (money: 2): a separator followed by three digits then groups thousands. */
  maxDecimals?: number;
}

/**
 * "2,5" and "2.5" are both 2.5 on either page. Thousands may be grouped by dots, commas, spaces or
 * apostrophes when the groups are of three digits ("1.850,5", "1,850.5", "1 850,5"); with both
 * marks the last one separates the decimals. A single mark followed by exactly three digits is
 * ambiguous where it is the page's thousands mark ("1.850" on a German page), unless decimals that
 * long are impossible (money): then it groups thousands. The page's decimal mark is never read as
 * thousands ("12,505 €" on a German page is too many cents, not 12505 €).
 */
export function readNumber(input: string, lang: Lang, opts: ReadOptions = {}): Reading {
  const s = input.trim().replace(/\u2212/g, '-');
  const sign = /^[-+]/.test(s) ? (s[0] === '-' ? '-' : '') : '';
  const body = s.slice(/^[-+]/.test(s) ? 1 : 0).trim();
  if (!/^[0-9.,\s\u00A0\u202F']+$/.test(body) || !/[0-9]/.test(body)) return { ok: false, problem: 'format' };
  const split = splitDecimals(body, lang, opts);
  if (!split.ok) return split;
  const int = joinGroups(split.int);
  if (int === undefined || !/^[0-9]*$/.test(split.frac) || (split.hasFrac && split.frac === '')) return { ok: false, problem: 'format' };
  const digits = (int.replace(/^0+/, '') || '0') + split.frac;
  if (digits.replace(/^0+/, '').length > MAX_DIGITS) return { ok: false, problem: 'format' };
  const text = `${int.replace(/^0+(?=[0-9])/, '') || '0'}${split.frac ? `.${split.frac}` : ''}`;
  return { ok: true, text: /^[0.]+$/.test(text) ? text : `${sign}${text}` };
}

type Split = { ok: true; int: string; frac: string; hasFrac: boolean } | Exclude<Reading, { ok: true }>;

function splitDecimals(body: string, lang: Lang, opts: ReadOptions): Split {
  const dots = count(body, '.');
  const commas = count(body, ',');
  if (dots === 0 && commas === 0) return { ok: true, int: body, frac: '', hasFrac: false };
  if (dots > 0 && commas > 0) {
    // Both marks: the last one separates the decimals and appears once.
    const mark = body.lastIndexOf('.') > body.lastIndexOf(',') ? '.' : ',';
    if (count(body, mark) > 1) return { ok: false, problem: 'format' };
    const at = body.lastIndexOf(mark);
    return { ok: true, int: body.slice(0, at).replaceAll(mark === '.' ? ',' : '.', ' '), frac: body.slice(at + 1), hasFrac: true };
  }
  const mark = dots > 0 ? '.' : ',';
  // The same mark several times can only group thousands ("1.850.000").
  if (count(body, mark) > 1) return { ok: true, int: body.replaceAll(mark, ' '), frac: '', hasFrac: false };
  const at = body.indexOf(mark);
  const after = body.slice(at + 1);
  const before = body.slice(0, at);
  const grouped = /^[0-9]{3}$/.test(after) ? joinGroups(`${before} ${after}`) : undefined;
  if (grouped !== undefined && mark === (lang === 'en' ? ',' : '.')) {
    if (opts.maxDecimals !== undefined && opts.maxDecimals < 3) return { ok: true, int: `${before} ${after}`, frac: '', hasFrac: false };
    return { ok: false, problem: 'ambiguous', readings: [grouped.replace(/^0+(?=[0-9])/, ''), `${joinGroups(before) ?? before}.${after}`] };
  }
  return { ok: true, int: before, frac: after, hasFrac: true };
}

/** The integer part without its group marks, or undefined when the groups are not of three digits. */
function joinGroups(int: string): string | undefined {
  const groups = int.split(/[\s\u00A0\u202F']+/);
  if (groups.length === 1) return groups[0];
  const [first, ...rest] = groups;
  if (!first || !/^[0-9]{1,3}$/.test(first) || !rest.every((g) => /^[0-9]{3}$/.test(g))) return undefined;
  return groups.join('');
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** A number's digits scaled to an integer: exact comparisons and steps for canonical texts. */
function scaled(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [int = '0', frac = ''] = text.replace(/^[-+]/, '').split('.');
  const value = BigInt(int + frac.padEnd(scale, '0'));
  return negative ? -value : value;
}

function decimalsOf(text: string): number {
  return (text.split('.')[1] ?? '').length;
}

/** A number as canonical text, without an exponent (1e-7 is "0.0000001"). */
export function numberText(n: number): string {
  const text = String(n);
  const [mantissa = '', exponent] = text.split('e');
  if (exponent === undefined) return text;
  if (Number(exponent) > 0) return BigInt(n).toString();
  return n.toFixed(Math.min(100, -Number(exponent) + (mantissa.split('.')[1]?.length ?? 0)));
}

/** Whether `text` is a whole multiple of `step` (both canonical texts), exactly. */
export function isMultipleOf(text: string, step: string): boolean {
  const scale = Math.max(decimalsOf(text), decimalsOf(step));
  const s = scaled(step, scale);
  return s !== 0n && scaled(text, scale) % s === 0n;
}

/** -1, 0 or 1 as `a` is below, equal to or above `b`, exactly. */
export function compare(a: string, b: string): number {
  const scale = Math.max(decimalsOf(a), decimalsOf(b));
  const d = scaled(a, scale) - scaled(b, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function locale(lang: Lang): string {
  return lang === 'en' ? 'en-GB' : 'de-DE';
}

/** For the input field: no thousands marks (so it reads back the same), the page's decimal mark. */
export function inputText(n: number, lang: Lang): string {
  const text = numberText(n);
  return lang === 'en' ? text : text.replace('.', ',');
}

/** For reading: with thousands marks, all decimals kept ("1.850,5" / "1,850.5"). */
export function displayNumber(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 20 }).format(n);
}

/** Euros with cents in the page's way ("1.850,50 €" / "€1,850.50"). */
export function displayEuros(euros: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { style: 'currency', currency: 'EUR' }).format(euros);
}

export type LimitKeyword = 'minimum' | 'exclusiveMinimum' | 'maximum' | 'exclusiveMaximum' | 'multipleOf';

/** The first of the schema's numeric limits that `text` breaks, with the limit: the JSON Schema keywords, checked exactly. */
export function brokenLimit(text: string, schema: Record<string, unknown>): { keyword: LimitKeyword; limit: number } | undefined {
  const limit = (keyword: LimitKeyword) => (typeof schema[keyword] === 'number' ? (schema[keyword] as number) : undefined);
  const checks: Array<[LimitKeyword, (l: string) => boolean]> = [
    ['minimum', (l) => compare(text, l) >= 0],
    ['exclusiveMinimum', (l) => compare(text, l) > 0],
    ['maximum', (l) => compare(text, l) <= 0],
    ['exclusiveMaximum', (l) => compare(text, l) < 0],
    ['multipleOf', (l) => isMultipleOf(text, l)],
  ];
  for (const [keyword, holds] of checks) {
    const l = limit(keyword);
    if (l !== undefined && !holds(numberText(l))) return { keyword, limit: l };
  }
  return undefined;
}

/** Which of `candidates` (canonical texts) keeps every limit: an example that fits the field. */
export function fittingExample(schema: Record<string, unknown>, candidates: readonly string[]): string | undefined {
  return candidates.find((c) => brokenLimit(c, schema) === undefined);
}

type Label = { de: string; en: string };
type Say = (n: number, lang: Lang) => string;

/** The message for a broken limit, naming the field; `say` writes a limit as the applicant reads it. */
export function limitMessage(label: Label, broken: { keyword: LimitKeyword; limit: number }, say: Say, example?: number): { de: string; en: string } {
  const [de, en] = [say(broken.limit, 'de'), say(broken.limit, 'en')];
  switch (broken.keyword) {
    case 'minimum': return { de: `„${label.de}“ muss mindestens ${de} sein.`, en: `“${label.en}” must be at least ${en}.` };
    case 'exclusiveMinimum': return { de: `„${label.de}“ muss größer als ${de} sein.`, en: `“${label.en}” must be more than ${en}.` };
    case 'maximum': return { de: `„${label.de}“ darf höchstens ${de} sein.`, en: `“${label.en}” must be at most ${en}.` };
    case 'exclusiveMaximum': return { de: `„${label.de}“ muss kleiner als ${de} sein.`, en: `“${label.en}” must be less than ${en}.` };
    case 'multipleOf': return stepMessage(label, broken.limit, say, example);
  }
}

function stepMessage(label: Label, step: number, say: Say, example?: number): { de: string; en: string } {
  const places = decimalsOf(numberText(step));
  if (step === 10 ** -places) {
    if (places === 0) return { de: `„${label.de}“ muss eine ganze Zahl sein.`, en: `“${label.en}” must be a whole number.` };
    return places === 1
      ? { de: `„${label.de}“ darf höchstens eine Nachkommastelle haben.`, en: `“${label.en}” can have at most one decimal place.` }
      : { de: `„${label.de}“ darf höchstens ${places} Nachkommastellen haben.`, en: `“${label.en}” can have at most ${places} decimal places.` };
  }
  const ex = (lang: Lang) => (example === undefined ? '' : lang === 'en' ? `, for example ${say(example, lang)}` : `, zum Beispiel ${say(example, lang)}`);
  return { de: `„${label.de}“ muss ein Vielfaches von ${say(step, 'de')} sein${ex('de')}.`, en: `“${label.en}” must be a multiple of ${say(step, 'en')}${ex('en')}.` };
}
