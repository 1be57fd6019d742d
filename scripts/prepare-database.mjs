/* global console, performance */
/**
 * `npm ci` / `npm install` run this (the package's `prepare` script): it makes the template of an
 * empty, migrated embedded database (src/storage/pglite-template.ts) unless a current one exists,
 * so the first `npm start` copies it instead of creating a PostgreSQL cluster and migrating it
 * (about 1.5 s instead of 4.5 s to ready on a 2-core machine; docs/performance.md#startup).
 * Plain JavaScript, and never fatal: without tsx (an install without dev dependencies) or on any
 * failure, `npm start` makes the database itself, as before.
 */
const started = performance.now();
try {
  const { register } = await import('tsx/esm/api');
  register();
  const { preparePgliteTemplate } = await import('../src/storage/db.ts');
  const template = await preparePgliteTemplate();
  console.log(`efa: embedded database template ${template.built ? 'made' : 'current'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.warn(`efa: no embedded database template (${err instanceof Error ? err.message : String(err)}); the first npm start makes the database itself`);
}
