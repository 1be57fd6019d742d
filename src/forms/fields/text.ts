import { t, type Lang } from '../text.js';
import { controlCharacterError, withoutControlCharacters } from './control.js';
import { str, type FieldKind } from './kind.js';

/** Single-line text in its HTML flavours; the type decides the keyboard on phones. */
function textKind(name: string, type: string, inputmode?: string, multiLine = false): FieldKind {
  return {
    name,
    accepts: ['string'],
    parse(field, body) {
      const raw = str(body, field.name);
      const error = controlCharacterError(raw, field.label, { multiLine });
      if (error) return { value: undefined, raw: { value: withoutControlCharacters(raw, multiLine) }, error };
      return { value: raw === '' ? undefined : raw, raw: { value: raw } };
    },
    view(field, value, parsed) {
      return { partial: 'field-input', type, inputmode, value: parsed ? parsed.raw.value : (value as string | undefined) ?? '' };
    },
    summary: (_field, value) => (value === undefined ? '' : String(value)),
  };
}

export const text = textKind('text', 'text');
export const email = textKind('email', 'email');
export const tel = textKind('tel', 'tel');

export const textarea: FieldKind = {
  ...textKind('textarea', 'text', undefined, true),
  view(field, value, parsed) {
    return { partial: 'field-textarea', value: parsed ? parsed.raw.value : (value as string | undefined) ?? '' };
  },
};

export const integer: FieldKind = {
  name: 'integer',
  accepts: ['integer'],
  parse(field, body) {
    const raw = str(body, field.name).replace(/\s/g, '');
    if (raw === '') return { value: undefined, raw: { value: raw } };
    if (!/^-?[0-9]{1,15}$/.test(raw)) {
      return { value: undefined, raw: { value: raw }, error: { code: 'type', message: { de: `„${t(field.label, 'de')}“ muss eine ganze Zahl sein, zum Beispiel 3.`, en: `“${t(field.label, 'en')}” must be a whole number, for example 3.` } } };
    }
    return { value: Number(raw), raw: { value: raw } };
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
