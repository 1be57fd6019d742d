import type { ErrorObject } from 'ajv';
import type { LocalText } from '../services/contract.js';

/** What a message needs of a field: its label, its kind, and how the form names it in messages. */
export interface Named {
  label: { de: string; en: string };
  /**
   * The field as messages name it, from the form's `inMessages` ("Ihren Vornamen" / "your first
   * name"): German in the accusative with its article, so "Geben Sie … ein" reads naturally.
   */
  phrase?: { de: string; en: string };
}

/** Keywords a form may word together: "range" for every bound, "length" for both lengths, "format" for every shape. */
export const MESSAGE_GROUPS: Readonly<Record<string, string>> = {
  minimum: 'range', maximum: 'range', exclusiveMinimum: 'range', exclusiveMaximum: 'range', multipleOf: 'range',
  minLength: 'length', maxLength: 'length',
  pattern: 'format', format: 'format', type: 'format', ambiguous: 'format', 'two-digit-year': 'format', incomplete: 'format',
  const: 'enum', oneOf: 'enum', 'not-offered': 'enum',
};

/**
 * How messages name a field: the declared phrase, else the label as it stands (German nouns keep
 * their capital; English labels lose theirs, unless an acronym: "Enter first name", "Enter IBAN").
 */
export function nameOf(named: Named): { de: string; en: string } {
  if (named.phrase) return named.phrase;
  const en = /^\p{Lu}\p{Ll}/u.test(named.label.en) ? named.label.en.charAt(0).toLowerCase() + named.label.en.slice(1) : named.label.en;
  return { de: named.label.de, en };
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Separable verb prefixes: "Üben Sie … aus?" asks whether you "ausüben". */
const PARTICLES = new Set(['ab', 'an', 'auf', 'aus', 'bei', 'ein', 'fest', 'fort', 'her', 'hin', 'mit', 'nach', 'vor', 'weg', 'weiter', 'zu', 'zurück', 'zusammen']);
const W_WORDS = new Set(['wer', 'wem', 'wen', 'was', 'wo', 'wann', 'warum', 'wohin', 'woher']);

/**
 * A question label as an indirect question, for "Wählen Sie aus, ob …": "Üben Sie die Tätigkeit im
 * Nebenerwerb aus?" → "ob Sie die Tätigkeit im Nebenerwerb ausüben"; "Wem gehört das Fahrzeug?" →
 * "wem das Fahrzeug gehört". Undefined where the sentence is not one of those plain shapes.
 */
export function indirectDe(question: string): string | undefined {
  const words = question.trim().replace(/\?$/, '').split(/\s+/);
  if (!question.trim().endsWith('?') || words.length < 3) return undefined;
  const [first = '', second = '', ...rest] = words;
  if (W_WORDS.has(first.toLowerCase()) && /^\p{Ll}/u.test(second)) return `${first.toLowerCase()} ${rest.join(' ')} ${second}`;
  if (second !== 'Sie' || !/^\p{Lu}\p{Ll}+$/u.test(first)) return undefined;
  let verb = first.toLowerCase();
  const last = rest[rest.length - 1];
  if (last && PARTICLES.has(last)) {
    verb = `${last}${verb}`;
    rest.pop();
  }
  return `ob Sie ${[...rest, verb].join(' ')}`;
}

/** "Do you …?" → "whether you …"; "Are you …?" → "whether you are …". Undefined otherwise. */
export function indirectEn(question: string): string | undefined {
  const m = /^(Do|Are|Have|Can|Will|Were) you (.+)\?$/.exec(question.trim());
  if (!m) return undefined;
  const [, aux = '', rest = ''] = m;
  return aux === 'Do' ? `whether you ${rest}` : `whether you ${aux.toLowerCase()} ${rest}`;
}

/** "Select an answer" in words of the question, where the label asks one. */
function chooseMessage(named: Named, yesno: boolean): LocalText {
  const n = nameOf(named);
  const de = named.phrase ? undefined : indirectDe(named.label.de);
  const en = named.phrase ? undefined : indirectEn(named.label.en);
  const isQuestion = (s: string) => s.trim().endsWith('?');
  return {
    de: de ? `Wählen Sie aus, ${de}.` : !named.phrase && isQuestion(named.label.de) ? (yesno ? 'Wählen Sie Ja oder Nein aus.' : 'Wählen Sie eine Antwort aus.') : `Wählen Sie ${n.de} aus.`,
    en: en ? `Select ${en}.` : !named.phrase && isQuestion(named.label.en) ? (yesno ? 'Select yes or no.' : 'Select an answer.') : `Select ${n.en}.`,
  };
}

/**
 * The default message for a JSON Schema keyword, in words for people: "Geben Sie Ihren Vornamen
 * ein", "Wählen Sie aus, ob Sie …". German first (the binding language); a form words any of them
 * per field ("errors", by keyword or group, see MESSAGE_GROUPS).
 */
export function messageFor(error: ErrorObject, named: Named, kind: string): LocalText {
  const p = error.params as Record<string, unknown>;
  const n = nameOf(named);
  const choice = kind === 'radios' || kind === 'select' || kind === 'yesno';
  switch (error.keyword) {
    case 'required':
      if (kind === 'file') return { de: `Laden Sie ${n.de} hoch.`, en: `Upload ${n.en}.` };
      if (kind === 'checkbox') return { de: `Setzen Sie das Häkchen bei ${n.de}.`, en: `Tick the box for ${n.en}.` };
      if (kind === 'checkboxes') return { de: `Wählen Sie für ${n.de} mindestens eine Möglichkeit aus.`, en: `Select at least one option for ${n.en}.` };
      return choice ? chooseMessage(named, kind === 'yesno') : { de: `Geben Sie ${n.de} ein.`, en: `Enter ${n.en}.` };
    case 'minItems':
      if (kind === 'file') return { de: `Laden Sie für ${n.de} mindestens ${p.limit} Dateien hoch.`, en: `Upload at least ${p.limit} files for ${n.en}.` };
      if (kind === 'checkboxes') return { de: `Wählen Sie für ${n.de} mindestens ${p.limit} Möglichkeiten aus.`, en: `Select at least ${p.limit} options for ${n.en}.` };
      return { de: `Geben Sie für ${n.de} mindestens ${p.limit} Einträge ein.`, en: `Enter at least ${p.limit} entries for ${n.en}.` };
    case 'minLength':
      return { de: `Geben Sie für ${n.de} mindestens ${p.limit} Zeichen ein.`, en: `Enter at least ${p.limit} characters for ${n.en}.` };
    case 'maxLength':
      return { de: `Für ${n.de} sind höchstens ${p.limit} Zeichen möglich.`, en: `${capital(n.en)} must be ${p.limit} characters or fewer.` };
    case 'minimum':
      return { de: `Geben Sie für ${n.de} mindestens ${p.limit} ein.`, en: `${capital(n.en)} must be ${p.limit} or more.` };
    case 'maximum':
      return { de: `Für ${n.de} ist höchstens ${p.limit} möglich.`, en: `${capital(n.en)} must be ${p.limit} or less.` };
    case 'format':
      if (p.format === 'email') return { de: 'Geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein.', en: 'Enter an email address like name@example.com.' };
      if (p.format === 'date') return { de: `Geben Sie für ${n.de} ein gültiges Datum ein.`, en: `${capital(n.en)} must be a real date.` };
      return { de: `Geben Sie ${n.de} im richtigen Format ein.`, en: `Enter ${n.en} in the right format.` };
    case 'pattern':
      return { de: `Geben Sie ${n.de} im richtigen Format ein.`, en: `Enter ${n.en} in the right format.` };
    case 'type':
      return { de: `Geben Sie für ${n.de} einen gültigen Wert ein.`, en: `Enter a valid value for ${n.en}.` };
    case 'const':
    case 'enum':
    case 'oneOf':
      return { de: `Wählen Sie für ${n.de} eine der angebotenen Möglichkeiten aus.`, en: `Select one of the options for ${n.en}.` };
    case 'maxItems':
      if (kind === 'checkboxes') return { de: `Wählen Sie für ${n.de} höchstens ${p.limit} Möglichkeiten aus.`, en: `Select at most ${p.limit} options for ${n.en}.` };
      return { de: `Prüfen Sie Ihre Angabe für ${n.de}.`, en: `Check your answer for ${n.en}.` };
    default:
      return { de: `Prüfen Sie Ihre Angabe für ${n.de}.`, en: `Check your answer for ${n.en}.` };
  }
}
