import { t } from '../text.js';
import { type FieldKind } from './kind.js';

/**
 * Several of a list's options (FIM's Mehrfachauswahl): an array of codes from the items' oneOf or
 * code list, bounded by minItems/maxItems. Each box is a control of its own (<name>.<code>), so a
 * browser without JavaScript posts exactly the ticked ones; a code not offered is refused.
 */
export const checkboxes: FieldKind = {
  name: 'checkboxes',
  accepts: ['array'],
  parse(field, body) {
    const prefix = `${field.name}.`;
    const posted = Object.keys(body).filter((k) => k.startsWith(prefix) && body[k] === 'ja').map((k) => k.slice(prefix.length));
    const raw = Object.fromEntries(posted.map((v) => [v, 'ja']));
    if (posted.some((v) => !field.options.some((o) => o.value === v))) {
      return { value: undefined, raw: {}, error: { code: 'enum', message: { de: 'Wählen Sie nur Möglichkeiten aus, die angeboten werden.', en: 'Select only the options offered.' } } };
    }
    // The list's order, not the post's: the same answers read the same.
    const value = field.options.filter((o) => raw[o.value]).map((o) => o.value);
    return { value: value.length > 0 ? value : undefined, raw };
  },
  view(field, value, parsed, lang) {
    const chosen = new Set(parsed ? Object.keys(parsed.raw) : Array.isArray(value) ? value.map(String) : []);
    return { partial: 'field-checkboxes', options: field.options.map((o, i) => ({ name: `${field.name}.${o.value}`, label: t(o.label, lang), checked: chosen.has(o.value), id: i === 0 ? field.id : `${field.id}-${i}` })) };
  },
  summary: (field, value, lang) => (Array.isArray(value) ? field.options.filter((o) => value.includes(o.value)).map((o) => t(o.label, lang)).join(', ') : ''),
  checkSchema(schema) {
    const items = schema.items as Record<string, unknown> | undefined;
    if (!items || (!Array.isArray(items.oneOf) && !items['x-codelist'])) return 'checkboxes need "items" with oneOf options (const + title) or an x-codelist';
    if (typeof schema.maxItems !== 'number') return 'checkboxes need "maxItems" on the array';
    return undefined;
  },
};
