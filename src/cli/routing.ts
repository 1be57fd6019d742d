import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/env.js';
import { EfaError } from '../core/errors.js';
import type { RoutingDocument, TableName } from '../routing/document.js';
import type { RoutingData } from '../routing/load.js';
import type { RoutingStore } from '../routing/store.js';

const SCHEMA_ID = 'https://efa-runtime.example/schemas/routing.schema.json';

interface Deps {
  config(): Config;
  fail(err: unknown): never;
}

/** Demo data names the local receiver as ${EFA_DEMO_RECEIVER_URL}; `efa check` assumes the same default. */
function routingEnv(cfg: Config): Record<string, string | undefined> {
  return cfg.production ? process.env : { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001', ...process.env };
}

function int(name: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return Number(raw);
  };
}

/** The database and a store on it, without polling or LISTEN: a command does one thing and ends. */
async function withStore<T>(cfg: Config, fn: (store: RoutingStore, current: () => RoutingData) => Promise<T>): Promise<T> {
  const [{ openDatabase, databaseTimeouts }, { RoutingStore }, { FORMATS_DIR, messageFormatsIn }, { loadRouting }] = await Promise.all([
    import('../storage/db.js'), import('../routing/store.js'), import('../runtime.js'), import('../routing/load.js'),
  ]);
  const env = routingEnv(cfg);
  let routing = loadRouting(resolve(cfg.root), FORMATS_DIR, env);
  const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir, poolSize: 2, timeouts: databaseTimeouts(cfg.ops) });
  const messageFormats = await messageFormatsIn(cfg.root);
  const store = new RoutingStore({ db, root: resolve(cfg.root), formatsDir: FORMATS_DIR, env, pollMs: 0, messageFormats, current: () => routing, install: (r) => { routing = r; } });
  try {
    const latest = await store.latestVersion();
    if (latest > 0) await store.reload();
    return await fn(store, () => routing);
  } finally {
    await db.close();
  }
}

/** `efa routing …`: check, import, export, versions, restore, resolve, generate-nationwide. */
export function routingCommand(deps: Deps): Command {
  const routing = new Command('routing').description('routing data: authorities, responsibilities (LeiKa key x ARS prefix) and the directory; versions in the database');

  routing.command('check')
    .description('validate routing files (default: the seed files routing/*.json) as one complete dataset; lists every problem and warning')
    .argument('[paths...]', 'JSON or CSV files, or folders of them')
    .action(async (paths: string[]) => {
      const cfg = deps.config();
      try {
        const [{ FORMATS_DIR }, { compileRouting }, { readSeed }, { patchFromPaths }, { replaceTables, locatedDocument }] = await Promise.all([
          import('../runtime.js'), import('../routing/compile.js'), import('../routing/load.js'), import('../routing/imports.js'), import('../routing/document.js'),
        ]);
        const input = paths.length === 0 ? readSeed(resolve(cfg.root), FORMATS_DIR) : replaceTables(locatedDocument(emptyDocument(), 'empty'), patchFromPaths(paths, FORMATS_DIR));
        const compiled = compileRouting(input, { env: routingEnv(cfg), routingDir: join(resolve(cfg.root), 'routing') });
        await report(compiled.warnings);
        const c = compiled.document;
        console.log(`ok: ${c.authorities.length} authorities, ${c.responsibilities.length} responsibilities, ${c.directory.length} directory entries`);
      } catch (err) {
        await listProblems(err);
        deps.fail(err);
      }
    });

  routing.command('import')
    .description('validate and store as a new version: each table the input contains replaces the current one, the others are kept. Running processes pick it up within seconds. With the embedded database (no DATABASE_URL) stop `efa start` first, or use the admin API')
    .argument('<paths...>', 'JSON documents, CSV tables (the header tells which), or folders of them')
    .option('--comment <text>', 'why: shown in the version list')
    .option('--dry-run', 'validate against the current version, store nothing')
    .option('--if-version <n>', 'refuse unless the newest version is n (no change in between)', int('--if-version', 0, 2 ** 31 - 1))
    .action(async (paths: string[], opts: { comment?: string; dryRun?: boolean; ifVersion?: number }) => {
      const cfg = deps.config();
      try {
        const [{ FORMATS_DIR }, { patchFromPaths }, { replaceTables }] = await Promise.all([import('../runtime.js'), import('../routing/imports.js'), import('../routing/document.js')]);
        const patch = patchFromPaths(paths, FORMATS_DIR);
        const result = await withStore(cfg, (store) => store.write((base) => replaceTables(base, patch), { by: `cli:${userInfo().username}`, comment: opts.comment, dryRun: opts.dryRun, expectVersion: opts.ifVersion }));
        await report(result.warnings);
        const counts = `${result.counts.authorities} authorities, ${result.counts.responsibilities} responsibilities, ${result.counts.directory} directory entries`;
        if (opts.dryRun) console.log(`valid: ${counts} (nothing stored)`);
        else console.log(result.created ? `stored version ${result.version}: ${counts}${result.stored ? ` (${result.stored.rowsWritten} rows written, ${result.stored.rowsShared} shared with the version before)` : ''}` : `unchanged: version ${result.version} already holds exactly this data`);
      } catch (err) {
        await listProblems(err);
        deps.fail(err);
      }
    });

  routing.command('export')
    .description('the data in force (or --version) as a JSON document, or one table as CSV; ready to edit and import again')
    .option('--version <n>', 'a stored version; 0 is the seed files', int('--version', 0, 2 ** 31 - 1))
    .option('--table <name>', 'only this table, as CSV: authorities, responsibilities or directory')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (opts: { version?: number; table?: string; out?: string }) => {
      const cfg = deps.config();
      try {
        const { isTableName } = await import('../routing/document.js');
        if (opts.table !== undefined && !isTableName(opts.table)) throw new EfaError('EFA_USAGE', `--table must be authorities, responsibilities or directory, not "${opts.table}"`);
        const { document } = await withStore(cfg, (store) => store.document(opts.version));
        const text = opts.table ? (await import('../routing/csv.js')).tableToCsv(document, opts.table as TableName) : documentText(document, opts.out ? schemaRefFrom(opts.out, resolve(cfg.root)) : SCHEMA_ID);
        output(text, opts.out);
      } catch (err) {
        deps.fail(err);
      }
    });

  routing.command('versions')
    .description('the stored versions, newest first')
    .option('--limit <n>', 'how many', int('--limit', 1, 10_000), 20)
    .action(async (opts: { limit: number }) => {
      try {
        const versions = await withStore(deps.config(), (store) => store.versions(opts.limit));
        if (versions.length === 0) console.log('no stored version: the seed files routing/*.json are in force');
        for (const v of versions) console.log(`${v.version}\t${v.createdAt}\t${v.createdBy}\t${v.authorities}/${v.responsibilities}/${v.directory}\t${v.comment ?? ''}`);
      } catch (err) {
        deps.fail(err);
      }
    });

  routing.command('restore')
    .description('store the content of an older version as the newest one (undo)')
    .argument('<version>', 'the version to bring back', int('version', 1, 2 ** 31 - 1))
    .option('--comment <text>', 'why')
    .action(async (version: number, opts: { comment?: string }) => {
      try {
        const result = await withStore(deps.config(), (store) => store.restore(version, { by: `cli:${userInfo().username}`, comment: opts.comment }));
        console.log(result.created ? `stored version ${result.version} with the content of version ${version}` : `unchanged: the newest version already equals version ${version}`);
      } catch (err) {
        await listProblems(err);
        deps.fail(err);
      }
    });

  routing.command('resolve')
    .description('which authority and endpoint the data in force gives for a service and a region')
    .argument('<leikaKey>', '14-digit LeiKa key')
    .argument('<ars>', 'Amtlicher Regionalschlüssel (12 digits, or a shorter prefix)')
    .action(async (leikaKey: string, ars: string) => {
      try {
        const { endpointFor } = await import('../routing/load.js');
        await withStore(deps.config(), async (_store, current) => {
          const data = current();
          const id = data.responsibility.resolve(leikaKey, ars);
          if (!id) throw new EfaError('EFA_NO_RESPONSIBLE_AUTHORITY', `no authority responsible for service ${leikaKey} in region ${ars} (version ${data.version?.version ?? 0})`);
          const endpoint = endpointFor(data, id, leikaKey);
          console.log(`${id}\t${data.authorities.get(id)?.name ?? ''}\n${endpoint ? `${endpoint.transport}\t${endpoint.address}` : 'no directory entry'}\t(version ${data.version?.version ?? 0})`);
        });
      } catch (err) {
        deps.fail(err);
      }
    });

  routing.command('generate-nationwide')
    .description('a nationwide dataset from the official municipality list (routing/reference/): an authority per Land, per Kreis and per municipality of --min-population inhabitants; mixed transports; the generated authorities SHARE the demo key pairs of routing/keys (no new keys are made)')
    .option('--services <n>', 'number of services: the Gewerbeanmeldung plus synthetic LeiKa keys 9900000000xxxx', int('--services', 1, 1000), 1)
    .option('--min-population <n>', 'smaller municipalities are served by their Kreis', int('--min-population', 0, 10_000_000), 2000)
    .option('--format <format>', 'json (one document) or csv (authorities.csv, responsibilities.csv, directory.csv into the --out folder)', 'json')
    .option('--out <path>', 'file (json) or folder (csv); json without --out goes to stdout')
    .action(async (opts: { services: number; minPopulation: number; format: string; out?: string }) => {
      const cfg = deps.config();
      try {
        if (opts.format !== 'json' && opts.format !== 'csv') throw new EfaError('EFA_USAGE', '--format must be json or csv');
        if (opts.format === 'csv' && !opts.out) throw new EfaError('EFA_USAGE', '--format csv needs --out <folder>');
        // eslint-disable-next-line no-restricted-syntax -- a development tool: demo data generation lives in src/demo/ (docs/architecture.md)
        const { generateNationwide, serviceKeys } = await import('../demo/nationwide.js').catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
          throw new EfaError('EFA_USAGE', 'generate-nationwide makes demo data (src/demo/), which this installation leaves out: run it in a checkout');
        });
        const root = resolve(cfg.root);
        const { document, stats } = generateNationwide({ referenceFile: join(root, 'routing', 'reference', 'gemeindeverzeichnis.csv'), routingDir: join(root, 'routing'), services: serviceKeys(opts.services), minPopulation: opts.minPopulation });
        if (opts.format === 'csv') {
          const { tableToCsv } = await import('../routing/csv.js');
          mkdirSync(opts.out as string, { recursive: true });
          for (const table of ['authorities', 'responsibilities', 'directory'] as const) writeFileSync(join(opts.out as string, `${table}.csv`), tableToCsv(document, table));
        } else {
          output(documentText(document, opts.out ? schemaRefFrom(opts.out, root) : SCHEMA_ID), opts.out);
        }
        console.error(`generated: ${document.authorities.length} authorities (${stats.ownAuthority} of ${stats.municipalities} municipalities have their own, ${stats.servedByKreis} are served by their Kreis), ${document.responsibilities.length} responsibilities for ${opts.services} service(s), transports ${JSON.stringify(stats.transports)}`);
      } catch (err) {
        deps.fail(err);
      }
    });

  return routing;
}

function emptyDocument(): RoutingDocument {
  return { authorities: [], responsibilities: [], directory: [], keys: {} };
}

/** One row per line: readable, and a change to one row is a one-line diff. */
export function documentText(doc: RoutingDocument, schema?: string): string {
  const rows = (items: unknown[]) => (items.length === 0 ? '[]' : `[\n    ${items.map((i) => JSON.stringify(i)).join(',\n    ')}\n  ]`);
  const parts = [
    ...(schema ? [`  "$schema": ${JSON.stringify(schema)}`] : []),
    `  "authorities": ${rows(doc.authorities)}`,
    `  "responsibilities": ${rows(doc.responsibilities)}`,
    `  "directory": ${rows(doc.directory)}`,
    `  "keys": {${Object.entries(doc.keys).map(([k, v]) => `\n    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',')}${Object.keys(doc.keys).length > 0 ? '\n  ' : ''}}`,
  ];
  return `{\n${parts.join(',\n')}\n}\n`;
}

function schemaRefFrom(out: string, root: string): string {
  const depth = resolve(dirname(out)).slice(root.length).split('/').filter(Boolean).length;
  return `${'../'.repeat(depth)}schemas/routing.schema.json`;
}

function output(text: string, out: string | undefined): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.error(`wrote ${out}`);
}

async function report(warnings: Array<{ message: string }>): Promise<void> {
  if (warnings.length === 0) return;
  const { formatProblem } = await import('../routing/problems.js');
  for (const w of warnings) console.error(`warning: ${formatProblem(w as never)}`);
}

/** Every problem, not just the first: fixing a file should take one round, not fifty. */
async function listProblems(err: unknown): Promise<void> {
  const { RoutingDataError, formatProblem } = await import('../routing/problems.js');
  if (!(err instanceof RoutingDataError) || err.problems.length < 2) return;
  console.error(`efa: ${err.code}: ${err.truncated ? `the first ${err.problems.length}` : err.problems.length} problems; nothing was stored:`);
  for (const p of err.problems) console.error(`  ${formatProblem(p)}`);
  process.exit(1);
}
