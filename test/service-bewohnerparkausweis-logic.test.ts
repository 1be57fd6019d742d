import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { logic, type Parameters } from '../services/bewohnerparkausweis/logic.js';
import type { Bewohnerparkausweis } from '../services/bewohnerparkausweis/types.gen.js';
import type { LogicContext } from '../src/services/contract.js';
import { newLogicContext } from '../src/services/context.js';

const params: Parameters = { gebuehrJahrCent: 3070, hoechstdauerJahre: 2 };
const ctx: LogicContext<Parameters> = newLogicContext(params, 'by', '2026-12-02');
const file = { id: '3f0c6f6e-9a1b-4c39-9d6e-2f4f1a0b7c11', filename: 'meldebescheinigung.pdf', mediaType: 'application/pdf' as const, size: 2048, sha512: 'b'.repeat(128) };

function application(over: { fahrzeug?: Partial<Bewohnerparkausweis['fahrzeug']>; ausweis?: Partial<Bewohnerparkausweis['ausweis']>; nachweise?: Partial<Bewohnerparkausweis['nachweise']> } = {}): Bewohnerparkausweis {
  return {
    antragsteller: { vorname: 'Anna', familienname: 'Huber', geburtsdatum: '1978-02-28', anschrift: { strasse: 'Marienplatz', hausnummer: '8', plz: '80331', ort: 'München', ars: '091620000000' } },
    fahrzeug: { kennzeichen: 'M-AH 1234', fahrzeugart: 'pkw', gesamtmasseKg: 1800, nutzung: 'eigen', ...over.fahrzeug },
    ausweis: { jahre: 2, ...over.ausweis },
    nachweise: { meldebescheinigung: file, ...over.nachweise },
  };
}

describe('Bewohnerparkausweis: fee, term and vehicle rules', () => {
  test('the fee is the municipality\'s yearly fee times the years requested', () => {
    assert.deepEqual(logic.fee(application(), ctx), { cents: 6140, currency: 'EUR' });
    assert.deepEqual(logic.fee(application({ ausweis: { jahre: 1 } }), { ...ctx, params: { ...params, gebuehrJahrCent: 36000 } }), { cents: 36000, currency: 'EUR' });
  });

  const codes = (data: Bewohnerparkausweis) => logic.rules(data, ctx).map((i) => `${i.pointer} ${i.code}`);

  test('vehicles over 3.5 t and terms beyond the municipality\'s limit are refused at their field', () => {
    assert.deepEqual(codes(application()), []);
    assert.deepEqual(codes(application({ fahrzeug: { gesamtmasseKg: 3600 } })), ['/fahrzeug/gesamtmasseKg EFA_RULE_GEWICHT']);
    assert.deepEqual(codes(application({ ausweis: { jahre: 3 } })), ['/ausweis/jahre EFA_RULE_DAUER']);
  });

  test('a company or leased car needs the proof of use; the applicant\'s own does not', () => {
    assert.deepEqual(codes(application({ fahrzeug: { nutzung: 'firmenwagen' } })), ['/nachweise/nutzungsnachweis EFA_RULE_NUTZUNGSNACHWEIS']);
    assert.deepEqual(codes(application({ fahrzeug: { nutzung: 'firmenwagen' }, nachweise: { nutzungsnachweis: file } })), []);
    assert.equal(logic.derive(application({ fahrzeug: { nutzung: 'leasing' } }), ctx).fremdfahrzeug, true);
  });

  test('responsibility follows the main residence', () => {
    assert.equal(logic.region(application()), '091620000000');
  });
});
