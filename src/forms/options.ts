/**
 * Choices whose options depend on the parameters in force (a permit term the municipality issues):
 * the form declares per option when it is offered (`optionShowIf`, a condition over params.* and
 * the answers), the page lists only those, each with its fee where the service computes one
 * (`optionFee`), and the server refuses any other value.
 */
import type { LocalText } from '../services/contract.js';
import { evaluate, type ConditionEnv } from './conditions.js';
import type { FormField, Option } from './fields/kind.js';
import { displayEuros } from './fields/numbers.js';
import type { Named } from './messages.js';
import { getAt, setAt } from './pointer.js';
import { t, type Lang } from './text.js';

/** The field as messages name it: its label and the form's `inMessages`, if any. */
export function fieldNamed(field: FormField): Named {
  const phrase = field.def.inMessages;
  return {
    label: { de: t(field.label, 'de'), en: t(field.label, 'en') },
    ...(phrase ? { phrase: { de: t(phrase, 'de'), en: t(phrase, 'en') } } : {}),
  };
}

/** The options offered for these answers and parameters, in the schema's order. */
export function offeredOptions(field: FormField, data: Record<string, unknown>, env: ConditionEnv): Option[] {
  const conditions = field.optionShowIf;
  if (!conditions) return field.options;
  return field.options.filter((o) => evaluate(conditions.get(o.value), data, env));
}

/** The stored value as an option's value ("2" for the integer 2). */
export function optionValue(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The message when `value` is an option not offered here, else undefined. */
export function notOffered(field: FormField, value: unknown, data: Record<string, unknown>, env: ConditionEnv): LocalText | undefined {
  const chosen = optionValue(value);
  if (!field.optionShowIf || chosen === undefined) return undefined;
  const offered = offeredOptions(field, data, env);
  const option = field.options.find((o) => o.value === chosen);
  if (!option || offered.some((o) => o.value === chosen)) return undefined;
  const list = (lang: Lang) => offered.map((o) => t(o.label, lang)).join(lang === 'en' ? ', ' : ', ');
  return {
    de: `„${t(option.label, 'de')}“ ist hier nicht möglich. Wählen Sie eine der angebotenen Möglichkeiten: ${list('de')}.`,
    en: `“${t(option.label, 'en')}” is not available here. Select one of the options offered: ${list('en')}.`,
  };
}

/**
 * The field as the page shows it: only the offered options, each labelled with its fee when the
 * form asks for it and the service can compute it for that choice ("2 Jahre – 60,00 €").
 */
export function offeringField(field: FormField, data: Record<string, unknown>, env: ConditionEnv): FormField {
  if (!field.optionShowIf && !field.def.optionFee) return field;
  const options = offeredOptions(field, data, env).map((o) => {
    const cents = field.def.optionFee ? feeFor(field, o, data, env) : undefined;
    if (cents === undefined) return o;
    const label = (lang: Lang) => `${t(o.label, lang)} – ${displayEuros(cents / 100, lang)}`;
    return { ...o, label: { de: label('de'), en: label('en') } };
  });
  return { ...field, options };
}

function feeFor(field: FormField, option: Option, data: Record<string, unknown>, env: ConditionEnv): number | undefined {
  if (!env.fee) return undefined;
  const answers = structuredClone(data);
  setAt(answers, field.pointer, field.schema.type === 'integer' || field.schema.type === 'number' ? Number(option.value) : option.value);
  const fee = env.fee(answers);
  return fee && getAt(answers, field.pointer) !== undefined ? fee.cents : undefined;
}
