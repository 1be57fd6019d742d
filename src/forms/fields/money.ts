import { t, type Lang } from '../text.js';
import { checkStep } from './decimal.js';
import { str, type FieldKind, type FormField, type ParseResult } from './kind.js';
import { brokenLimit, displayEuros, fittingExample, limitMessage, numberText, readNumber } from './numbers.js';

/** Tried in order for the example in the hint and messages, in euros: the first that keeps the field's limits. */
const EXAMPLES = ['12.5', '5', '100', '1', '1000'];

/**
 * An amount in euros with cents: "12,50", "12.50", "12,5", "12 €", "1.250,00 EUR". The schema
 * decides how it is stored: type "integer" holds cents (1250; minimum and maximum in cents, like
 * the fee of a service's logic), type "number" holds euros (12.5; at most two decimals). Below
 * zero only when the schema's minimum allows it.
 */
export const money: FieldKind = {
  name: 'money',
  accepts: ['integer', 'number'],
  parse(field, body, ctx) {
    const raw = str(body, field.name);
    const typed = raw.replace(/^(€|EUR|Euro)\s*|\s*(€|EUR|Euro)$/giu, '');
    if (typed === '') return { value: undefined, raw: { value: raw } };
    const reading = readNumber(typed, ctx.lang ?? 'de', { maxDecimals: 2 });
    if (!reading.ok) return { value: undefined, raw: { value: raw }, error: notAnAmount(field) };
    const [, decimals = ''] = reading.text.split('.');
    if (decimals.length > 2) return { value: undefined, raw: { value: raw }, error: { code: 'multipleOf', message: { de: `„${t(field.label, 'de')}“ darf höchstens zwei Nachkommastellen (Cent) haben.`, en: `“${t(field.label, 'en')}” can have at most two decimal places (cents).` } } };
    const stored = inCents(field) ? String(Math.round(Number(reading.text) * 100)) : reading.text;
    const broken = brokenLimit(stored, withFloor(field.schema));
    if (broken) return { value: undefined, raw: { value: raw }, error: { code: broken.keyword, message: limitMessage(labelOf(field), broken, (n, lang) => say(field, n, lang), example(field)) } };
    return { value: Number(stored), raw: { value: raw } };
  },
  view(field, value, parsed, lang) {
    const ex = example(field);
    return {
      partial: 'field-money',
      value: parsed ? parsed.raw.value : typeof value === 'number' ? amountText(euros(field, value), lang) : '',
      format: ex === undefined ? (lang === 'en' ? 'In euros' : 'In Euro') : lang === 'en' ? `In euros, for example ${amountText(euros(field, ex), 'en')}` : `In Euro, zum Beispiel ${amountText(euros(field, ex), 'de')}`,
    };
  },
  summary: (field, value, lang) => (typeof value === 'number' ? say(field, value, lang) : ''),
  checkSchema(schema) {
    const step = checkStep(schema);
    if (step) return step;
    if (schema.type === 'number' && typeof schema.multipleOf === 'number' && (numberText(schema.multipleOf).split('.')[1] ?? '').length > 2) {
      return '"multipleOf" of an amount in euros must not be finer than 0.01 (a cent)';
    }
    return undefined;
  },
};

function inCents(field: FormField): boolean {
  return field.schema.type === 'integer';
}

/** The stored value (cents or euros) in euros. */
function euros(field: FormField, stored: number): number {
  return inCents(field) ? stored / 100 : stored;
}

/** For the input field: always with cents, the page's decimal mark, no thousands marks ("1250,00"). */
function amountText(value: number, lang: Lang): string {
  const text = value.toFixed(2);
  return lang === 'en' ? text : text.replace('.', ',');
}

function say(field: FormField, stored: number, lang: Lang): string {
  return displayEuros(euros(field, stored), lang);
}

/** Without a minimum in the schema, an amount is not negative. */
function withFloor(schema: Record<string, unknown>): Record<string, unknown> {
  return typeof schema.minimum === 'number' || typeof schema.exclusiveMinimum === 'number' ? schema : { ...schema, minimum: 0 };
}

function labelOf(field: FormField): { de: string; en: string } {
  return { de: t(field.label, 'de'), en: t(field.label, 'en') };
}

/** An example amount that fits the field, as stored (cents or euros). */
function example(field: FormField): number | undefined {
  const candidates = EXAMPLES.map((e) => (inCents(field) ? String(Math.round(Number(e) * 100)) : e));
  const bounds = ['minimum', 'maximum'].map((k) => field.schema[k]).filter((n): n is number => typeof n === 'number').map(numberText);
  const found = fittingExample(withFloor(field.schema), [...candidates, ...bounds]);
  return found === undefined ? undefined : Number(found);
}

function notAnAmount(field: FormField): NonNullable<ParseResult['error']> {
  const label = labelOf(field);
  const ex = example(field);
  const sayEx = (lang: Lang) => (ex === undefined ? '' : lang === 'en' ? `, for example ${amountText(euros(field, ex), 'en')}` : `, zum Beispiel ${amountText(euros(field, ex), 'de')}`);
  return { code: 'type', message: { de: `„${label.de}“ muss ein Betrag in Euro sein${sayEx('de')}.`, en: `“${label.en}” must be an amount in euros${sayEx('en')}.` } };
}
