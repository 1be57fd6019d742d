import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type Database } from '../src/storage/db.js';
import { RetentionSchedule, purge, type PurgeOutcome, type RetentionPolicy } from '../src/storage/retention.js';
import { readRowDocument } from '../src/routing/rows.js';
import { freshPostgres } from './support/database.js';
import { waitUntil } from './support/delivery-stack.js';

const POLICY: RetentionPolicy = { payloadDays: 30, attemptDays: 90, routingVersionsKept: 3 };

interface Seeded {
  drafts: { expired: string[]; live: string[] };
  payloads: { due: string[]; kept: string[] };
  attempts: { due: number[]; kept: number[] };
  /** Login sessions (and logins in progress) and used SAML assertion IDs, expired and live. */
  sessions: { expired: string[]; live: string[] };
  samlAssertions: { expired: string[]; live: string[] };
  answers: { due: string[]; kept: string[] };
  payments: { due: string[]; kept: string[] };
}

async function submission(db: Database, fields: { status: string; updatedDaysAgo: number; mode?: 'push' | 'pull' }): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO submissions (id, reference, tenant, service_id, service_version, leika_key, region, authority_id, authority_name, status,
                              payload_jwe, payload_media_type, payload_sha512, schema_uri, fee_cents, submitted_at, updated_at, delivery_mode, applicant_copy)
     VALUES ($1, $2, 'sh', 'svc', '1', '99050012104000', '010020000000', 'a', 'A', $3, 'header.key.iv.cipher.tag', 'application/json', 'sha512-of-plaintext', 'urn:x', 0,
             now() - make_interval(days => $4 + 1), now() - make_interval(days => $4), $5, '\\x01')`,
    [id, `REF-${id.slice(0, 8)}`, fields.status, fields.updatedDaysAgo, fields.mode ?? 'push'],
  );
  return id;
}

async function attempt(db: Database, submissionId: string, outcome: string, daysAgo: number): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO delivery_attempts (submission_id, attempt, transport, address, started_at, finished_at, outcome)
     VALUES ($1, 1, 'webhook', 'https://x', now() - make_interval(days => $3), now() - make_interval(days => $3), $2) RETURNING id`,
    [submissionId, outcome, daysAgo],
  );
  return Number(rows[0]?.id);
}

async function seed(db: Database): Promise<Seeded> {
  const draft = async (expiresInDays: number) => {
    const id = randomUUID();
    await db.query(`INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at) VALUES ($1, 'sh', 'svc', '1', '\\x00', now() + make_interval(days => $2))`, [id, expiresInDays]);
    return id;
  };
  const drafts = { expired: [await draft(-1), await draft(-40)], live: [await draft(1), await draft(29)] };
  const payloads = {
    due: [await submission(db, { status: 'delivered', updatedDaysAgo: 31 }), await submission(db, { status: 'accepted', updatedDaysAgo: 100, mode: 'pull' })],
    kept: [
      await submission(db, { status: 'delivered', updatedDaysAgo: 29 }), // not old enough
      await submission(db, { status: 'failed', updatedDaysAgo: 300 }), // a dead letter may be redelivered
      await submission(db, { status: 'submitted', updatedDaysAgo: 300 }), // still in delivery
      await submission(db, { status: 'delivered', updatedDaysAgo: 300, mode: 'pull' }), // fetched, not decided: may be fetched again
    ],
  };
  const owner = payloads.kept[1] as string;
  const attempts = {
    due: [await attempt(db, owner, 'retry', 91), await attempt(db, owner, 'failed', 400)],
    kept: [await attempt(db, owner, 'retry', 89), await attempt(db, owner, 'delivered', 400)],
  };
  for (let v = 1; v <= 5; v++) {
    await db.query(`INSERT INTO routing_versions (version, document, sha256, authorities, responsibilities, directory, created_by) VALUES ($1, NULL, 'x', 0, 0, 0, 'test')`, [v]);
  }
  // Rows shared by the versions from first to last (null: up to the newest); with versions 3..5
  // kept, only rows whose last version is 1 or 2 are of no use any more.
  const rows: Array<[string, number, number | null]> = [['in-every-version', 1, null], ['only-in-1', 1, 1], ['in-2-and-3', 2, 3], ['only-in-2', 2, 2], ['new-in-5', 5, null]];
  for (const [id, first, last] of rows) {
    await db.query(`INSERT INTO routing_rows (tbl, natural_key, ord, row, first_version, last_version) VALUES ('authorities', $1, 1, $2::jsonb, $3, $4)`, [id, JSON.stringify({ id, name: id }), first, last]);
  }
  const session = async (minutes: number, loggedIn: boolean) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO account_sessions (id_sha256, tenant, service_id, account, trust_level, pending, expires_at)
       VALUES (sha256(convert_to($1, 'UTF8')), 'sh', 'svc', $2, $3, $4, now() + make_interval(mins => $5))`,
      [id, loggedIn ? 'account-key' : null, loggedIn ? 'substantial' : null, loggedIn ? null : '{"state":"s"}', minutes],
    );
    return id;
  };
  const sessions = { expired: [await session(-1, true), await session(-60 * 24, false)], live: [await session(30, true), await session(10, false)] };
  const assertion = async (minutes: number) => {
    const id = `_${randomUUID()}`;
    await db.query(`INSERT INTO saml_assertions_used (tenant_id, assertion_id, expires_at) VALUES ('sh', $1, now() + make_interval(mins => $2))`, [id, minutes]);
    return id;
  };
  const samlAssertions = { expired: [await assertion(-1), await assertion(-60 * 24 * 7)], live: [await assertion(5)] };
  // The Postfach: an authority's answer keeps its sealed content as long as a payload is kept.
  const answer = async (days: number) => {
    const id = randomUUID();
    await db.query(`INSERT INTO submission_answers (id, submission_id, authority_id, channel, status, content_sha256, sealed, received_at) VALUES ($1, $2, 'a', 'webhook', 'COMPLETED', sha256('x'::bytea), '\\x01'::bytea, now() - make_interval(days => $3))`, [id, owner, days]);
    return id;
  };
  const answers = { due: [await answer(31)], kept: [await answer(29)] };
  // Payments go with their submission's payload, or with their draft; a booked one no submission
  // took stays for the reconciliation (a refund) as long as a payload would.
  const payment = async (status: string, link: { draft?: string; submission?: string }, createdDaysAgo = 0) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO payments (id, tenant, service_id, draft_id, submission_id, provider, amount_cents, purpose, status, created_at, expires_at)
       VALUES ($1, 'sh', 'svc', $2, $3, 'xbezahldienste', 2000, 'svc fee', $4, now() - make_interval(days => $5), now() + interval '1 hour')`,
      [id, link.draft ?? randomUUID(), link.submission ?? null, status, createdDaysAgo],
    );
    return id;
  };
  const payments = {
    due: [
      await payment('booked', { submission: payloads.due[0] as string }, 40), // its payload goes now
      await payment('failed', { draft: drafts.expired[0] as string }), // its draft expired
      await payment('booked', {}, 31), // never taken, its draft gone, as old as a payload is kept
    ],
    kept: [
      await payment('booked', { submission: payloads.kept[0] as string }, 40), // the payload is still kept
      await payment('initial', { draft: drafts.live[0] as string }), // its draft is live
      await payment('booked', {}, 29), // never taken: listed for a refund a while yet
    ],
  };
  return { drafts, payloads, attempts, sessions, samlAssertions, answers, payments };
}

async function ids(db: Database, sql: string): Promise<string[]> {
  return (await db.query<{ id: string }>(sql)).rows.map((r) => String(r.id)).sort();
}

for (const engine of ['postgres', 'pglite'] as const) {
  describe(`retention purge (${engine}): exactly what is due goes, everything else stays`, () => {
    let db: Database;
    let cleanup: () => Promise<void>;
    let seeded: Seeded;
    before(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'efa-retention-'));
      const pg = engine === 'postgres' ? await freshPostgres() : undefined;
      db = await openDatabase({ databaseUrl: pg?.url, dataDir });
      cleanup = async () => {
        await db.close();
        await pg?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      };
      seeded = await seed(db);
    });
    after(async () => cleanup());

    test('one purge: expired drafts, login sessions and used SAML assertion IDs, old payloads (metadata kept), old attempts but the delivered one, routing versions beyond the newest 3', async () => {
      const sessionsBefore = await ids(db, `SELECT encode(id_sha256, 'hex') AS id FROM account_sessions`);
      const assertionsBefore = await ids(db, 'SELECT assertion_id AS id FROM saml_assertions_used');
      assert.equal(sessionsBefore.length, 4);
      assert.equal(assertionsBefore.length, 3);
      const outcome = await purge(db, POLICY);
      assert.deepEqual(outcome, { purged: { drafts: 2, sessions: 2, samlAssertions: 2, files: 0, fileChunks: 0, payloads: 2, answers: 1, payments: 3, attempts: 2, routingVersions: 2, routingRows: 2 }, busy: false });
      assert.deepEqual(await ids(db, 'SELECT id FROM payments'), [...seeded.payments.kept].sort(), 'payments go with the payload or the draft; a booked one without submission stays for the refund');
      const answers = await db.query<{ id: string; sealed: Uint8Array | null; purged_at: Date | null; status: string }>('SELECT id, sealed, purged_at, status FROM submission_answers');
      assert.equal(answers.rows.length, 2);
      for (const row of answers.rows) {
        const due = seeded.answers.due.includes(row.id);
        assert.equal(row.sealed === null, due, 'an answer\'s sealed text and files go after the retention period');
        assert.equal(row.purged_at !== null, due);
        assert.equal(row.status, 'COMPLETED', 'its date and status stay for the history');
      }

      assert.deepEqual(await ids(db, 'SELECT id FROM drafts'), [...seeded.drafts.live].sort());
      const hashed = async (id: string) => (await ids(db, `SELECT encode(sha256(convert_to('${id}', 'UTF8')), 'hex') AS id`))[0];
      assert.deepEqual(await ids(db, `SELECT encode(id_sha256, 'hex') AS id FROM account_sessions`), (await Promise.all(seeded.sessions.live.map(hashed))).sort(), 'expired sessions and abandoned logins go, live ones stay');
      assert.deepEqual(await ids(db, 'SELECT assertion_id AS id FROM saml_assertions_used'), seeded.samlAssertions.live, 'used SAML assertion IDs go once the assertion has expired');
      const subs = await db.query<{ id: string; payload_jwe: string; payload_purged_at: Date | null; payload_sha512: string; reference: string; status: string; applicant_copy: Uint8Array | null }>('SELECT id, payload_jwe, payload_purged_at, payload_sha512, reference, status, applicant_copy FROM submissions');
      for (const row of subs.rows) {
        const due = seeded.payloads.due.includes(row.id);
        assert.equal(row.payload_jwe, due ? '' : 'header.key.iv.cipher.tag', `payload of ${row.status} ${row.id}`);
        assert.equal(row.applicant_copy === null, due, `the applicant's copy for the receipt goes with the payload (${row.status} ${row.id})`);
        assert.equal(row.payload_purged_at !== null, due);
        assert.equal(row.payload_sha512, 'sha512-of-plaintext', 'the hash stays: metadata is kept');
        assert.match(row.reference, /^REF-/);
      }
      assert.equal(subs.rows.length, 6, 'no submission row is deleted');
      assert.deepEqual(await ids(db, 'SELECT id FROM delivery_attempts'), seeded.attempts.kept.map(String).sort());
      assert.deepEqual(await ids(db, 'SELECT version AS id FROM routing_versions'), ['3', '4', '5']);
      assert.deepEqual(await ids(db, 'SELECT natural_key AS id FROM routing_rows'), ['in-2-and-3', 'in-every-version', 'new-in-5'], 'rows of the kept versions stay, shared ones included');
      assert.deepEqual((await readRowDocument(db, 3)).authorities.map((a) => a.id).sort(), ['in-2-and-3', 'in-every-version'], 'the oldest kept version still reads whole');

      assert.deepEqual(await purge(db, POLICY), { purged: { drafts: 0, sessions: 0, samlAssertions: 0, files: 0, fileChunks: 0, payloads: 0, answers: 0, payments: 0, attempts: 0, routingVersions: 0, routingRows: 0 }, busy: false }, 'a second run finds nothing due');
    });

    test('0 keeps a kind forever; drafts always go when expired', async () => {
      await db.query(`UPDATE drafts SET expires_at = now() - interval '1 day'`);
      await db.query(`UPDATE delivery_attempts SET finished_at = now() - interval '1000 days'`);
      const outcome = await purge(db, { payloadDays: 0, attemptDays: 0, routingVersionsKept: 0 });
      assert.deepEqual(outcome, { purged: { drafts: 2, sessions: 0, samlAssertions: 0, files: 0, fileChunks: 0, payloads: 0, answers: 0, payments: 1, attempts: 0, routingVersions: 0, routingRows: 0 }, busy: false });
      assert.deepEqual(await ids(db, 'SELECT id FROM payments'), [seeded.payments.kept[0], seeded.payments.kept[2]].map(String).sort(), 'the expired draft takes its payment along; a booked one without submission is kept forever with 0');
      assert.equal((await db.query('SELECT 1 FROM delivery_attempts')).rows.length, 2);
    });

    test('the schedule runs the purge by itself', async () => {
      const id = randomUUID();
      await db.query(`INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at) VALUES ($1, 'sh', 'svc', '1', '\\x00', now() - interval '1 minute')`, [id]);
      const outcomes: PurgeOutcome[] = [];
      const schedule = new RetentionSchedule(db, POLICY, 1_000, (o) => outcomes.push(o), (err) => assert.fail(String(err)));
      schedule.start();
      try {
        await waitUntil(async () => (await db.query('SELECT 1 FROM drafts WHERE id = $1', [id])).rows.length === 0, 20_000, 'the scheduled purge removed the expired draft');
      } finally {
        await schedule.stop();
      }
      assert.ok(outcomes.some((o) => o.purged.drafts >= 1));
    });
  });
}

describe('retention purge: several workers at once', () => {
  test('parallel purges on PostgreSQL remove each due row once, and the work is not done twice', async () => {
    const pg = await freshPostgres();
    const dirs = [mkdtempSync(join(tmpdir(), 'efa-retention-')), mkdtempSync(join(tmpdir(), 'efa-retention-'))];
    const [a, b] = [await openDatabase({ databaseUrl: pg.url, dataDir: dirs[0] as string }), await openDatabase({ databaseUrl: pg.url, dataDir: dirs[1] as string })];
    try {
      await a.query(`INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at)
                     SELECT gen_random_uuid(), 'sh', 'svc', '1', '\\x00', now() - interval '1 day' FROM generate_series(1, 2500)`);
      await a.query(`INSERT INTO drafts (id, tenant, service_id, service_version, data_enc, expires_at)
                     SELECT gen_random_uuid(), 'sh', 'svc', '1', '\\x00', now() + interval '1 day' FROM generate_series(1, 40)`);
      const outcomes = await Promise.all([purge(a, POLICY), purge(b, POLICY), purge(a, POLICY)]);
      const removed = outcomes.reduce((n, o) => n + o.purged.drafts, 0);
      // A run that met another one's lock stopped (busy) and left the rest to the next run; whatever
      // the interleaving, every due row is removed and counted exactly once.
      const last = await purge(a, POLICY);
      assert.equal(last.busy, false);
      assert.equal(removed + last.purged.drafts, 2500);
      const left = await a.query<{ expired: number; live: number }>(`SELECT count(*) FILTER (WHERE expires_at <= now())::int AS expired, count(*) FILTER (WHERE expires_at > now())::int AS live FROM drafts`);
      assert.deepEqual(left.rows[0], { expired: 0, live: 40 });
    } finally {
      await a.close();
      await b.close();
      await pg.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
