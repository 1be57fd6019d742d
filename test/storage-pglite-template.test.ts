/**
 * The embedded database of a new data directory is copied from a template of an empty migrated
 * database (src/storage/pglite-template.ts): made once, used only while it matches the installed
 * PGlite and the migration files, made again when they change.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/storage/db.js';
import { compareStamp, type TemplateStamp } from '../src/storage/pglite-template.js';

const migrationFiles = readdirSync(new URL('../src/storage/migrations', import.meta.url)).filter((f) => f.endsWith('.sql'));

describe('PGlite template', () => {
  const root = mkdtempSync(join(tmpdir(), 'efa-template-'));
  const cache = join(root, 'cache');
  const templates = (): string[] => readdirSync(cache).filter((n) => n.startsWith('pglite-'));
  const stampOf = (name: string): TemplateStamp => JSON.parse(readFileSync(join(cache, name, 'template.json'), 'utf8')) as TemplateStamp;
  let n = 0;
  const open = () => openDatabase({ dataDir: join(root, `data-${n++}`) });
  const appliedMigrations = async (db: Awaited<ReturnType<typeof open>>): Promise<number> =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pgmigrations')).rows[0]?.n ?? -1;

  before(() => { process.env.EFA_PGLITE_TEMPLATE_DIR = cache; });
  after(() => {
    delete process.env.EFA_PGLITE_TEMPLATE_DIR;
    rmSync(root, { recursive: true, force: true });
  });

  it('the first start makes a template stamped with every migration and starts a migrated database', async () => {
    const db = await open();
    try {
      assert.equal(await appliedMigrations(db), migrationFiles.length);
    } finally {
      await db.close();
    }
    assert.equal(templates().length, 1);
    const stamp = stampOf(templates()[0] as string);
    assert.deepEqual(stamp.migrations.map((m) => `${m.name}.sql`), [...migrationFiles].sort());
    assert.ok(stamp.migrations.every((m) => /^[0-9a-f]{64}$/.test(m.sha256)));
  });

  it('a new data directory is a copy of the template, and writing to it leaves the template alone', async () => {
    // A table only the template has proves the next database came from it.
    const pgdata = join(cache, templates()[0] as string, 'pgdata');
    const lite = await PGlite.create(pgdata);
    await lite.exec('CREATE TABLE template_marker (x int)');
    await lite.close();

    const first = await open();
    try {
      assert.equal((await first.query('SELECT * FROM template_marker')).rowCount, 0);
      assert.equal(await appliedMigrations(first), migrationFiles.length);
      await first.query('INSERT INTO template_marker VALUES (1)');
    } finally {
      await first.close();
    }
    const second = await open();
    try {
      assert.equal((await second.query('SELECT * FROM template_marker')).rowCount, 0, 'the first copy wrote into the template');
    } finally {
      await second.close();
    }
  });

  it('a template whose migration no longer matches its file is not used but made again', async () => {
    const name = templates()[0] as string;
    const stamp = stampOf(name);
    (stamp.migrations[0] as { sha256: string }).sha256 = '0'.repeat(64);
    writeFileSync(join(cache, name, 'template.json'), JSON.stringify(stamp));

    const db = await open();
    try {
      await assert.rejects(db.query('SELECT * FROM template_marker'), /template_marker/);
      assert.equal(await appliedMigrations(db), migrationFiles.length);
    } finally {
      await db.close();
    }
    assert.equal(templates().length, 1);
    assert.notEqual(stampOf(templates()[0] as string).migrations[0]?.sha256, '0'.repeat(64));
  });

  it('an older template is used and the newer migrations run on the copy; others are refused', () => {
    const m = (name: string, sha256 = name.repeat(2)) => ({ name, sha256 });
    const current: TemplateStamp = { pglite: '1.0.0', migrations: [m('1_a'), m('2_b'), m('3_c')] };
    assert.equal(compareStamp(current, current), 'current');
    assert.equal(compareStamp({ pglite: '1.0.0', migrations: [m('1_a'), m('2_b')] }, current), 'older');
    assert.equal(compareStamp({ pglite: '1.0.1', migrations: current.migrations }, current), 'unusable', 'other PGlite');
    assert.equal(compareStamp({ pglite: '1.0.0', migrations: [m('1_a'), m('2_b', 'changed')] }, current), 'unusable', 'changed migration');
    assert.equal(compareStamp({ pglite: '1.0.0', migrations: [m('1_a'), m('3_c')] }, current), 'unusable', 'a migration missing before the newest would run out of order');
    assert.equal(compareStamp({ pglite: '1.0.0', migrations: [...current.migrations, m('4_d')] }, current), 'unusable', 'a migration that no longer exists');
  });
});
