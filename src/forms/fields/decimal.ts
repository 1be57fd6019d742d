import { t, type Lang } from '../text.js';
import { str, type FieldKind, type FormField, type ParseResult } from './kind.js';
import { brokenLimit, displayNumber, fittingExample, inputText, limitMessage, numberText, readNumber } from './numbers.js';

/** Tried in order for the example in a message: the first that keeps the field's limits. */
const EXAMPLES = ['2.5', '1.5', '12.5', '0.5', '25', '1', '100'];

/**
 * A number with decimals (an area of 2,5 m²), stored as a JSON number. Typed the German or the
 * English way on either page (fields/numbers.ts); the schema's minimum, maximum, exclusive bounds
 * and multipleOf are checked here on the exact digits, and shown again in the page's language.
 */
export const decimal: FieldKind = {
  name: 'decimal',
  accepts: ['number'],
  parse(field, body, ctx) {
    const raw = str(body, field.name);
    if (raw === '') return { value: undefined, raw: { value: raw } };
    const reading = readNumber(raw, ctx.lang ?? 'de');
    if (!reading.ok) return { value: undefined, raw: { value: raw }, error: reading.problem === 'ambiguous' ? ambiguous(field, reading.readings) : notANumber(field) };
    const broken = brokenLimit(reading.text, field.schema);
    if (broken) return { value: undefined, raw: { value: raw }, error: { code: broken.keyword, message: limitMessage(labelOf(field), broken, displayNumber, example(field)) } };
    return { value: Number(reading.text), raw: { value: raw } };
  },
  view(_field, value, parsed, lang) {
    return { partial: 'field-input', type: 'text', inputmode: 'decimal', value: parsed ? parsed.raw.value : typeof value === 'number' ? inputText(value, lang) : '' };
  },
  summary: (_field, value, lang) => (typeof value === 'number' ? displayNumber(value, lang) : ''),
  checkSchema: checkStep,
};

/** A step must be a positive number, else no answer could ever fit. */
export function checkStep(schema: Record<string, unknown>): string | undefined {
  const step = schema.multipleOf;
  if (step !== undefined && !(typeof step === 'number' && step > 0)) return '"multipleOf" must be a number above 0';
  return undefined;
}

function labelOf(field: FormField): { de: string; en: string } {
  return { de: t(field.label, 'de'), en: t(field.label, 'en') };
}

function example(field: FormField): number | undefined {
  const bounds = ['minimum', 'maximum'].map((k) => field.schema[k]).filter((n): n is number => typeof n === 'number').map(numberText);
  const found = fittingExample(field.schema, [...EXAMPLES, ...bounds]);
  return found === undefined ? undefined : Number(found);
}

function notANumber(field: FormField): NonNullable<ParseResult['error']> {
  const label = labelOf(field);
  const ex = example(field);
  const say = (lang: Lang) => (ex === undefined ? '' : lang === 'en' ? `, for example ${inputText(ex, 'en')}` : `, zum Beispiel ${inputText(ex, 'de')}`);
  return { code: 'type', message: { de: `„${label.de}“ muss eine Zahl sein${say('de')}.`, en: `“${label.en}” must be a number${say('en')}.` } };
}

/** "1.850" on a German page: 1850 or 1,85? The applicant decides, not the engine. */
function ambiguous(field: FormField, readings: [string, string]): NonNullable<ParseResult['error']> {
  const label = labelOf(field);
  const [a, b] = readings.map(Number) as [number, number];
  return {
    code: 'ambiguous',
    message: {
      de: `„${label.de}“ ist nicht eindeutig: Meinen Sie ${inputText(a, 'de')} oder ${inputText(b, 'de')}? Geben Sie die Zahl ohne Tausenderpunkt an.`,
      en: `“${label.en}” is ambiguous: do you mean ${inputText(a, 'en')} or ${inputText(b, 'en')}? Enter the number without thousands separators.`,
    },
  };
}
