/**
 * A migrated, empty PGlite database to copy into a new data directory. Creating a PGlite database
 * runs initdb in WebAssembly and then every migration: several seconds of CPU on each first start.
 * Copying a finished one and opening it takes a fraction of that (docs/performance.md#startup).
 *
 * Templates live in node_modules/.cache/efa/ (beside the PGlite they were made with), one folder per
 * PGlite version and set of migrations, each with a stamp (template.json) naming the PGlite version
 * and every migration in it with its SHA-256. A template is used only while its PGlite version is
 * the installed one and each of its migrations is still present unchanged; migrations newer than
 * the template then run as usual on the copy. `npm run build` makes a current one, and so does the
 * first embedded start that finds none it can use.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MigrationStamp { name: string; sha256: string }
export interface TemplateStamp { pglite: string; migrations: MigrationStamp[] }

const STAMP = 'template.json';
const PGDATA = 'pgdata';

/** The installed PGlite's package folder, found from its entry module (its exports hide package.json). */
function pglitePackageDir(): string {
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${entry}`);
    dir = up;
  }
  return dir;
}

export function pgliteVersion(): string {
  return (JSON.parse(readFileSync(join(pglitePackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** node_modules/.cache/efa of the node_modules PGlite is installed in; EFA_PGLITE_TEMPLATE_DIR overrides it. */
export function templateCacheDir(): string {
  if (process.env.EFA_PGLITE_TEMPLATE_DIR) return process.env.EFA_PGLITE_TEMPLATE_DIR;
  const pkg = pglitePackageDir();
  const at = pkg.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) throw new Error(`PGlite is not installed under a node_modules folder (${pkg})`);
  return join(pkg.slice(0, at), 'node_modules', '.cache', 'efa');
}

/** What a template made now would contain: the installed PGlite and every migration file. */
export function currentStamp(migrationsDir: string): TemplateStamp {
  const migrations = readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.sql'.length), sha256: createHash('sha256').update(readFileSync(join(migrationsDir, f))).digest('hex') }));
  return { pglite: pgliteVersion(), migrations };
}

/** 'current': has every migration; 'older': a subset, the rest can run on the copy; 'unusable': anything else. */
export function compareStamp(template: TemplateStamp, current: TemplateStamp): 'current' | 'older' | 'unusable' {
  if (template.pglite !== current.pglite) return 'unusable';
  const now = new Map(current.migrations.map((m) => [m.name, m.sha256]));
  if (!template.migrations.every((m) => now.get(m.name) === m.sha256)) return 'unusable';
  // A migration older than the template's newest that the template lacks would run out of order.
  const newest = template.migrations.at(-1)?.name ?? '';
  const lacking = current.migrations.filter((m) => !template.migrations.some((t) => t.name === m.name));
  if (lacking.some((m) => m.name < newest)) return 'unusable';
  return lacking.length === 0 ? 'current' : 'older';
}

const folderName = (stamp: TemplateStamp): string =>
  `pglite-${stamp.pglite}-${createHash('sha256').update(JSON.stringify(stamp.migrations)).digest('hex').slice(0, 16)}`;

function readStamp(folder: string): TemplateStamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(join(folder, STAMP), 'utf8')) as TemplateStamp;
    return typeof stamp.pglite === 'string' && Array.isArray(stamp.migrations) && existsSync(join(folder, PGDATA, 'PG_VERSION')) ? stamp : undefined;
  } catch {
    return undefined;
  }
}

export interface FoundTemplate { dir: string; stamp: TemplateStamp; fit: 'current' | 'older' }

/** The usable template with the most migrations, if any. */
export function findTemplate(cacheDir: string, current: TemplateStamp): FoundTemplate | undefined {
  if (!existsSync(cacheDir)) return undefined;
  let best: FoundTemplate | undefined;
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('pglite-')) continue;
    const dir = join(cacheDir, name);
    const stamp = readStamp(dir);
    if (!stamp) continue;
    const fit = compareStamp(stamp, current);
    if (fit === 'unusable') continue;
    if (!best || stamp.migrations.length > best.stamp.migrations.length) best = { dir, stamp, fit };
  }
  return best;
}

/** Copies the template's database into target (an empty or missing folder). */
export function copyTemplate(template: FoundTemplate, target: string): void {
  mkdirSync(target, { recursive: true });
  // A clone where the file system can (btrfs, XFS), a plain copy elsewhere.
  cpSync(join(template.dir, PGDATA), target, { recursive: true, mode: constants.COPYFILE_FICLONE });
}

/**
 * Makes a template for `current`: `create` is given an empty folder and must leave a closed, migrated
 * database in it. Built beside the cache under a private name and renamed into place, so a reader
 * never sees half a template and two processes building at once do no harm. Templates of other
 * PGlite versions or migration sets are removed afterwards.
 */
export async function buildTemplate(cacheDir: string, current: TemplateStamp, create: (pgdata: string) => Promise<void>): Promise<FoundTemplate> {
  mkdirSync(cacheDir, { recursive: true });
  const final = join(cacheDir, folderName(current));
  const building = join(cacheDir, `.building-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await create(join(building, PGDATA));
    writeFileSync(join(building, STAMP), `${JSON.stringify(current, null, 2)}\n`);
    const isCurrent = (): boolean => { const s = readStamp(final); return s !== undefined && compareStamp(s, current) === 'current'; };
    if (isCurrent()) rmSync(building, { recursive: true, force: true });
    else {
      rmSync(final, { recursive: true, force: true });
      try {
        renameSync(building, final);
      } catch (err) {
        // Another process finished the same template first.
        if (!isCurrent()) throw err;
        rmSync(building, { recursive: true, force: true });
      }
    }
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw err;
  }
  for (const name of readdirSync(cacheDir)) {
    const dir = join(cacheDir, name);
    if (name.startsWith('pglite-') && dir !== final) rmSync(dir, { recursive: true, force: true });
  }
  return { dir: final, stamp: current, fit: 'current' };
}
