import type { ErrorObject } from 'ajv';
import type { LocalText } from '../services/contract.js';

/**
 * Applicant-facing messages per JSON Schema keyword, naming the field. German first (the binding
 * language); a form may override any of them per field ("errors" in the form definition).
 */
export function messageFor(error: ErrorObject, label: { de: string; en: string }, kind: string): LocalText {
  const p = error.params as Record<string, unknown>;
  const choice = kind === 'radios' || kind === 'select' || kind === 'yesno';
  switch (error.keyword) {
    case 'required':
      if (kind === 'file') return { de: `Laden Sie „${label.de}“ hoch.`, en: `Upload “${label.en}”.` };
      return choice
        ? { de: `Wählen Sie bei „${label.de}“ eine Antwort aus.`, en: `Select an answer for “${label.en}”.` }
        : { de: `Geben Sie „${label.de}“ an.`, en: `Enter “${label.en}”.` };
    case 'minItems':
      if (kind === 'file') return { de: `Laden Sie bei „${label.de}“ mindestens ${p.limit} Dateien hoch.`, en: `Upload at least ${p.limit} files for “${label.en}”.` };
      return { de: `Geben Sie bei „${label.de}“ mindestens ${p.limit} Einträge an.`, en: `Enter at least ${p.limit} entries for “${label.en}”.` };
    case 'minLength':
      return { de: `„${label.de}“ muss mindestens ${p.limit} Zeichen lang sein.`, en: `“${label.en}” must be at least ${p.limit} characters long.` };
    case 'maxLength':
      return { de: `„${label.de}“ darf höchstens ${p.limit} Zeichen lang sein.`, en: `“${label.en}” must be at most ${p.limit} characters long.` };
    case 'minimum':
      return { de: `„${label.de}“ muss mindestens ${p.limit} sein.`, en: `“${label.en}” must be at least ${p.limit}.` };
    case 'maximum':
      return { de: `„${label.de}“ darf höchstens ${p.limit} sein.`, en: `“${label.en}” must be at most ${p.limit}.` };
    case 'pattern':
      return { de: `„${label.de}“ hat nicht das erwartete Format.`, en: `“${label.en}” is not in the expected format.` };
    case 'format':
      if (p.format === 'email') return { de: 'Geben Sie eine E-Mail-Adresse im Format name@beispiel.de an.', en: 'Enter an email address like name@example.com.' };
      if (p.format === 'date') return { de: `„${label.de}“ muss ein gültiges Datum sein.`, en: `“${label.en}” must be a real date.` };
      return { de: `„${label.de}“ hat nicht das erwartete Format.`, en: `“${label.en}” is not in the expected format.` };
    case 'type':
      return { de: `„${label.de}“ hat einen ungültigen Wert.`, en: `“${label.en}” has an invalid value.` };
    case 'const':
    case 'enum':
    case 'oneOf':
      return { de: `Wählen Sie bei „${label.de}“ eine der angebotenen Möglichkeiten aus.`, en: `Select one of the options for “${label.en}”.` };
    default:
      return { de: `„${label.de}“ ist nicht gültig.`, en: `“${label.en}” is not valid.` };
  }
}
