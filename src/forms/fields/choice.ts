import { nameOf } from '../messages.js';
import { fieldNamed, optionValue } from '../options.js';
import { t } from '../text.js';
import { str, type FieldKind } from './kind.js';

/**
 * One of the schema's options (oneOf of const + title; text, or whole numbers such as a term in
 * years); a value outside them is refused. Which of them are offered may depend on the parameters
 * (forms/options.ts): the page lists only those, and validation refuses the others.
 */
function choiceKind(name: string, partial: string): FieldKind {
  return {
    name,
    accepts: ['string', 'integer'],
    parse(field, body) {
      const raw = str(body, field.name);
      if (raw === '') return { value: undefined, raw: { value: raw } };
      if (!field.options.some((o) => o.value === raw)) {
        const n = nameOf(fieldNamed(field));
        return { value: undefined, raw: { value: '' }, error: { code: 'enum', message: { de: `Wählen Sie für ${n.de} eine der angebotenen Möglichkeiten aus.`, en: `Select one of the options for ${n.en}.` } } };
      }
      return { value: field.schema.type === 'integer' ? Number(raw) : raw, raw: { value: raw } };
    },
    view(field, value, parsed, lang) {
      const current = parsed ? parsed.raw.value : optionValue(value);
      return { partial, options: field.options.map((o, i) => ({ value: o.value, label: t(o.label, lang), checked: o.value === current, id: i === 0 ? field.id : `${field.id}-${i}` })) };
    },
    summary: (field, value, lang) => t(field.options.find((o) => o.value === optionValue(value))?.label, lang),
  };
}

export const radios = choiceKind('radios', 'field-radios');
export const select = choiceKind('select', 'field-select');

/** Yes/no as two radios: a checkbox cannot tell "no" from "not answered". */
export const yesno: FieldKind = {
  name: 'yesno',
  accepts: ['boolean'],
  parse(field, body) {
    const raw = str(body, field.name);
    if (raw === '') return { value: undefined, raw: { value: raw } };
    if (raw !== 'ja' && raw !== 'nein') return { value: undefined, raw: { value: '' }, error: { code: 'enum', message: { de: 'Wählen Sie Ja oder Nein aus.', en: 'Select yes or no.' } } };
    return { value: raw === 'ja', raw: { value: raw } };
  },
  view(field, value, parsed, lang) {
    const current = parsed ? parsed.raw.value : value === true ? 'ja' : value === false ? 'nein' : '';
    return {
      partial: 'field-radios',
      inline: true,
      options: [
        { value: 'ja', label: lang === 'en' ? 'Yes' : 'Ja', checked: current === 'ja', id: field.id },
        { value: 'nein', label: lang === 'en' ? 'No' : 'Nein', checked: current === 'nein', id: `${field.id}-1` },
      ],
    };
  },
  summary: (_field, value, lang) => (value === true ? (lang === 'en' ? 'Yes' : 'Ja') : value === false ? (lang === 'en' ? 'No' : 'Nein') : ''),
};
