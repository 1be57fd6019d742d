import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appropriateSize, incomeLimit, logic, type Parameters } from '../services/wohnberechtigungsschein/logic.js';
import type { Wohnberechtigungsschein } from '../services/wohnberechtigungsschein/types.gen.js';
import type { LogicContext } from '../src/services/contract.js';
import { newLogicContext } from '../src/services/context.js';

/** The federal figures of § 9 Abs. 2 WoFG, the service's defaults. */
const federal: Parameters = { grenzeEinPersonEuro: 12000, grenzeZweiPersonenEuro: 18000, zuschlagJePersonEuro: 4100, zuschlagJeKindEuro: 500, wohnflaecheEinPersonQm: 50, wohnflaecheJePersonQm: 15, gebuehrCent: 0 };
const ctx: LogicContext<Parameters> = newLogicContext(federal, 'sh', '2026-12-02');
const file = { id: '3f0c6f6e-9a1b-4c39-9d6e-2f4f1a0b7c11', filename: 'lohn.pdf', mediaType: 'application/pdf' as const, size: 2048, sha512: 'c'.repeat(128) };

function application(haushalt: Wohnberechtigungsschein['haushalt'], income: number, birth = '1990-05-05'): Wohnberechtigungsschein {
  return {
    antragsteller: { vorname: 'Jana', familienname: 'Petersen', geburtsdatum: birth, anschrift: { strasse: 'Holstenstraße', hausnummer: '1', plz: '24103', ort: 'Kiel', ars: '010020000000' } },
    haushalt, einkommen: { jahreseinkommenEuro: income }, nachweise: { einkommensnachweise: [file], ausweis: file },
  };
}

describe('Wohnberechtigungsschein: income limit and flat size by household', () => {
  test('the federal limits: 12,000 € alone, 18,000 € for two, 4,100 € per further person, 500 € per child', () => {
    assert.equal(incomeLimit(1, 0, federal), 12000);
    assert.equal(incomeLimit(2, 0, federal), 18000);
    assert.equal(incomeLimit(4, 2, federal), 18000 + 2 * 4100 + 2 * 500);
    assert.equal(appropriateSize(1, federal), 50);
    assert.equal(appropriateSize(4, federal), 95);
  });

  test('derive counts the household and children and estimates against the limit without refusing', () => {
    const kids = [
      { vorname: 'Tom', familienname: 'Petersen', geburtsdatum: '2018-01-01', beziehung: 'kind' as const },
      { vorname: 'Mia', familienname: 'Petersen', geburtsdatum: '2020-01-01', beziehung: 'kind' as const },
      { vorname: 'Ole', familienname: 'Petersen', geburtsdatum: '1989-01-01', beziehung: 'ehegatte' as const },
    ];
    const derived = logic.derive(application(kids, 30000), ctx);
    assert.deepEqual(derived, { haushaltsgroesse: 4, kinder: 2, einkommensgrenzeEuro: 27200, angemesseneWohnflaecheQm: 95, einkommenVoraussichtlichUnterGrenze: false });
    assert.deepEqual(logic.rules(application(kids, 30000), ctx), [], 'an income above the estimate is for the authority to assess, not a form error');
  });

  test('a Land with higher limits gives the same household a higher limit', () => {
    const higher = { ...ctx, params: { ...federal, grenzeEinPersonEuro: 15000 } };
    assert.equal(logic.derive(application([], 14000), higher).einkommenVoraussichtlichUnterGrenze, true);
    assert.equal(logic.derive(application([], 14000), ctx).einkommenVoraussichtlichUnterGrenze, false);
  });

  test('rules: the applicant must be of age; a household member cannot be born in the future', () => {
    const codes = (data: Wohnberechtigungsschein) => logic.rules(data, ctx).map((i) => `${i.pointer} ${i.code}`);
    assert.deepEqual(codes(application([], 10000, '2010-01-01')), ['/antragsteller/geburtsdatum EFA_RULE_VOLLJAEHRIG']);
    assert.deepEqual(codes(application([{ vorname: 'Baby', familienname: 'Petersen', geburtsdatum: '2027-02-01', beziehung: 'kind' }], 10000)), ['/haushalt/0/geburtsdatum EFA_RULE_GEBURT_ZUKUNFT']);
  });

  test('the municipality\'s fee, 0 € by default', () => {
    assert.deepEqual(logic.fee(application([], 10000), ctx), { cents: 0, currency: 'EUR' });
    assert.deepEqual(logic.fee(application([], 10000), { ...ctx, params: { ...federal, gebuehrCent: 1500 } }), { cents: 1500, currency: 'EUR' });
  });
});
