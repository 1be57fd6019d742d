import { t } from '../text.js';
import { controlCharacterError, withoutControlCharacters } from './control.js';
import { str, type FieldKind, type FormField, type ParseResult } from './kind.js';
import type { Place } from '../../places/places.js';
import { normaliseHouseNumber } from './normalise.js';

const PARTS = ['strasse', 'hausnummer', 'plz', 'ort'] as const;
/** The schema's titles are German only; messages about one part need its label in every language. */
const PART_LABELS: Readonly<Record<string, { de: string; en: string }>> = {
  strasse: { de: 'Straße', en: 'Street' },
  hausnummer: { de: 'Hausnummer', en: 'House number' },
  plz: { de: 'Postleitzahl', en: 'Postcode' },
  ort: { de: 'Ort', en: 'Town' },
  ars: { de: 'Gemeinde', en: 'Municipality' },
};
/** For messages: "Geben Sie die Postleitzahl ein." */
const PART_PHRASES: Readonly<Record<string, { de: string; en: string }>> = {
  strasse: { de: 'die Straße', en: 'the street' },
  hausnummer: { de: 'die Hausnummer', en: 'the house number' },
  plz: { de: 'die Postleitzahl', en: 'the postcode' },
  ort: { de: 'den Ort', en: 'the town' },
  ars: { de: 'die Gemeinde', en: 'the municipality' },
};
const PLZ = /^[0-9]{5}$/;

/**
 * A German address whose municipality decides responsibility. Postal code and place name give the
 * ARS; when a postal code spans several municipalities the applicant chooses among them (a second
 * round trip, no JavaScript needed).
 */
export const address: FieldKind = {
  name: 'address',
  accepts: ['object'],
  parse(field, body, ctx) {
    const raw: Record<string, string> = Object.fromEntries(PARTS.map((p) => [p, str(body, `${field.name}.${p}`)]));
    raw.ars = str(body, `${field.name}.ars`);
    for (const p of PARTS) {
      const error = controlCharacterError(raw[p] ?? '', PART_LABELS[p], { pointer: `${field.pointer}/${p}` });
      if (error) return { value: undefined, raw: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, withoutControlCharacters(v)])), error };
    }
    const value: Record<string, string> = {};
    for (const p of PARTS) if (raw[p]) value[p] = raw[p] as string;
    // "12 A" → "12a", "3 – 5" → "3-5"; "8 Rgb." stays (fields/normalise.ts).
    if (value.hausnummer) value.hausnummer = normaliseHouseNumber(value.hausnummer);
    if (Object.keys(value).length === 0) return { value: undefined, raw };
    if (!raw.plz || !PLZ.test(raw.plz)) return { value, raw };
    const candidates = ctx.places.resolve(raw.plz, raw.ort ?? '');
    if (candidates.length === 0) return unknownPlz(field, value, raw);
    const chosen = candidates.length === 1 ? candidates[0] : candidates.find((c) => c.ars === raw.ars);
    if (!chosen) return chooseMunicipality(field, value, raw, candidates);
    return { value: { ...value, ars: chosen.ars }, raw, extra: { municipality: chosen.name } };
  },
  view(field, value, parsed, lang, errors) {
    const current = (parsed ? parsed.raw : (value as Record<string, string> | undefined)) ?? {};
    const candidates = (parsed?.extra?.candidates as Place[] | undefined) ?? [];
    const part = (p: string, label: string, autocomplete: string, width: number) => ({
      id: `${field.id}-${p}`, name: `${field.name}.${p}`, label, autocomplete, width, value: current[p] ?? '',
      // A message about the whole address (nothing entered) stands at its first part, where the error summary leads (anchor).
      error: errors.get(`${field.pointer}/${p}`) ?? (p === PARTS[0] ? errors.get(field.pointer) : undefined),
    });
    const label = (p: string) => t(PART_LABELS[p], lang);
    return {
      partial: 'field-address',
      parts: [
        part('strasse', label('strasse'), 'address-line1', 30),
        part('hausnummer', label('hausnummer'), 'off', 6),
        part('plz', label('plz'), 'postal-code', 5),
        part('ort', label('ort'), 'address-level2', 20),
      ],
      municipalityError: errors.get(`${field.pointer}/ars`),
      municipalities: candidates.map((c, i) => ({ value: c.ars, label: c.name, id: `${field.id}-ars${i === 0 ? '' : `-${i}`}`, checked: c.ars === current.ars })),
    };
  },
  partLabel: (part) => PART_LABELS[part],
  partPhrase: (part) => PART_PHRASES[part],
  // The municipality is found from the postcode (and chosen only where it spans several).
  derivedParts: {
    ars: { from: 'plz', message: { de: 'Zu dieser Postleitzahl ist keine Gemeinde bekannt. Prüfen Sie die Postleitzahl.', en: 'No municipality is known for this postcode. Please check the postcode.' } },
  },
  // The fieldset has no control of its own: "enter the address" leads to its first part.
  anchor: (field) => `${field.id}-${PARTS[0]}`,
  summary(_field, value) {
    const v = value as Record<string, string> | undefined;
    if (!v) return '';
    return `${v.strasse ?? ''} ${v.hausnummer ?? ''}, ${v.plz ?? ''} ${v.ort ?? ''}`.trim();
  },
};

function unknownPlz(field: FormField, value: Record<string, string>, raw: Record<string, string>): ParseResult {
  return {
    value, raw,
    error: { code: 'plz-unknown', pointer: `${field.pointer}/plz`, message: { de: `Zur Postleitzahl ${raw.plz} ist keine Gemeinde bekannt. Prüfen Sie die Postleitzahl.`, en: `No municipality is known for postcode ${raw.plz}. Please check the postcode.` } },
  };
}

function chooseMunicipality(field: FormField, value: Record<string, string>, raw: Record<string, string>, candidates: Place[]): ParseResult {
  return {
    value, raw,
    extra: { candidates },
    error: {
      code: 'choose-municipality',
      pointer: `${field.pointer}/ars`,
      // Named by the field's own label: a form may ask for several addresses, of any kind of place.
      message: {
        de: `Die Postleitzahl ${raw.plz} gehört zu mehreren Gemeinden. Wählen Sie aus, in welcher Gemeinde „${t(field.label, 'de')}“ liegt.`,
        en: `Postcode ${raw.plz} covers several municipalities. Select the municipality of “${t(field.label, 'en')}”.`,
      },
    },
  };
}

