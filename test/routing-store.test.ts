import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tableFromCsv } from '../src/routing/csv.js';
import { diffTable } from '../src/routing/rows.js';
import { canonicalJson } from '../src/routing/store.js';
import { startStack, type TestStack } from './support/runtime.js';

const ADMIN = '/_efa/admin/routing';
const NATIONWIDE = 'routing/nationwide/gewerbeanmeldung.json';
const LIMIT = 4 * 1024 * 1024;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface Rule { leikaKey: string; arsPrefix: string; authorityId: string }

describe('routing versions stored per row, compiled in a worker, imported as a stream (PostgreSQL)', () => {
  let stack: TestStack;
  let operator: string;
  // Kept alive, as a client uploading a large file would; closed before the server.
  const agent = new Agent({ keepAlive: true });

  async function call(method: string, path: string, opts: { type?: string; body?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${operator}` };
    if (opts.type) headers['content-type'] = opts.type;
    const res = await fetch(`${stack.url}${path}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
  }

  /** A body sent in chunks without Content-Length (chunked), as a large upload arrives; stops sending once an answer comes. */
  function streamed(method: string, path: string, type: string, chunks: Iterable<string>): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${stack.url}${path}`);
      const req = request({ method, host: url.hostname, port: url.port, path: url.pathname + url.search, agent, headers: { authorization: `Bearer ${operator}`, 'content-type': type } });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => { req.destroy(); resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }); });
      });
      // The server may close the connection after refusing: that is not a failure of the test.
      req.on('error', (err) => { if (!answered) reject(err); });
      const it = chunks[Symbol.iterator]();
      const pump = (): void => {
        for (let next = it.next(); !next.done; next = it.next()) {
          if (answered || req.destroyed) return;
          if (!req.write(next.value)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
  }

  const count = async (sql: string) => Number((await stack.rt.db.query<{ n: string }>(sql)).rows[0]?.n);
  const rowCount = () => count('SELECT count(*)::text AS n FROM routing_rows');
  const versionCount = () => count('SELECT count(*)::text AS n FROM routing_versions');

  before(async () => {
    // From 1000 rows a dataset compiles in a worker: the nationwide one does, the demo seed does not.
    stack = await startStack({ database: 'postgres', env: { EFA_ROUTING_WORKER_ROWS: '1000', EFA_ROUTING_IMPORT_MAX_BYTES: String(LIMIT) } });
    const dev = stack.rt.devCredentials;
    assert.ok(dev);
    const res = await fetch(`${stack.url}/_efa/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${dev.clientId}:${dev.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    operator = ((await res.json()) as { access_token: string }).access_token;
  });
  after(async () => {
    agent.destroy();
    await stack.close();
  });

  let first: number;
  let total: number;

  test('a nationwide import stores every row once; a one-row change then writes two rows (old closed, new inserted) and shares the rest', async () => {
    const imported = await call('POST', `${ADMIN}/import?comment=nationwide`, { type: 'application/json', body: readFileSync(NATIONWIDE, 'utf8') });
    assert.equal(imported.status, 201, JSON.stringify(imported.body).slice(0, 300));
    first = imported.body.version as number;
    const counts = imported.body.counts as { authorities: number; responsibilities: number; directory: number };
    const keys = Object.keys(((await call('GET', `${ADMIN}/document?version=${first}`)).body.keys) as object).length;
    total = counts.authorities + counts.responsibilities + counts.directory + keys;
    assert.ok(total > 15_000, `a large dataset (${total} rows)`);
    assert.deepEqual(imported.body.stored, { rowsWritten: total, rowsShared: 0 });
    assert.equal(await rowCount(), total);

    const rules = (await call('GET', `${ADMIN}/responsibilities`)).body as unknown as Rule[];
    const rule = rules[Math.floor(rules.length / 2)] as Rule;
    const other = rules.find((r) => r.authorityId !== rule.authorityId && r.leikaKey === rule.leikaKey) as Rule;
    const changed = await call('POST', `${ADMIN}/changes`, { type: 'application/json', body: JSON.stringify({ comment: 'one rule', upsert: { responsibilities: [{ ...rule, authorityId: other.authorityId }] } }) });
    assert.equal(changed.status, 201, JSON.stringify(changed.body).slice(0, 300));
    assert.deepEqual(changed.body.stored, { rowsWritten: 2, rowsShared: total - 1 });
    assert.equal(await rowCount(), total + 1, 'one row more in the table, not a second copy of the dataset');
    const versions = ((await call('GET', `${ADMIN}/versions`)).body.versions) as Array<{ version: number; rowsWritten: number; sha256: string }>;
    assert.equal(versions[0]?.rowsWritten, 2);

    // Both versions read back whole and in order: their documents hash to what was stored at write time.
    for (const v of versions.filter((x) => x.version >= first)) {
      const { $schema: _schema, ...doc } = (await call('GET', `${ADMIN}/document?version=${v.version}`)).body;
      assert.equal(createHash('sha256').update(canonicalJson(doc)).digest('hex'), v.sha256, `version ${v.version} reads back unchanged`);
    }
    const old = (await call('GET', `${ADMIN}/responsibilities?version=${first}`)).body as unknown as Rule[];
    const now = (await call('GET', `${ADMIN}/responsibilities`)).body as unknown as Rule[];
    assert.equal(old.find((r) => r.leikaKey === rule.leikaKey && r.arsPrefix === rule.arsPrefix)?.authorityId, rule.authorityId);
    assert.equal(now.find((r) => r.leikaKey === rule.leikaKey && r.arsPrefix === rule.arsPrefix)?.authorityId, other.authorityId);
    assert.equal(stack.rt.routing.responsibility.resolve(rule.leikaKey, rule.arsPrefix), other.authorityId, 'the change is in force');

    // Undoing it is again a change of one row.
    const restored = await call('POST', `${ADMIN}/versions/${first}/restore`);
    assert.equal(restored.status, 201);
    assert.deepEqual(restored.body.stored, { rowsWritten: 2, rowsShared: total - 1 });
  });

  test('a reload of a large version compiles in a worker: while it runs, the API answers (health, resolve, and the in-progress state itself)', async () => {
    const inForce = stack.rt.routing.version?.version;
    let seen: Record<string, unknown> | undefined;
    // Each reload is one chance to see the compile in progress; under load it runs longer, not shorter.
    for (let attempt = 0; attempt < 5 && !seen; attempt++) {
      let done = false;
      const reload = call('POST', `${ADMIN}/reload`).finally(() => { done = true; });
      while (!done && !seen) {
        const info = await call('GET', ADMIN);
        assert.equal(info.status, 200);
        if (info.body.compiling) {
          seen = info.body;
          // Asked while the worker compiles: answered by the version in force.
          const [live, resolved] = await Promise.all([fetch(`${stack.url}/_efa/health/live`), call('GET', `${ADMIN}/resolve?leikaKey=99050012104000&ars=010020000000`)]);
          assert.equal(live.status, 200);
          assert.equal(resolved.status, 200);
          assert.equal(resolved.body.version, inForce);
        }
      }
      const reloaded = await reload;
      assert.equal(reloaded.status, 200);
      assert.equal(reloaded.body.version, inForce);
    }
    assert.ok(seen, 'a request answered while the compile was in progress');
    assert.equal(seen.version, inForce, 'the version in force answers during the reload');
    assert.ok(((seen.compiling as { rows: number }).rows) >= total - 100, 'it was the large version');
    assert.equal((await call('GET', ADMIN)).body.compiling, null, 'nothing in progress afterwards');
  });

  test('an import over EFA_ROUTING_IMPORT_MAX_BYTES is refused with 413 while it streams in, and nothing is written', async () => {
    const [rows, versions] = [await rowCount(), await versionCount()];
    const line = `99050012104000,010020000000,land-sh\n`;
    const chunk = line.repeat(Math.ceil(64 * 1024 / line.length));
    const chunks = function* () {
      yield 'leikaKey,arsPrefix,authorityId\n';
      for (let sent = 0; sent <= LIMIT * 2; sent += chunk.length) yield chunk;
    };
    const refused = await streamed('PUT', `${ADMIN}/responsibilities`, 'text/csv', chunks());
    assert.equal(refused.status, 413, JSON.stringify(refused.body).slice(0, 400));
    assert.equal(refused.body.error, 'payload_too_large');
    assert.match(String(refused.body.message), /4 MiB/);
    const json = await streamed('POST', `${ADMIN}/import`, 'application/json', (function* () { yield '{"authorities": ['; for (let i = 0; i < 250_000; i++) yield '{"id": "a", "name": "x"},'; })());
    assert.equal(json.status, 413);
    assert.deepEqual([await rowCount(), await versionCount()], [rows, versions], 'no row and no version written');
  });

  test('a large CSV streamed in odd-sized chunks gives the same table as the same text read whole; a bad row names its line', async () => {
    const exported = String((await call('GET', `${ADMIN}/responsibilities?format=csv`)).body.text);
    const lines = exported.split('\n');
    // One row changed in the middle of the file.
    const at = Math.floor(lines.length / 2);
    const cells = (lines[at] as string).split(',');
    const someoneElse = (lines[1] as string).split(',')[2] as string;
    lines[at] = [cells[0], cells[1], cells[2] === someoneElse ? (lines[2] as string).split(',')[2] : someoneElse].join(',');
    const text = lines.join('\n');
    const pieces = function* (t: string) { for (let i = 0; i < t.length; i += 9_973) yield t.slice(i, i + 9_973); };

    const res = await streamed('PUT', `${ADMIN}/responsibilities?comment=streamed`, 'text/csv', pieces(text));
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 500));
    assert.deepEqual(res.body.stored, { rowsWritten: 2, rowsShared: total - 1 });
    const stored = (await call('GET', `${ADMIN}/responsibilities`)).body as unknown as Rule[];
    assert.deepEqual(stored, tableFromCsv(text, 'responsibilities', 'whole').rows, 'the streamed import stored what reading the text whole gives');

    const broken = [...lines];
    broken[at + 1] = `${(broken[at + 1] as string).split(',').slice(0, 2).join(',')},no-such-authority`;
    const bad = await streamed('PUT', `${ADMIN}/responsibilities`, 'text/csv', pieces(broken.join('\n')));
    assert.equal(bad.status, 422);
    const problems = bad.body.problems as Array<{ line?: number; field?: string; message: string }>;
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.line, at + 2, 'the line in the file (1-based, header included)');
    assert.match(problems[0]?.message ?? '', /unknown authority "no-such-authority"/);

    // Checked in the worker, located in the main thread: a message naming another row names its line too.
    const twice = [...lines];
    twice.splice(at + 1, 0, lines[at] as string);
    const dup = await streamed('PUT', `${ADMIN}/responsibilities`, 'text/csv', pieces(twice.join('\n')));
    assert.equal(dup.status, 422);
    const dupProblems = dup.body.problems as Array<{ line?: number; message: string }>;
    assert.equal(dupProblems[0]?.line, at + 2);
    assert.match(dupProblems[0]?.message ?? '', new RegExp(`first at request body: line ${at + 1}\\)`));
  });
});

describe('diffTable: which rows a new version shares and which it writes', () => {
  const live = (keys: string[]) => keys.map((k, i) => ({ id: `id-${k}`, key: k, ord: i + 1, text: `{"v":"${k}"}` }));
  const next = (keys: string[], changed: string[] = []) => keys.map((k) => ({ key: k, text: changed.includes(k) ? `{"v":"${k}!"}` : `{"v":"${k}"}` }));
  const order = (l: ReturnType<typeof live>, d: ReturnType<typeof diffTable>, keys: string[]) => {
    const ords = new Map([...l.filter((r) => !d.close.includes(r.id)).map((r) => [r.key, r.ord] as const), ...d.insert.map((r) => [r.key, r.ord] as const)]);
    return [...keys].sort((a, b) => (ords.get(a) as number) - (ords.get(b) as number));
  };

  test('unchanged: nothing written; one changed: one closed and one inserted in its place; appended and removed rows', () => {
    const l = live(['a', 'b', 'c', 'd']);
    assert.deepEqual(diffTable(l, next(['a', 'b', 'c', 'd'])), { close: [], insert: [], kept: 4 });
    const one = diffTable(l, next(['a', 'b', 'c', 'd'], ['c']));
    assert.deepEqual(one.close, ['id-c']);
    assert.equal(one.insert.length, 1);
    assert.deepEqual(order(l, one, ['a', 'b', 'c', 'd']), ['a', 'b', 'c', 'd'], 'the changed row keeps its place');
    const moved = diffTable(l, next(['x', 'a', 'c', 'y', 'd', 'z']));
    assert.deepEqual(moved.close, ['id-b']);
    assert.deepEqual(moved.insert.map((r) => r.key), ['x', 'y', 'z']);
    assert.deepEqual(order(l, moved, ['x', 'a', 'c', 'y', 'd', 'z']), ['x', 'a', 'c', 'y', 'd', 'z']);
  });

  test('rows inserted again and again at one spot: when doubles run out, the table is written again in order', () => {
    let l = live(['a', 'b']);
    const keys = ['a', 'b'];
    for (let i = 0; i < 80; i++) {
      keys.splice(1, 0, `n${i}`);
      const d = diffTable(l, next(keys));
      const byKey = new Map(l.map((r) => [r.key, r]));
      l = [...l.filter((r) => !d.close.includes(r.id)), ...d.insert.map((r) => ({ id: `id-${r.key}-${i}`, key: r.key, ord: r.ord, text: r.text }))].sort((x, y) => x.ord - y.ord);
      assert.deepEqual(l.map((r) => r.key), keys, `order after ${i + 1} insertions`);
      if (d.close.length > 0) assert.ok(d.close.every((id) => [...byKey.values()].some((r) => r.id === id)));
    }
  });
});
