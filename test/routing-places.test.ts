import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLACES_INDEX_FILE, PlaceIndex } from '../src/places/places.js';

const REFERENCE = join('routing', 'reference');

/** A project root holding only a copy of routing/reference/, without the index unless asked. */
function referenceCopy(withIndex: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'efa-places-'));
  cpSync(REFERENCE, join(root, REFERENCE), { recursive: true, filter: (src) => withIndex || !src.endsWith(PLACES_INDEX_FILE) });
  return root;
}

describe('the postal code index startup reads (routing/reference/places.index.json)', () => {
  test('is the one npm run gen:places makes from the CSVs in the repository', () => {
    assert.equal(PlaceIndex.indexIsCurrent('.'), true, 'run npm run gen:places');
    assert.equal(readFileSync(join(REFERENCE, PLACES_INDEX_FILE), 'utf8'), PlaceIndex.buildIndexText('.'));
  });

  test('gives every postal code the same municipalities as parsing the CSVs', () => {
    const root = referenceCopy(false);
    try {
      const fromIndex = PlaceIndex.load('.');
      const fromCsv = PlaceIndex.load(root);
      assert.deepEqual([...fromIndex.municipalities], [...fromCsv.municipalities]);
      const postalCodes = Object.keys((JSON.parse(readFileSync(join(REFERENCE, PLACES_INDEX_FILE), 'utf8')) as { postalCodes: Record<string, number[]> }).postalCodes);
      assert.ok(postalCodes.length > 8000, `only ${postalCodes.length} postal codes`);
      for (const plz of postalCodes) assert.deepEqual(fromIndex.byPostalCode(plz), fromCsv.byPostalCode(plz), plz);
      assert.deepEqual(fromIndex.byPostalCode('24103'), [{ ars: '010020000000', name: 'Kiel, Landeshauptstadt' }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('is not used once a CSV changed: the changed CSV counts', () => {
    const root = referenceCopy(true);
    try {
      assert.equal(PlaceIndex.indexIsCurrent(root), true);
      assert.deepEqual(PlaceIndex.load(root).byPostalCode('00999'), []);
      // A new postal code for Kiel (AGS 01002000) in the OSM table.
      appendFileSync(join(root, REFERENCE, 'plz-ags.csv'), '1,01002000,Kiel,00999,,Schleswig-Holstein\n');
      assert.equal(PlaceIndex.indexIsCurrent(root), false);
      assert.deepEqual(PlaceIndex.load(root).byPostalCode('00999'), [{ ars: '010020000000', name: 'Kiel, Landeshauptstadt' }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
