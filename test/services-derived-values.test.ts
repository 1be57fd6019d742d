import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDeclaration } from '../src/core/declarations.js';
import { displayFacts } from '../src/http/applicant/facts.js';
import { genericPayload } from '../src/messages/index.js';
import { FORMATS_DIR } from '../src/runtime.js';
import type { DisplayItem, LoadedService } from '../src/services/registry.js';

/** A service whose display shows two derived lists: names as text, amounts as money. */
const service = {
  definition: {
    display: [
      { value: 'derived.namen', label: { de: 'Hunde', en: 'Dogs' } },
      { value: 'derived.betraegeCent', label: { de: 'Beträge', en: 'Amounts' }, format: 'money' },
      { value: 'derived.keine', label: { de: 'Keine', en: 'None' } },
    ],
  },
} as unknown as LoadedService;
const derived: Record<string, unknown> = { namen: ['Bello', 'Rex'], betraegeCent: [12000, 18050], keine: [] };
const valueOf = (item: DisplayItem) => derived[item.value.slice('derived.'.length)];

describe('derived values that are lists', () => {
  test('are declared with type "array" in service.json', () => {
    const dir = readdirSync('services').find((d) => readdirSync(join('services', d)).includes('service.json')) as string;
    const doc = JSON.parse(readFileSync(join('services', dir, 'service.json'), 'utf8')) as { derived?: Record<string, unknown> };
    doc.derived = { ...doc.derived, namen: { title: { de: 'Namen der Hunde' }, type: 'array' } };
    assert.doesNotThrow(() => validateDeclaration('service.json', doc, join(FORMATS_DIR, 'service.schema.json')));
  });

  test('are shown item by item in the display format, joined with commas; an empty list as "–"', () => {
    assert.deepEqual(displayFacts(service, 'check', 'de', valueOf).map((f) => `${f.label}: ${f.value.replace(/\s/g, ' ')}`), ['Hunde: Bello, Rex', 'Beträge: 120,00 €, 180,50 €', 'Keine: –']);
    assert.deepEqual(displayFacts(service, 'confirmation', 'en', valueOf).map((f) => f.value), ['Bello, Rex', '€120.00, €180.50', '–']);
  });

  test('reach the authority as a JSON array, and in XML as one element per item without a wrapper', () => {
    const doc = { meta: { reference: 'SH-2026-0001' }, data: {}, derived: { namen: ['Bello', 'Rex'] } };
    assert.deepEqual((JSON.parse(genericPayload('json', doc).text) as typeof doc).derived.namen, ['Bello', 'Rex']);
    assert.match(genericPayload('xml', doc).text, /<derived>\s*<namen>Bello<\/namen>\s*<namen>Rex<\/namen>\s*<\/derived>/);
  });
});
