import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { regionOf } from '../src/services/region.js';
import type { LoadedService } from '../src/services/registry.js';

const KIEL = '010020000000';

/** A service whose region() is the given function, counting the calls that threw. */
function serviceWith(region: (data: Record<string, unknown>) => string): { service: LoadedService; throws: () => number } {
  let thrown = 0;
  const logic = {
    region(data: Record<string, unknown>) {
      try {
        return region(data);
      } catch (err) {
        thrown += 1;
        throw err;
      }
    },
  };
  return { service: { definition: { id: 'probe' }, logic } as unknown as LoadedService, throws: () => thrown };
}

type Answers = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the region of answers that do not yet name the place', () => {
  test('is unknown on every page of a partial draft without region() throwing on each render', () => {
    const { service, throws } = serviceWith((data: Answers) => data.halter.anschrift.ars);
    for (let i = 0; i < 10; i++) assert.equal(regionOf(service, { hund: { name: `Bello ${i}` } }), undefined);
    assert.ok(throws() <= 2, `region() threw ${throws()} times for 10 renders`);
    assert.equal(regionOf(service, { halter: { anschrift: { ars: KIEL } } }), KIEL, 'known as soon as the place is answered');
    assert.equal(regionOf(service, { halter: { anschrift: {} } }), undefined);
    assert.equal(regionOf(service, { halter: { anschrift: { ars: KIEL } } }), KIEL);
  });

  test('is known once answered, however region() reads the answers (fallbacks, listed keys)', () => {
    const fallback = serviceWith((data: Answers) => (data.firma?.anschrift ?? data.person.anschrift).ars).service;
    assert.equal(regionOf(fallback, {}), undefined);
    assert.equal(regionOf(fallback, { firma: { anschrift: { ars: KIEL } } }), KIEL);

    const listed = serviceWith((data: Answers) => data.orte[Object.keys(data.orte)[0] as string].ars).service;
    assert.equal(regionOf(listed, { orte: {} }), undefined);
    assert.equal(regionOf(listed, { orte: { erster: { ars: KIEL } } }), KIEL);

    const viaArray = serviceWith((data: Answers) => data.adressen.find((a: Answers) => a.haupt).ars).service;
    assert.equal(regionOf(viaArray, { adressen: [{ haupt: false, ars: '010030000000' }] }), undefined);
    assert.equal(regionOf(viaArray, { adressen: [{ haupt: false, ars: '010030000000' }, { haupt: true, ars: KIEL }] }), KIEL);
  });
});
