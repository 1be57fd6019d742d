import { t } from '../text.js';
import { str, type FieldKind } from './kind.js';

/** One of the schema's options (oneOf of const + title); a value outside them is refused. */
function choiceKind(name: string, partial: string): FieldKind {
  return {
    name,
    accepts: ['string'],
    parse(field, body) {
      const raw = str(body, field.name);
      if (raw === '') return { value: undefined, raw: { value: raw } };
      if (!field.options.some((o) => o.value === raw)) {
        return { value: undefined, raw: { value: '' }, error: { code: 'enum', message: { de: `Wählen Sie bei „${t(field.label, 'de')}“ eine der angebotenen Möglichkeiten aus.`, en: `Select one of the options for “${t(field.label, 'en')}”.` } } };
      }
      return { value: raw, raw: { value: raw } };
    },
    view(field, value, parsed, lang) {
      const current = parsed ? parsed.raw.value : value;
      return { partial, options: field.options.map((o, i) => ({ value: o.value, label: t(o.label, lang), checked: o.value === current, id: i === 0 ? field.id : `${field.id}-${i}` })) };
    },
    summary: (field, value, lang) => t(field.options.find((o) => o.value === value)?.label, lang),
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
    if (raw !== 'ja' && raw !== 'nein') return { value: undefined, raw: { value: '' }, error: { code: 'enum', message: { de: `Beantworten Sie „${t(field.label, 'de')}“ mit Ja oder Nein.`, en: `Answer “${t(field.label, 'en')}” with yes or no.` } } };
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
