import { t } from '../text.js';
import { str, type FieldKind } from './kind.js';

/**
 * One box to tick: a consent or a confirmation. It fills a boolean (true when ticked) or a string
 * with exactly one option (its code, FIM's one-option list), never false: a box left empty is not
 * answered, so a required one is refused until ticked.
 */
export const checkbox: FieldKind = {
  name: 'checkbox',
  accepts: ['boolean', 'string'],
  parse(field, body) {
    const raw = str(body, field.name);
    const code = field.options[0]?.value;
    if (raw === '') return { value: undefined, raw: { value: '' } };
    const ticked = field.schema.type === 'boolean' ? raw === 'ja' : raw === code;
    if (!ticked) return { value: undefined, raw: { value: '' }, error: { code: 'enum', message: { de: 'Setzen Sie das Häkchen oder lassen Sie das Feld leer.', en: 'Tick the box or leave it empty.' } } };
    return { value: field.schema.type === 'boolean' ? true : code, raw: { value: raw } };
  },
  view(field, value, parsed, lang) {
    const code = field.schema.type === 'boolean' ? 'ja' : (field.options[0]?.value ?? '');
    const checked = parsed ? parsed.raw.value !== '' : value === true || (value !== undefined && value === code);
    const text = field.options[0] ? t(field.options[0].label, lang) : lang === 'en' ? 'Yes' : 'Ja';
    return { partial: 'field-checkbox', value: code, checked, text };
  },
  summary: (field, value, lang) => (value === undefined || value === false ? '' : field.options[0] ? t(field.options[0].label, lang) : lang === 'en' ? 'Yes' : 'Ja'),
  checkSchema(schema) {
    if (schema.type === 'boolean') return undefined;
    const options = (schema.oneOf as unknown[] | undefined)?.length ?? (schema['x-codelist'] ? 1 : 0);
    return options === 1 ? undefined : 'a checkbox fills a boolean, or a string with exactly one option (oneOf with one const): use "radios" or "checkboxes" for more';
  },
};
