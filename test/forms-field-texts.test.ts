import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { date } from '../src/forms/fields/date.js';
import { file } from '../src/forms/fields/file.js';
import type { FieldKind, FormField, ParseContext } from '../src/forms/fields/kind.js';

/** The words the field kinds choose themselves, where the issue found them misleading (issue 22, item 12). */
function fieldOf(kind: FieldKind, schema: Record<string, unknown>): FormField {
  return { def: { pointer: '/x', kind: kind.name }, pointer: '/x', name: 'x', id: 'f-x', label: { de: 'Beginn', en: 'Start' }, schema, required: true, options: [], kind, controls: [] };
}

describe('texts the field kinds write themselves', () => {
  test('a date that does not exist is explained without an example date, which would lie in the past for a date ahead', () => {
    const parsed = date.parse(fieldOf(date, { type: 'string', format: 'date' }), { 'x.day': '31', 'x.month': '2', 'x.year': '2027' }, { places: undefined as never } satisfies ParseContext);
    assert.equal(parsed.error?.code, 'format');
    assert.deepEqual(parsed.error?.message, {
      de: 'Geben Sie für Beginn ein gültiges Datum ein: Tag, Monat und Jahr in Ziffern, das Jahr vierstellig.',
      en: 'Start must be a real date. Enter the day, month and year as numbers, the year with four digits.',
    });
  });

  test('a single upload with its file says in whole sentences that a new file replaces it', () => {
    const text = { type: 'string' };
    const ref = { type: 'object', properties: { id: text, filename: text, sha512: text, mediaType: { enum: ['application/pdf'] }, size: { type: 'integer', maximum: 1000 } } };
    const field = fieldOf(file, ref);
    const stored = { id: 'a', filename: 'plan.pdf', mediaType: 'application/pdf', size: 10, sha512: 'x' };
    assert.equal(file.view(field, stored, undefined, 'de', new Map()).replaceHint, 'Um die Datei zu ersetzen, wählen Sie unten eine andere aus. Die bisherige wird dann entfernt.');
    assert.equal(file.view(field, stored, undefined, 'en', new Map()).replaceHint, 'To replace this file, choose another one below. The current file is then removed.');
    assert.equal(file.view(field, undefined, undefined, 'de', new Map()).replaceHint, undefined, 'nothing to replace yet');
  });
});
