import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { date } from '../src/forms/fields/date.js';
import type { FieldKind, FormField, FormFieldDefinition, ParseContext } from '../src/forms/fields/kind.js';
import { groupedIban, normaliseHouseNumber, normaliseIban, normalisePhone, normalisePlate } from '../src/forms/fields/normalise.js';
import { iban, integer, plate, tel } from '../src/forms/fields/text.js';
import { indirectDe, indirectEn, messageFor } from '../src/forms/messages.js';
import type { ErrorObject } from 'ajv';

/** Everyday input as people type it (issue 23, item 4): normalised, or refused with a message that says why. */
function fieldOf(kind: FieldKind, schema: Record<string, unknown>, def: Partial<FormFieldDefinition> = {}, label = { de: 'Angabe', en: 'Answer' }): FormField {
  return { def: { pointer: '/x', kind: kind.name, ...def }, pointer: '/x', name: 'x', id: 'f-x', label, schema, required: true, options: [], kind, controls: [] };
}
const ctx = (extra: Partial<ParseContext> = {}): ParseContext => ({ places: undefined as never, ...extra });
const HOSTILE = ['', ' ', 'x'.repeat(10_000), '<script>alert(1)</script>', '\u0000M-AB 1', 'M-AB 1\u202E', '١٢٣٤', '🚗-AB 12', 'DROP TABLE;--'];

describe('number plates', () => {
  test('case and separators as typed are the plate as printed', () => {
    for (const [typed, stored] of [['m-ah 1234', 'M-AH 1234'], ['M AH 1234', 'M-AH 1234'], ['m–ah1234', 'M-AH 1234'], [' hh - ab 12 ', 'HH-AB 12'], ['öhr-x 7e', 'ÖHR-X 7E'], ['B.XY.99H', 'B-XY 99H']]) {
      assert.deepEqual(normalisePlate(typed as string), { ok: true, value: stored }, typed);
    }
  });
  test('without a separator after the district the split is unknowable; nonsense is refused', () => {
    assert.deepEqual(normalisePlate('MAH1234'), { ok: false, problem: 'separator' });
    assert.deepEqual(normalisePlate('MAH 1234'), { ok: false, problem: 'separator' });
    for (const bad of [...HOSTILE, 'M-AB 0123', 'M-ABC 12', 'ABCD-A 1', 'M-AB 12345', 'ABC-DE 1234']) assert.equal(normalisePlate(bad).ok, false, JSON.stringify(bad.slice(0, 30)));
  });
  test('the plate kind stores the normalised plate and words its refusal with the field', () => {
    const field = fieldOf(plate, { type: 'string' }, { inMessages: { de: 'das Kennzeichen', en: 'the registration number' } });
    assert.equal(plate.parse(field, { x: 'm-ah 1234' }, ctx()).value, 'M-AH 1234');
    const refused = plate.parse(field, { x: 'mah1234' }, ctx());
    assert.equal(refused.value, undefined);
    assert.equal((refused.error?.message as { de: string }).de, 'Geben Sie das Kennzeichen mit einem Bindestrich nach dem Ortskürzel ein, wie auf dem Schild, zum Beispiel M-AB 1234.');
    assert.equal(refused.raw.value, 'mah1234', 'shown again as typed');
  });
});

describe('house numbers', () => {
  test('suffixes, ranges and words as used in Germany; spaces tidied', () => {
    for (const [typed, stored] of [['8 Rgb.', '8 Rgb.'], ['12a', '12a'], ['12 A', '12a'], ['3-5', '3-5'], ['3 – 5', '3-5'], ['12 / 1', '12/1'], ['  7   Hinterhaus ', '7 Hinterhaus'], ['4 b Rgb.', '4b Rgb.']]) {
      assert.equal(normaliseHouseNumber(typed as string), stored, typed);
    }
  });
  test('the schema pattern of the shipped services takes them, and still refuses what is no house number', () => {
    const pattern = /^[0-9]{1,5}( ?[a-zA-Z])?( ?[-/] ?[0-9]{1,5}( ?[a-zA-Z])?)?( [A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß.]{0,19})?$/;
    for (const ok of ['8 Rgb.', '12a', '3-5', '12/1', '7 Hinterhaus', '4b Rgb.']) assert.match(ok, pattern);
    for (const bad of ['Rgb. 8', 'abc', '', '12 <b>', `1 ${'x'.repeat(40)}`, '1;DROP']) assert.doesNotMatch(normaliseHouseNumber(bad), pattern, bad);
  });
});

describe('phone numbers', () => {
  test('the usual marks become single spaces; an international prefix is +, without the (0)', () => {
    for (const [typed, stored] of [['0171 / 123 45-67', '0171 123 45 67'], ['+49 (0) 30 1234567', '+49 30 1234567'], ['0049 30 1234567', '+49 30 1234567'], ['(030) 1234567', '030 1234567'], ['030.123.4567', '030 123 4567']]) {
      assert.deepEqual(normalisePhone(typed as string), { ok: true, value: stored }, typed);
    }
  });
  test('letters, too few or too many digits and other marks are refused, each with its reason', () => {
    assert.deepEqual(normalisePhone('030 CALL ME'), { ok: false, problem: 'letters' });
    assert.deepEqual(normalisePhone('12345'), { ok: false, problem: 'length' });
    assert.deepEqual(normalisePhone('1'.repeat(16)), { ok: false, problem: 'length' });
    assert.deepEqual(normalisePhone('030 123#456'), { ok: false, problem: 'format' });
    for (const bad of HOSTILE) assert.equal(normalisePhone(bad).ok, false, JSON.stringify(bad.slice(0, 30)));
    const field = fieldOf(tel, { type: 'string' }, {}, { de: 'Telefonnummer', en: 'Phone number' });
    assert.equal(tel.parse(field, { x: '0171 / 123 45-67' }, ctx()).value, '0171 123 45 67');
    assert.match((tel.parse(field, { x: '030 CALL ME' }, ctx()).error?.message as { de: string }).de, /nur mit Ziffern/);
  });
});

describe('IBAN', () => {
  test('spaces and lower case are how people copy it; stored compact, shown in fours', () => {
    assert.deepEqual(normaliseIban('de89 3704 0044 0532 0130 00'), { ok: true, value: 'DE89370400440532013000' });
    assert.deepEqual(normaliseIban('AT61 1904 3002 3457 3201'), { ok: true, value: 'AT611904300234573201' });
    assert.equal(groupedIban('DE89370400440532013000'), 'DE89 3704 0044 0532 0130 00');
  });
  test('a typo fails the ISO 7064 check digits, with its own message; length and country too', () => {
    assert.deepEqual(normaliseIban('DE89 3704 0044 0532 0130 01'), { ok: false, problem: 'checksum' });
    assert.deepEqual(normaliseIban('DE98 3704 0044 0532 0130 00'), { ok: false, problem: 'checksum' });
    assert.deepEqual(normaliseIban('DE89 3704 0044 0532 0130 0'), { ok: false, problem: 'length' });
    assert.deepEqual(normaliseIban('XX89 3704 0044 0532 0130 00'), { ok: false, problem: 'country' });
    for (const bad of HOSTILE) assert.equal(normaliseIban(bad).ok, false, JSON.stringify(bad.slice(0, 30)));
    const field = fieldOf(iban, { type: 'string' }, { inMessages: { de: 'Ihre IBAN', en: 'your IBAN' } });
    const typo = iban.parse(field, { x: 'DE89 3704 0044 0532 0130 01' }, ctx());
    assert.equal(typo.error?.code, 'format');
    assert.match((typo.error?.message as { de: string }).de, /^Die Prüfziffern passen nicht zur Nummer: Prüfen Sie Ihre IBAN Ziffer für Ziffer/);
    assert.equal(iban.summary(field, 'DE89370400440532013000', 'de'), 'DE89 3704 0044 0532 0130 00');
  });
});

describe('whole numbers with thousands marks', () => {
  const field = fieldOf(integer, { type: 'integer' }, { inMessages: { de: 'die zulässige Gesamtmasse', en: 'the permissible weight' } });
  test('„1.850“ is 1850 on a German page, "1,850" on an English one; a decimal is refused', () => {
    assert.equal(integer.parse(field, { x: '1.850' }, ctx({ lang: 'de' })).value, 1850);
    assert.equal(integer.parse(field, { x: '1 850' }, ctx({ lang: 'de' })).value, 1850);
    assert.equal(integer.parse(field, { x: '1,850' }, ctx({ lang: 'en' })).value, 1850);
    assert.equal(integer.parse(field, { x: '1.850,00' }, ctx({ lang: 'de' })).value, 1850);
    const decimal = integer.parse(field, { x: '1,85' }, ctx({ lang: 'de' }));
    assert.equal(decimal.value, undefined);
    assert.equal((decimal.error?.message as { de: string }).de, 'Geben Sie für die zulässige Gesamtmasse eine ganze Zahl ein, zum Beispiel 3.');
    for (const bad of [...HOSTILE.filter(Boolean).filter((h) => h.trim()), '1.85.0', '1e5', '0x10', '9'.repeat(16)]) assert.equal(integer.parse(field, { x: bad }, ctx()).value, undefined, JSON.stringify(bad.slice(0, 30)));
  });
});

describe('dates: two-digit years and dates that must lie behind', () => {
  const birth = fieldOf(date, { type: 'string', format: 'date' }, { timing: 'past', inMessages: { de: 'Ihr Geburtsdatum', en: 'your date of birth' } });
  const post = (d: string, m: string, y: string) => ({ 'x.day': d, 'x.month': m, 'x.year': y });
  test('a two-digit year is refused with its own message, suggesting the likely century', () => {
    const parsed = date.parse(birth, post('27', '3', '85'), ctx({ today: '2026-12-07' }));
    assert.equal(parsed.error?.code, 'two-digit-year');
    assert.deepEqual(parsed.error?.message, { de: 'Geben Sie das Jahr vierstellig ein, zum Beispiel 1985 statt 85.', en: 'Enter the year with four digits, for example 1985 instead of 85.' });
    assert.match((date.parse(birth, post('1', '1', '25'), ctx({ today: '2026-12-07' })).error?.message as { de: string }).de, /2025 statt 25/);
  });
  test('a birth date after today is refused; today and before are taken', () => {
    const future = date.parse(birth, post('1', '1', '2030'), ctx({ today: '2026-12-07' }));
    assert.equal(future.error?.code, 'past');
    assert.equal((future.error?.message as { de: string }).de, 'Geben Sie für Ihr Geburtsdatum ein Datum bis heute ein; es kann nicht in der Zukunft liegen.');
    assert.equal(date.parse(birth, post('7', '12', '2026'), ctx({ today: '2026-12-07' })).value, '2026-12-07');
    for (const bad of [post('1', '1', '-985'), post('1', '1', '19850'), post('x', '1', '1985'), post('1', '13', '1985'), post('1e1', '1', '1985')]) assert.equal(date.parse(birth, bad, ctx({ today: '2026-12-07' })).value, undefined, JSON.stringify(bad));
  });
});

describe('messages in words for people', () => {
  const required = { keyword: 'required', params: {}, instancePath: '', schemaPath: '' } as ErrorObject;
  test('a declared phrase: „Geben Sie Ihren Vornamen ein“; without one, the label without quotes', () => {
    assert.deepEqual(messageFor(required, { label: { de: 'Vorname', en: 'First name' }, phrase: { de: 'Ihren Vornamen', en: 'your first name' } }, 'text'), { de: 'Geben Sie Ihren Vornamen ein.', en: 'Enter your first name.' });
    assert.deepEqual(messageFor(required, { label: { de: 'Rufname', en: 'Name' } }, 'text'), { de: 'Geben Sie Rufname ein.', en: 'Enter name.' });
    assert.deepEqual(messageFor(required, { label: { de: 'Nachweis', en: 'Proof' }, phrase: { de: 'den Nachweis', en: 'the proof' } }, 'file'), { de: 'Laden Sie den Nachweis hoch.', en: 'Upload the proof.' });
  });
  test('a question is asked back as "Wählen Sie aus, ob …" / "Select whether …"', () => {
    assert.equal(indirectDe('Üben Sie die Tätigkeit im Nebenerwerb aus?'), 'ob Sie die Tätigkeit im Nebenerwerb ausüben');
    assert.equal(indirectDe('Haben Sie einen Hund?'), 'ob Sie einen Hund haben');
    assert.equal(indirectDe('Wem gehört das Fahrzeug?'), 'wem das Fahrzeug gehört');
    assert.equal(indirectDe('Vorname'), undefined);
    assert.equal(indirectEn('Do you keep a dog?'), 'whether you keep a dog');
    assert.equal(indirectEn('Are you the owner?'), 'whether you are the owner');
    assert.deepEqual(messageFor(required, { label: { de: 'Üben Sie die Tätigkeit im Nebenerwerb aus?', en: 'Do you work at it on the side?' } }, 'yesno'), { de: 'Wählen Sie aus, ob Sie die Tätigkeit im Nebenerwerb ausüben.', en: 'Select whether you work at it on the side.' });
    assert.deepEqual(messageFor(required, { label: { de: 'Ist es ein Listenhund?', en: 'Is it a listed breed?' } }, 'yesno'), { de: 'Wählen Sie Ja oder Nein aus.', en: 'Select yes or no.' });
  });
  test('no message quotes the label as a template would („Geben Sie „Vorname“ an.“)', () => {
    for (const keyword of ['required', 'minLength', 'maxLength', 'minimum', 'maximum', 'pattern', 'type', 'enum', 'format']) {
      const m = messageFor({ keyword, params: { limit: 3 }, instancePath: '', schemaPath: '' } as ErrorObject, { label: { de: 'Vorname', en: 'First name' }, phrase: { de: 'Ihren Vornamen', en: 'your first name' } }, 'text') as { de: string; en: string };
      assert.doesNotMatch(`${m.de} ${m.en}`, /[„“”]/, keyword);
    }
  });
});
