import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServices, type LoadedService } from '../src/services/registry.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { hasMapping } from '../src/messages/mapping.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { startStack, type TestStack } from './support/runtime.js';

/**
 * A directory entry asking for a standard message format is checked against the services it
 * serves before it is in force: a service without a mapping for that format, or with a broken
 * one, is reported by `efa check` and refused by the routing admin API, not found at the first
 * submission. The probe service (a service of this test's own) has no mapping.
 */
const FORMAT = 'xgewerbeanzeige-2.2';
const PROBE = 'formatprobe';
const LEIKA = '99999999999079';

interface Run { code: number; stdout: string; stderr: string }

function efaCheck(root: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check'], { env: { ...process.env, EFA_ROOT: root, DATABASE_URL: '', EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function problemLine(run: Run, code: string, file: string, path: string): string {
  const line = run.stderr.split('\n').find((l) => l.startsWith(`  ${code} `) && l.includes(`${file}: ${path}: `));
  assert.ok(line, `no ${code} problem for ${file} ${path} in:\n${run.stderr}${run.stdout}`);
  return line;
}

describe('efa check: a directory entry\'s message format against the services it serves', () => {
  let temp: TempRoot;
  const routingFile = `routing/${PROBE}.json`;
  const mappingFile = `services/${PROBE}/messages/${FORMAT}.json`;
  const route = (payloadFormat: string) => writeFileSync(join(temp.root, routingFile), JSON.stringify({
    authorities: [{ id: 'amt-formatprobe', name: 'Amt Formatprobe' }],
    responsibilities: [{ leikaKey: LEIKA, arsPrefix: '01', authorityId: 'amt-formatprobe' }],
    directory: [{ authorityId: 'amt-formatprobe', serviceKey: '*', transport: 'webhook', address: '${EFA_DEMO_RECEIVER_URL}/webhook/gewerbeamt-kiel', payloadFormat, encryptionKey: 'keys/gewerbeamt-kiel.enc.json', verificationKey: 'keys/gewerbeamt-kiel.sig.json', identifiers: {} }],
  }));

  before(async () => {
    temp = copyProjectRoot('efa-formats-');
    await addExtraService(temp.root, { id: PROBE, leikaKey: LEIKA, tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 3 });
  });
  after(() => temp.remove());

  test('an entry asking for JSON passes; one asking for a standard the service has no mapping for is reported', async () => {
    route('json');
    const ok = await efaCheck(temp.root);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);

    route(FORMAT);
    const run = await efaCheck(temp.root);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(problemLine(run, 'EFA_ROUTING_INVALID', routingFile, '/directory/0/payloadFormat'),
      new RegExp(`"${FORMAT}": service ${PROBE} \\(${LEIKA}\\) has no mapping for it \\(services/${PROBE}/messages/${FORMAT}\\.json\\)`));
  });

  test('a broken mapping file is reported at its own JSON pointer, and the entry that asks for it too', async () => {
    route(FORMAT);
    mkdirSync(join(temp.root, `services/${PROBE}/messages`), { recursive: true });
    writeFileSync(join(temp.root, mappingFile), JSON.stringify({ format: FORMAT, root: '', body: [] }));
    const run = await efaCheck(temp.root);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(problemLine(run, 'EFA_DECLARATION_INVALID', mappingFile, '/root'), /must name the message element/);
    assert.match(problemLine(run, 'EFA_ROUTING_INVALID', routingFile, '/directory/0/payloadFormat'), new RegExp(`the mapping of service ${PROBE} \\(${LEIKA}\\) is broken: .*${FORMAT}\\.json: /root: must name`));
  });
});

describe('the routing admin API refuses an entry asking for a format a service cannot be delivered in', () => {
  const ADMIN = '/_efa/admin/routing';
  let stack: TestStack;
  let operator: string;
  let unmapped: LoadedService;

  before(async () => {
    stack = await startStack({ database: 'postgres' });
    const dev = stack.rt.devCredentials as { clientId: string; clientSecret: string };
    const res = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    operator = ((await res.json()) as { access_token: string }).access_token;
    const services = await loadServices(PACKAGE_ROOT, FORMATS_DIR);
    unmapped = [...services.values()].find((s) => !hasMapping(s, FORMAT)) as LoadedService;
    assert.ok(unmapped, 'a service without a mapping to the standard');
  });
  after(async () => stack.close());

  async function change(serviceKey: string, payloadFormat: string): Promise<Response> {
    const body = { comment: `format ${payloadFormat}`, upsert: {
      authorities: [{ id: 'amt-formatprobe', name: 'Amt Formatprobe' }],
      responsibilities: [{ leikaKey: unmapped.definition.leikaKey, arsPrefix: '010020000000', authorityId: 'amt-formatprobe' }],
      directory: [{ authorityId: 'amt-formatprobe', serviceKey, transport: 'webhook', address: '${EFA_DEMO_RECEIVER_URL}/webhook/gewerbeamt-kiel', payloadFormat, encryptionKey: 'keys/gewerbeamt-kiel.enc.json', verificationKey: 'keys/gewerbeamt-kiel.sig.json', identifiers: {} }],
    } };
    return fetch(`${stack.url}${ADMIN}/changes`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  test('422 naming the service and the missing mapping, for the service\'s own entry and for a "*" entry; JSON is taken', async () => {
    for (const serviceKey of [unmapped.definition.leikaKey, '*']) {
      const refused = await change(serviceKey, FORMAT);
      const answer = await refused.json() as { error: string; problems: Array<{ path: string; message: string }> };
      assert.equal(refused.status, 422, JSON.stringify(answer));
      assert.equal(answer.error, 'routing_invalid');
      assert.equal(answer.problems[0]?.path, '/upsert/directory/0/payloadFormat');
      assert.match(answer.problems[0]?.message ?? '', new RegExp(`"${FORMAT}": service ${unmapped.definition.id} \\(${unmapped.definition.leikaKey}\\) has no mapping for it`));
    }
    const taken = await change('*', 'json');
    assert.equal(taken.status, 201, await taken.text());
  });
});
