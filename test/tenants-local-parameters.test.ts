import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { DeclarationError, DeclarationErrors } from '../src/core/errors.js';
import { logicContext } from '../src/http/applicant/logic.js';
import { loadDeclarations } from '../src/runtime.js';
import { resolveParameters, type ParameterTable } from '../src/tenants/parameters.js';
import { KIEL, LUEBECK, PROBE, probeRoot, type ProbeRoot } from './support/probe-service.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };

describe('local parameters: the longest ARS prefix in force on the day wins', () => {
  const table: ParameterTable = {
    land: { satz: 100, rabatt: 0 },
    local: [
      { ars: '01', validFrom: '2027-01-01', parameters: { satz: 110 } },
      { ars: '01002', parameters: { rabatt: 10 } },
      { ars: '010020000000', validTo: '2026-06-30', parameters: { satz: 170 } },
      { ars: '010020000000', validFrom: '2026-07-01', parameters: { satz: 180 } },
    ],
  };

  test('before the region is known, the Land\'s values', () => {
    assert.deepEqual(resolveParameters(table, undefined, '2026-05-01'), { satz: 100, rabatt: 0 });
  });

  test('a municipality without entries gets the Land\'s values, and a Land-wide change from its first day', () => {
    assert.deepEqual(resolveParameters(table, LUEBECK, '2026-12-31'), { satz: 100, rabatt: 0 });
    assert.deepEqual(resolveParameters(table, LUEBECK, '2027-01-01'), { satz: 110, rabatt: 0 });
  });

  test('the municipality\'s own value beats its Kreis and the Land, parameter by parameter, by validity date', () => {
    assert.deepEqual(resolveParameters(table, KIEL, '2026-06-30'), { satz: 170, rabatt: 10 });
    assert.deepEqual(resolveParameters(table, KIEL, '2026-07-01'), { satz: 180, rabatt: 10 });
    assert.deepEqual(resolveParameters(table, KIEL, '2027-03-01'), { satz: 180, rabatt: 10 }, 'the longer prefix wins over the newer Land-wide value');
  });
});

describe('local parameters in tenant files', () => {
  let probe: ProbeRoot;
  before(() => { probe = probeRoot(); });
  after(() => probe.close());

  test('the logic context carries the values for the applicant\'s region once the answers name it', async () => {
    probe.offer('sh', { parameters: { satzCent: 12000 }, local: [{ ars: '01002', parameters: { satzCent: 15000 } }] });
    const d = await loadDeclarations(probe.root, ENV);
    const tenant = d.tenants.get('sh');
    const service = d.services.get(PROBE);
    assert.ok(tenant && service);
    assert.equal(logicContext(tenant, service, '2026-05-01').params.satzCent, 12000, 'no answers: the Land');
    assert.equal(logicContext(tenant, service, '2026-05-01', {}).params.satzCent, 12000, 'region() cannot answer yet: the Land');
    assert.equal(logicContext(tenant, service, '2026-05-01', { gemeinde: KIEL }).params.satzCent, 15000);
    assert.equal(logicContext(tenant, service, '2026-05-01', { gemeinde: LUEBECK }).params.satzCent, 12000);
  });

  test('every violation is reported at once, each with file and JSON path', async () => {
    probe.offer('sh', {
      parameters: { satzCent: 12000 },
      local: [
        { ars: '0100', parameters: { satzCent: 100 } },
        { ars: '05315', parameters: { satzCent: 100 } },
        { ars: '01002', parameters: { satzCent: 250000 } },
        { ars: '01002', validFrom: '2026-01-01', parameters: { satzCent: 100 } },
        { ars: '01003', validFrom: '2026-05-01', validTo: '2026-04-30', parameters: { unbekannt: 1 } },
      ],
    });
    await assert.rejects(loadDeclarations(probe.root, ENV), (err: unknown) => {
      assert.ok(err instanceof DeclarationErrors, String(err));
      assert.equal(err.code, 'EFA_DECLARATION_INVALID');
      const found = err.problems.map((p) => `${p.file.replace(probe.root, '')} ${p.path}`);
      assert.deepEqual(found.sort(), [
        '/tenants/sh.json /services/probedienst/local/0/ars',
        '/tenants/sh.json /services/probedienst/local/1/ars',
        '/tenants/sh.json /services/probedienst/local/2/parameters/satzCent',
        '/tenants/sh.json /services/probedienst/local/3',
        '/tenants/sh.json /services/probedienst/local/4/parameters/unbekannt',
        '/tenants/sh.json /services/probedienst/local/4/validTo',
      ].sort());
      const text = (path: string) => err.problems.find((p) => p.path === path)?.message ?? '';
      assert.match(text('/services/probedienst/local/0/ars'), /not an ARS prefix/);
      assert.match(text('/services/probedienst/local/1/ars'), /outside this Land.*01/);
      assert.match(text('/services/probedienst/local/2/parameters/satzCent'), /must be <= 100000.*service\.json/);
      assert.match(text('/services/probedienst/local/3'), /overlaps \/services\/probedienst\/local\/2/);
      assert.match(text('/services/probedienst/local/4/parameters/unbekannt'), /no parameter "unbekannt".*satzCent/);
      return true;
    });
  });

  test('a single Land value out of bounds still stops with its own file and path', async () => {
    probe.offer('sh', { parameters: { satzCent: -1 } });
    await assert.rejects(loadDeclarations(probe.root, ENV), (err: unknown) => err instanceof DeclarationError && err.path === '/services/probedienst/parameters/satzCent' && /must be >= 0/.test(err.message));
  });

  test('efa check lists them with file and path and fails', async () => {
    probe.offer('sh', { local: [{ ars: '01002', parameters: { satzCent: 250000 } }, { ars: '1', parameters: {} }] });
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check'], { env: { ...process.env, EFA_ROOT: probe.root, DATABASE_URL: '' } }, (err, _stdout, stderr) => {
        resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr });
      });
    });
    assert.equal(code, 1);
    // Both violations, one line each (the probe's other problems, e.g. its examples, are listed too).
    assert.match(stderr, /EFA_DECLARATION_INVALID: \d+ problems:/);
    assert.equal(stderr.split('\n').filter((l) => l.includes('tenants/sh.json: ')).length, 2, stderr);
    assert.match(stderr, /tenants\/sh\.json: \/services\/probedienst\/local\/0\/parameters\/satzCent: must be <= 100000/);
    assert.match(stderr, /tenants\/sh\.json: \/services\/probedienst\/local\/1\/ars: "1" is not an ARS prefix/);
  });
});
