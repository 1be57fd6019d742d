import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadRouting, endpointFor, type RoutingData } from '../src/routing/load.js';
import { ResponsibilityIndex } from '../src/routing/responsibility.js';
import { compileRouting } from '../src/routing/compile.js';
import { locatedDocument } from '../src/routing/document.js';
import { generateNationwide, levelOf, serviceKeys, GEWERBEANMELDUNG } from '../src/demo/nationwide.js';
import { documentText } from '../src/cli/routing.js';
import { FORMATS_DIR } from '../src/runtime.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const GEWERBE = GEWERBEANMELDUNG;

interface Municipality { ars: string; name: string; population: number; kreisfrei: boolean }

/** The official list, read here and not through the code under test. */
const municipalities: Municipality[] = (parse(readFileSync('routing/reference/gemeindeverzeichnis.csv'), { columns: true, bom: true }) as Array<Record<string, string>>)
  .filter((r) => r.satzart === '60')
  .map((r) => ({ ars: `${r.land}${r.rb}${r.kreis}${r.vb}${r.gemeinde}`, name: r.gemeindename ?? '', population: Number((r.bevoelkerung ?? '').replace(/\s/g, '')), kreisfrei: r.textkennzeichen === '61' || r.textkennzeichen === '62' }));

function demoRouting(): RoutingData {
  return loadRouting('.', FORMATS_DIR, ENV);
}

describe('Zuständigkeitsfinder on the demo data', () => {
  const routing = demoRouting();
  const resolve = (ars: string) => routing.responsibility.resolve(GEWERBE, ars);

  test('a municipality with its own rule: Kiel', () => {
    assert.equal(resolve('010020000000'), 'gewerbeamt-kiel');
  });

  test('Kreis fallback: every municipality of Kreis Segeberg goes to the Kreis', () => {
    const segeberg = municipalities.filter((m) => m.ars.startsWith('01060'));
    assert.ok(segeberg.length > 50, 'the reference list has Segeberg\'s municipalities');
    for (const m of segeberg) assert.equal(resolve(m.ars), 'kreis-segeberg', m.name);
  });

  test('Land fallback: Schleswig-Holstein outside Kiel, Lübeck and Kreis Segeberg goes to the Land', () => {
    const rest = municipalities.filter((m) => m.ars.startsWith('01') && !m.ars.startsWith('01060') && !['010020000000', '010030000000'].includes(m.ars));
    for (const m of rest) assert.equal(resolve(m.ars), 'land-sh', m.name);
  });

  test('every German municipality has a responsible authority with an endpoint: a demo submission works in all 16 Länder', () => {
    const byLand = new Map<string, Set<string>>();
    for (const m of municipalities) {
      const id = resolve(m.ars);
      assert.ok(id, `${m.name} (${m.ars}) has no responsible authority`);
      assert.ok(endpointFor(routing, id, GEWERBE), `${id} has no endpoint`);
      byLand.set(m.ars.slice(0, 2), (byLand.get(m.ars.slice(0, 2)) ?? new Set()).add(id));
    }
    assert.equal(byLand.size, 16);
  });

  test('the local demo receiver holds the private key of every push endpoint, so it can decrypt what arrives', () => {
    for (const entry of routing.directory.values()) {
      if (!['webhook', 'xta', 'osci', 'fit-connect'].includes(entry.transport)) continue;
      const identity = entry.transport === 'fit-connect' ? entry.identifiers.destinationId : new URL(entry.address).pathname.split('/').pop();
      const privateFile = JSON.parse(readFileSync(join('routing', 'demo-private', `${identity}.json`), 'utf8')) as { decryptionKey: { n: string } };
      assert.equal(privateFile.decryptionKey.n, entry.encryptionKey.n, `${entry.authorityId}: the receiver's key for ${identity} matches the directory's public key`);
    }
  });
});

describe('ResponsibilityIndex', () => {
  const rule = (leikaKey: string, arsPrefix: string, authorityId: string) => ({ leikaKey, arsPrefix, authorityId });
  const index = new ResponsibilityIndex([
    rule('*', '01', 'land'), rule('*', '01060', 'kreis'), rule(GEWERBE, '010600005005', 'gemeinde-gewerbe'),
    rule(GEWERBE, '01', 'land-gewerbe'), rule('*', '010605005', 'amt'), rule('11111111111111', '01', 'other-service'),
  ]);

  test('longest prefix wins: Gemeinde, then Verband, then Kreis, then Land', () => {
    assert.equal(index.resolve(GEWERBE, '010600005005'), 'gemeinde-gewerbe');
    assert.equal(index.resolve(GEWERBE, '010605005001'), 'amt', 'a longer wildcard beats a shorter rule of the service');
    assert.equal(index.resolve(GEWERBE, '010600001001'), 'kreis');
    assert.equal(index.resolve('22222222222222', '010010000000'), 'land');
  });

  test('a rule of the service beats a wildcard of the same length', () => {
    assert.equal(index.resolve(GEWERBE, '010010000000'), 'land-gewerbe');
    assert.equal(index.resolve('11111111111111', '010010000000'), 'other-service');
  });

  test('"01" and "010" are different prefixes, shorter ARS work, garbage resolves to nothing', () => {
    const levels = new ResponsibilityIndex([rule('*', '010', 'rb'), rule('*', '01', 'land')]);
    assert.equal(levels.resolve(GEWERBE, '010020000000'), 'rb');
    assert.equal(levels.resolve(GEWERBE, '011020000000'), 'land');
    assert.equal(index.resolve(GEWERBE, '01060'), 'kreis');
    assert.equal(index.resolve(GEWERBE, '0106x0005005'), undefined);
    assert.equal(index.resolve(GEWERBE, '020000000000'), undefined);
    assert.equal(index.resolve(GEWERBE, ''), undefined);
  });
});

describe('the generated nationwide dataset', () => {
  const services = serviceKeys(50);
  const { document } = generateNationwide({ referenceFile: 'routing/reference/gemeindeverzeichnis.csv', routingDir: 'routing', services, minPopulation: 2000 });
  const { routing } = compileRouting(locatedDocument(document, 'generated'), { env: ENV });

  test('is valid, covers every municipality for every service, and mixes all four transports', () => {
    for (const [s, leikaKey] of services.entries()) {
      for (const m of municipalities) {
        const id = routing.responsibility.resolve(leikaKey, m.ars);
        assert.ok(id && endpointFor(routing, id, leikaKey), `service ${s}: ${m.name}`);
      }
    }
    const transports = new Set([...routing.directory.values()].map((e) => e.transport));
    assert.deepEqual([...transports].sort(), ['fit-connect', 'osci', 'webhook', 'xta']);
  });

  test('a service at Gemeinde level: own office from 2000 inhabitants, else the Kreis; kreisfreie Städte are their own Kreis', () => {
    const big = municipalities.find((m) => !m.kreisfrei && m.population >= 5000) as Municipality;
    const small = municipalities.find((m) => !m.kreisfrei && m.population < 2000) as Municipality;
    const city = municipalities.find((m) => m.kreisfrei) as Municipality;
    assert.equal(levelOf(0), 'gemeinde');
    assert.equal(routing.responsibility.resolve(GEWERBE, big.ars), `gemeinde-${big.ars}`);
    assert.equal(routing.responsibility.resolve(GEWERBE, small.ars), `kreis-${small.ars.slice(0, 5)}`);
    assert.equal(routing.responsibility.resolve(GEWERBE, city.ars), `kreis-${city.ars.slice(0, 5)}`);
  });

  test('services at Kreis and Land level, and a service the data does not name, resolve at their level', () => {
    const big = municipalities.find((m) => !m.kreisfrei && m.population >= 5000) as Municipality;
    const kreisService = services[services.findIndex((_, i) => levelOf(i) === 'kreis')] as string;
    const landService = services[services.findIndex((_, i) => levelOf(i) === 'land')] as string;
    assert.equal(routing.responsibility.resolve(kreisService, big.ars), `kreis-${big.ars.slice(0, 5)}`);
    assert.equal(routing.responsibility.resolve(landService, big.ars), `land-${big.ars.slice(0, 2)}`);
    assert.equal(routing.responsibility.resolve('12345678901234', big.ars), `land-${big.ars.slice(0, 2)}`);
  });

  test('the committed routing/nationwide/gewerbeanmeldung.json is what the generator makes today', () => {
    const fresh = generateNationwide({ referenceFile: 'routing/reference/gemeindeverzeichnis.csv', routingDir: 'routing', services: serviceKeys(1), minPopulation: 2000 });
    const committed = readFileSync('routing/nationwide/gewerbeanmeldung.json', 'utf8');
    assert.equal(committed, documentText(fresh.document, '../../schemas/routing.schema.json'), 'regenerate with: npx efa routing generate-nationwide --out routing/nationwide/gewerbeanmeldung.json');
  });
});
