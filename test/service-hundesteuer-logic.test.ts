import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { logic, taxPerDog, type Parameters } from '../services/hundesteuer/logic.js';
import type { Hundesteuer } from '../services/hundesteuer/types.gen.js';
import type { LogicContext } from '../src/services/contract.js';
import { newLogicContext } from '../src/services/context.js';

const params: Parameters = { steuerErsterHundCent: 12000, steuerWeitererHundCent: 18000, steuerListenhundCent: 60000, listenhunde: ['pitbull-terrier', 'american-staffordshire-terrier'] };
const ctx: LogicContext<Parameters> = newLogicContext(params, 'nw', '2026-12-02');
const certificate = { id: '3f0c6f6e-9a1b-4c39-9d6e-2f4f1a0b7c11', filename: 'wesenstest.pdf', mediaType: 'application/pdf' as const, size: 2048, sha512: 'a'.repeat(128) };

function dog(over: Partial<Hundesteuer['hunde'][number]> = {}): Hundesteuer['hunde'][number] {
  return { name: 'Bello', rasse: 'labrador-retriever', geschlecht: 'ruede', wurfdatum: '2024-04-01', haltungsbeginn: '2024-07-01', ...over };
}

function application(hunde: Hundesteuer['hunde']): Hundesteuer {
  return { halter: { vorname: 'Erika', familienname: 'Mustermann', geburtsdatum: '1980-01-01', anschrift: { strasse: 'Domkloster', hausnummer: '4', plz: '50667', ort: 'Köln', ars: '053150000000' } }, hunde };
}

describe('Hundesteuer: the yearly tax per dog follows the municipality\'s rates', () => {
  test('the first ordinary dog pays the first rate, every further one the higher rate, a listed dog the listed rate', () => {
    const hunde = [dog({ rasse: 'pitbull-terrier', nachweis: certificate }), dog(), dog({ name: 'Luna' })];
    assert.deepEqual(taxPerDog(hunde, ctx), [60000, 12000, 18000]);
    const derived = logic.derive(application(hunde as Hundesteuer['hunde']), ctx);
    assert.equal(derived.jahressteuerCent, 90000);
    assert.equal(derived.anzahlHunde, 3);
    assert.equal(derived.anzahlListenhunde, 1);
  });

  test('a breed listed in one Land is an ordinary dog in a Land that does not list it', () => {
    const elsewhere = { ...ctx, params: { ...params, listenhunde: [] } };
    assert.deepEqual(taxPerDog([dog({ rasse: 'pitbull-terrier' })], elsewhere), [12000]);
  });

  test('registering costs no fee: the tax is assessed later by the municipality', () => {
    assert.deepEqual(logic.fee(application([dog()]), ctx), { cents: 0, currency: 'EUR' });
  });

  test('responsibility follows the keeper\'s main residence', () => {
    assert.equal(logic.region(application([dog()])), '053150000000');
  });
});

describe('Hundesteuer: rules name the dog\'s row', () => {
  const codes = (hunde: Array<Partial<Hundesteuer['hunde'][number]>>) => logic.rules({ hunde: hunde as Hundesteuer['hunde'] }, ctx).map((i) => `${i.pointer} ${i.code}`);

  test('a listed breed needs its certificate, an ordinary one does not', () => {
    assert.deepEqual(codes([dog(), dog({ rasse: 'pitbull-terrier' })]), ['/hunde/1/nachweis EFA_RULE_NACHWEIS_LISTENHUND']);
    assert.deepEqual(codes([dog(), dog({ rasse: 'pitbull-terrier', nachweis: certificate })]), []);
  });

  test('dates: no birth in the future, no keeping before birth, no registration more than three months ahead', () => {
    assert.deepEqual(codes([dog({ wurfdatum: '2027-01-01', haltungsbeginn: '2027-01-02' })]), ['/hunde/0/wurfdatum EFA_RULE_WURFDATUM_ZUKUNFT']);
    assert.deepEqual(codes([dog({ wurfdatum: '2024-04-01', haltungsbeginn: '2024-03-01' })]), ['/hunde/0/haltungsbeginn EFA_RULE_HALTUNG_VOR_GEBURT']);
    assert.deepEqual(codes([dog({ haltungsbeginn: '2027-06-01' })]), ['/hunde/0/haltungsbeginn EFA_RULE_HALTUNG_ZU_FRUEH']);
  });

  test('the same microchip number on two dogs is refused at the second', () => {
    assert.deepEqual(codes([dog({ chipnummer: '276098100123456' }), dog({ chipnummer: '276098100123456' })]), ['/hunde/1/chipnummer EFA_RULE_CHIP_DOPPELT']);
  });

  test('a row still being filled in reports nothing it cannot know yet', () => {
    assert.deepEqual(codes([{ name: 'Bello' }]), []);
  });
});
