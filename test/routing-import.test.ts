import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEncryptionKeyPair } from '../src/crypto/keys.js';
import { compileRouting } from '../src/routing/compile.js';
import { tableToCsv } from '../src/routing/csv.js';
import { replaceTables, TABLES, type LocatedDocument, type RoutingPatch } from '../src/routing/document.js';
import { patchFromText } from '../src/routing/imports.js';
import { readSeed } from '../src/routing/load.js';
import { RoutingDataError, formatProblem, type Problem } from '../src/routing/problems.js';
import { canonicalJson } from '../src/routing/store.js';
import { FORMATS_DIR } from '../src/runtime.js';

const ENV = { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' };
const GEWERBE = '99050012104000';

function seed(): LocatedDocument {
  return readSeed('.', FORMATS_DIR);
}

/** Imports `text` over the demo data, as the admin API and `efa routing import` do. */
function importOver(text: string, format: 'json' | 'csv', table?: 'authorities' | 'responsibilities' | 'directory') {
  const patch: RoutingPatch = patchFromText(text, format, { source: 'upload', formatsDir: FORMATS_DIR, table });
  return compileRouting(replaceTables(seed(), patch), { env: ENV, routingDir: 'routing' });
}

function problemsOf(fn: () => unknown): Problem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RoutingDataError, `expected RoutingDataError, got ${String(err)}`);
    assert.equal(err.code, 'EFA_ROUTING_INVALID');
    return err.problems;
  }
  assert.fail('the import should have been refused');
}

/** The one problem at this CSV line and column header, or a failure listing what was found. */
function at(problems: Problem[], line: number, field?: string): Problem {
  const found = problems.find((p) => p.line === line && (field === undefined || p.field === field));
  assert.ok(found, `no problem at line ${line}${field ? ` (${field})` : ''}; got: ${problems.map(formatProblem).join(' | ')}`);
  return found;
}

function atPath(problems: Problem[], path: string): Problem {
  const found = problems.find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}; got: ${problems.map(formatProblem).join(' | ')}`);
  return found;
}

describe('CSV import: every problem names line, column and what is wrong', () => {
  test('responsibilities: bad ARS (with the lost-leading-zero hint), bad LeiKa key, unknown authority, duplicate key', () => {
    const csv = [
      'leikaKey,arsPrefix,authorityId',
      `${GEWERBE},10020000000,gewerbeamt-kiel`,
      `${GEWERBE},010020000000,gewerbeamt-kiel`,
      `9905001210400,01,land-sh`,
      `${GEWERBE},05,gibt-es-nicht`,
      `${GEWERBE},010020000000,land-sh`,
      `${GEWERBE},17,land-sh`,
    ].join('\n');
    const problems = problemsOf(() => importOver(csv, 'csv', 'responsibilities'));
    const zero = at(problems, 2, 'arsPrefix');
    assert.equal(zero.column, 2);
    assert.match(zero.message, /"10020000000" has 11 digits.*lost leading zero\? "010020000000" would be valid/);
    assert.match(at(problems, 4, 'leikaKey').message, /"9905001210400" is not a LeiKa key/);
    assert.equal(at(problems, 5, 'authorityId').column, 3);
    assert.match(at(problems, 5, 'authorityId').message, /unknown authority "gibt-es-nicht"/);
    assert.match(at(problems, 6).message, /a second responsibility for service 99050012104000 and region 010020000000 \(first at upload: line 3\)/);
    assert.match(at(problems, 7, 'arsPrefix').message, /Land code 17; the Länder are 01 to 16/);
    assert.equal(problems.length, 5, problems.map(formatProblem).join('\n'));
  });

  test('directory: unknown transport, missing key file, an RSA-2048 key, a private key, transport options', async () => {
    const small = await generateEncryptionKeyPair(2048);
    const cell = (v: unknown) => `"${JSON.stringify(v).replace(/"/g, '""')}"`;
    const csv = [
      'authorityId;serviceKey;transport;address;encryptionKey;verificationKey;identifiers.destinationId;options.clientId',
      'gewerbeamt-kiel;*;brieftaube;https://kiel.example/in;keys/gewerbeamt-kiel.enc.json;;;',
      'kreis-segeberg;*;webhook;https://segeberg.example/in;keys/gibt-es-nicht.enc.json;;;',
      `land-sh;*;webhook;https://sh.example/in;${cell(small.publicJwk)};;;`,
      `stadt-koeln;*;webhook;https://koeln.example/in;${cell(small.privateJwk)};;;`,
      'land-nw;*;fit-connect;https://nw.example/fit;keys/land-nw.enc.json;keys/land-nw.sig.json;d-1;',
      'land-by;*;webhook;ftp://by.example/in;keys/land-by.enc.json;;;',
    ].join('\n');
    const problems = problemsOf(() => importOver(csv, 'csv', 'directory'));
    const transport = at(problems, 2, 'transport');
    assert.equal(transport.column, 3);
    assert.match(transport.message, /unknown transport "brieftaube" \(known: .*webhook/);
    assert.match(at(problems, 3, 'encryptionKey').message, /key file routing\/keys\/gibt-es-nicht\.enc\.json does not exist/);
    assert.match(at(problems, 4, 'encryptionKey').message, /RSA key of 2048 bits; payload encryption needs at least 4096/);
    assert.match(at(problems, 5, 'encryptionKey').message, /a private key must never be in routing data/);
    assert.match(at(problems, 6, 'options.clientId').message, /is required \(options of transport fit-connect\)/);
    assert.match(at(problems, 7, 'address').message, /"ftp:\/\/by\.example\/in" is not an http\(s\) URL/);
  });

  test('the header: unknown and missing columns; broken quoting names the line', () => {
    const header = problemsOf(() => importOver('leikaKey,arsprefix,authority,extra\n', 'csv', 'responsibilities'));
    assert.match(at(header, 1, 'authority').message, /unknown column "authority" for responsibilities/);
    assert.equal(at(header, 1, 'extra').column, 4);
    assert.ok(header.some((p) => p.line === 1 && /column "authorityId" is missing/.test(p.message)));
    const quote = problemsOf(() => importOver(`leikaKey,arsPrefix,authorityId\n${GEWERBE},01,land-sh\n${GEWERBE},"05,land-nw\n`, 'csv', 'responsibilities'));
    assert.equal(quote[0]?.line, 3);
    assert.match(quote[0]?.message ?? '', /not valid CSV: Quote Not Closed/);
  });

  test('a valid CSV replaces its table and keeps the others', () => {
    const { routing } = importOver(`leikaKey,arsPrefix,authorityId\n${GEWERBE},01,land-sh\n${GEWERBE},010020000000,kreis-segeberg\n`, 'csv', 'responsibilities');
    assert.equal(routing.responsibility.size, 2);
    assert.equal(routing.responsibility.resolve(GEWERBE, '010020000000'), 'kreis-segeberg');
    assert.equal(routing.authorities.size, seed().authorities.rows.length, 'authorities kept');
  });

  test('authorities: the English name, postal address and contact the applicant sees are optional columns', () => {
    const ids = seed().authorities.rows.map((a) => (a as { id: string }).id);
    const csv = ['id;name;nameEn;street;postalCode;city;email;phone;web', ...ids.map((id) => `${id};Amt ${id};${id === 'land-sh' ? `Office ${id}` : ''};${id === 'land-sh' ? 'Düsternbrooker Weg 1;24105;Kiel' : ';;'};a@${id}.example;;`)].join('\n');
    const { routing } = importOver(csv, 'csv', 'authorities');
    assert.deepEqual(routing.authorities.get('land-sh'), { id: 'land-sh', name: 'Amt land-sh', nameEn: 'Office land-sh', address: { street: 'Düsternbrooker Weg 1', postalCode: '24105', city: 'Kiel' }, contact: { email: 'a@land-sh.example' } });
    assert.deepEqual(routing.authorities.get('kreis-segeberg'), { id: 'kreis-segeberg', name: 'Amt kreis-segeberg', contact: { email: 'a@kreis-segeberg.example' } }, 'empty cells are absent, not empty strings');
  });

  test('export to CSV and import again gives the same dataset', () => {
    const original = compileRouting(seed(), { env: ENV, routingDir: 'routing' }).document;
    const patch = Object.fromEntries(TABLES.map((t) => [t, patchFromText(tableToCsv(original, t), 'csv', { source: `${t}.csv`, formatsDir: FORMATS_DIR })[t]])) as RoutingPatch;
    const again = compileRouting(replaceTables({ ...seed(), keys: original.keys }, patch), { env: ENV, routingDir: 'routing' }).document;
    assert.equal(canonicalJson(again), canonicalJson(original));
  });
});

describe('JSON import: every problem names its JSON path', () => {
  test('schema and meaning: ARS, unknown authority, duplicate authority, a private key in "keys"', async () => {
    const pair = await generateEncryptionKeyPair(2048);
    const doc = {
      authorities: [{ id: 'amt-a', name: 'Amt A' }, { id: 'amt-a', name: 'Amt A, nochmal' }, { id: 'Amt B', name: 'B' }],
      responsibilities: [{ leikaKey: GEWERBE, arsPrefix: '0100', authorityId: 'amt-a' }, { leikaKey: GEWERBE, arsPrefix: '01', authorityId: 'amt-z' }],
      directory: [{ authorityId: 'amt-a', serviceKey: '*', transport: 'webhook', address: 'https://a.example', encryptionKey: 'keys/a.json' }],
      keys: { 'keys/a.json': pair.privateJwk },
    };
    const problems = problemsOf(() => importOver(JSON.stringify(doc), 'json'));
    assert.match(atPath(problems, '/responsibilities/0/arsPrefix').message, /"0100" has 4 digits; an ARS prefix has 2 digits \(Land\)/);
    assert.match(atPath(problems, '/authorities/2/id').message, /"Amt B" is not an authority id/);
    assert.match(atPath(problems, '/keys/keys~1a.json').message, /a private key must never be in routing data/);
    // Meaning is checked once the structure is right.
    doc.authorities.pop();
    doc.responsibilities[0] = { leikaKey: GEWERBE, arsPrefix: '01', authorityId: 'amt-a' };
    doc.keys = { 'keys/a.json': pair.publicJwk };
    const second = problemsOf(() => importOver(JSON.stringify(doc), 'json'));
    assert.match(atPath(second, '/authorities/1/id').message, /authority "amt-a" is declared twice \(first at upload: \/authorities\/0\/id\)/);
    assert.match(atPath(second, '/responsibilities/1/authorityId').message, /unknown authority "amt-z"/);
    assert.match(atPath(second, '/directory/0/encryptionKey').message, /key keys\/a\.json is an RSA key of 2048 bits/);
  });

  test('a syntax error names line and column', () => {
    const problems = problemsOf(() => importOver('{\n  "authorities": [\n    { "id": "x", "name": "X" },\n  ]\n}', 'json'));
    assert.deepEqual({ line: problems[0]?.line, column: problems[0]?.column }, { line: 4, column: 3 });
    assert.match(problems[0]?.message ?? '', /not valid JSON/);
  });

  test('one table as a JSON array: paths point into the array', () => {
    const problems = problemsOf(() => importOver(JSON.stringify([{ leikaKey: GEWERBE, arsPrefix: '01', authorityId: 'land-sh' }, { leikaKey: GEWERBE, arsPrefix: '5' }]), 'json', 'responsibilities'));
    assert.match(atPath(problems, '/1/arsPrefix').message, /"5" has 1 digits/);
    assert.match(atPath(problems, '/1/authorityId').message, /is required but missing/);
  });
});
