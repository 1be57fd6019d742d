/**
 * The DEFRA forms engine, installed by the bench into a scratch folder outside the repository
 * (`npm install --prefix`), serving the same 3-page, 30-field form as the bench's own service.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFRA_PACKAGE = '@defra/forms-engine-plugin';
export const DEFRA_VERSION = '8.0.1';
/** Pages × fields of the form both engines serve. */
export const PAGES = 3;
export const FIELDS_PER_PAGE = 10;

/** Installs the engine once per machine (kept in the temp dir between runs); returns its folder. */
export function installDefra(): string {
  const dir = join(tmpdir(), `efa-bench-defra-${DEFRA_VERSION}`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'node_modules', DEFRA_PACKAGE, 'package.json'))) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // Bounded: without a registry (an offline CI) the table says so rather than the run hanging.
    const res = spawnSync(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', '--fetch-retries=1', '--fetch-timeout=30000', `${DEFRA_PACKAGE}@${DEFRA_VERSION}`], { encoding: 'utf8', timeout: 180_000 });
    if (res.status !== 0) throw new Error(`npm install ${DEFRA_PACKAGE}@${DEFRA_VERSION} failed: ${(res.stderr || res.stdout || String(res.error)).slice(-800)}`);
  }
  copyFileSync(fileURLToPath(new URL('defra-server.mjs', import.meta.url)), join(dir, 'server.mjs'));
  writeFileSync(join(dir, 'bench.json'), JSON.stringify(defraForm(), null, 2));
  return dir;
}

/** Field names of page p (1-based), the same on both sides (the engine takes letters only). */
export function fieldNames(page: number): string[] {
  const letter = (n: number) => String.fromCharCode(97 + n);
  return Array.from({ length: FIELDS_PER_PAGE }, (_v, i) => `seite${letter(page - 1)}feld${letter(i)}`);
}

/** The form in the engine's definition format (v1): three pages of ten text fields, then a summary. */
function defraForm(): Record<string, unknown> {
  const pages = Array.from({ length: PAGES }, (_v, i) => ({
    title: `Seite ${i + 1}`, path: `/seite-${i + 1}`, section: 'angaben',
    components: fieldNames(i + 1).map((name, j) => ({ type: 'TextField', name, title: `Angabe ${i + 1}.${j + 1}`, options: {}, schema: { max: 100 } })),
    next: [{ path: i + 1 < PAGES ? `/seite-${i + 2}` : '/summary' }],
  }));
  return {
    name: 'Bench', startPage: '/seite-1', pages: [...pages, { path: '/summary', controller: 'SummaryPageController', title: 'Zusammenfassung' }],
    sections: [{ name: 'angaben', title: 'Angaben' }], conditions: [], lists: [],
  };
}
