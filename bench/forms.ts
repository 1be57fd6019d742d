/**
 * A repeatable group of many rows (default 500): the group's step (list page), the check page,
 * validation of the whole application, the group step's post and one row's post, next to a
 * baseline measured in the same run: a bare precompiled Handlebars render of the same rows (the
 * floor any server-rendered list of them pays).
 *
 *   npm run bench:forms            (500 rows)
 *   npm run bench:forms -- 1000    (rows)
 *
 * The service is generated into a temp copy of the project root (test/support/extra-service.ts),
 * never into services/. A second service nests a group in each row (three vaccinations per animal,
 * test/support/extra-service.ts `vaccinations`): its list, check page, validation and the posts of
 * an outer and an inner row are timed against the same baseline.
 */
import { availableParallelism, cpus } from 'node:os';
import Handlebars from 'handlebars';
import { innerGroups, rowLines, rowsOf, rowTitle } from '../src/forms/fields/group.js';
import { createRenderer, type Renderer } from '../src/forms/render.js';
import { processRow, processStep, validateAll } from '../src/forms/validate.js';
import { checkView } from '../src/http/applicant/check.js';
import { stepContext } from '../src/http/applicant/logic.js';
import { rowView, topRow } from '../src/http/applicant/row.js';
import { stepView } from '../src/http/applicant/step.js';
import type { Authority } from '../src/routing/types.js';
import type { LoadedService } from '../src/services/registry.js';
import type { Tenant } from '../src/tenants/registry.js';
import { formOf, renderPage, type PageEnv } from '../src/http/applicant/view.js';
import { loadDeclarations } from '../src/runtime.js';
import { resolveResponsible } from '../src/submissions/submit.js';
import { addExtraService, copyProjectRoot, example } from '../test/support/extra-service.js';

const ROWS = Number(process.argv[2] ?? 500);
const ROUNDS = 5;
const MIN_ROUND_MS = 300;
const SERVICE = 'haustiere';
const NESTED = 'haustiere-geschachtelt';
const INNER_ROWS = 3;

/** Best of ROUNDS rounds of at least MIN_ROUND_MS each, in milliseconds per operation. */
function measure(op: () => unknown): number {
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      const out = op();
      sink += typeof out === 'string' ? out.length : 1;
      n++;
      elapsed = performance.now() - start;
    } while (elapsed < MIN_ROUND_MS);
    best = Math.min(best, elapsed / n);
  }
  if (sink === 42) console.log('');
  return best;
}

const MIDDLE = Math.ceil(ROWS / 2) - 1;

/** The post of row `index`'s own fields. */
function rowPost(index: number): Record<string, string> {
  const p = `tiere.${index}`;
  return { [`${p}.name`]: 'Neu', [`${p}.art`]: 'hund', [`${p}.geburtsdatum.day`]: '1', [`${p}.geburtsdatum.month`]: '2', [`${p}.geburtsdatum.year`]: '2021' };
}

type Declarations = Awaited<ReturnType<typeof loadDeclarations>>;

/** The same operations on ROWS animals with INNER_ROWS vaccinations each (a group nested in each row). */
function nestedResults(decl: Declarations, tenant: Tenant, renderer: Renderer, today: string, authorityOf: (svc: LoadedService) => (d: Record<string, unknown>) => Authority): Array<[string, number]> {
  const service = decl.services.get(NESTED);
  const form = formOf(tenant, NESTED);
  const step = form.steps.find((s) => s.id === 'tiere');
  const group = step?.fields[0];
  const inner = group && innerGroups(group, MIDDLE)[0];
  if (!service || !step || !group || !inner) throw new Error('the nested service did not load');
  const env: PageEnv = { tenant, lang: 'de', base: '/sh', url: `/sh/${NESTED}/tiere` };
  const data = example(ROWS, INNER_ROWS);
  const ctx = stepContext(env, decl.places, service, today, data);
  if (validateAll(service, form, data, ctx)) throw new Error('the nested sample data is not a valid application');
  const empty = { errors: new Map<string, string>(), parsed: new Map() };
  const check = () => renderPage(renderer, env, checkView(env, service, data, ctx, { authorityOf: authorityOf(service), csrf: 'x' }));
  if (!check().includes(`/tiere/${ROWS}/impfungen/${INNER_ROWS}?zurueck`)) throw new Error('the check page does not show every inner row');
  const innerPost = { [`tiere.${MIDDLE}.impfungen.1.impfstoff`]: 'Neu', [`tiere.${MIDDLE}.impfungen.1.datum.day`]: '1', [`tiere.${MIDDLE}.impfungen.1.datum.month`]: '2', [`tiere.${MIDDLE}.impfungen.1.datum.year`]: '2022' };
  return [
    [`nested (${INNER_ROWS} per row): group step (list page), rendered`, measure(() => renderPage(renderer, env, stepView(env, service, step, data, empty, { fromCheck: false, csrf: 'x', conditions: ctx.conditions })))],
    [`nested: outer row ${MIDDLE + 1}'s page with its inner list, rendered`, measure(() => renderPage(renderer, env, rowView(env, service, step, topRow(env, NESTED, step, group, MIDDLE), data, empty, { fromCheck: false, csrf: 'x', conditions: ctx.conditions })))],
    ['nested: check page, rendered', measure(check)],
    ['nested: validate the whole application (validateAll)', measure(() => validateAll(service, form, data, ctx))],
    [`nested: post outer row ${MIDDLE + 1} (keeps its inner rows)`, measure(() => processRow(service, group, MIDDLE, data, rowPost(MIDDLE), ctx))],
    [`nested: post inner row 2 of row ${MIDDLE + 1}`, measure(() => processRow(service, inner, 1, data, innerPost, ctx))],
  ];
}

const temp = copyProjectRoot('efa-bench-forms-');
try {
  await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999001', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: ROWS });
  await addExtraService(temp.root, { id: NESTED, leikaKey: '99999999999002', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: ROWS, vaccinations: { min: 0, max: INNER_ROWS } });
  const decl = await loadDeclarations(temp.root, { EFA_DEMO_RECEIVER_URL: 'http://127.0.0.1:3001' });
  const renderer = createRenderer(temp.root);
  const tenant = decl.tenants.get('sh');
  const service = decl.services.get(SERVICE);
  if (!tenant || !service) throw new Error('the generated service did not load');
  const form = formOf(tenant, SERVICE);
  const step = form.steps.find((s) => s.id === 'tiere');
  const group = step?.fields[0];
  if (!step || !group?.group) throw new Error('no group step');
  const env: PageEnv = { tenant, lang: 'de', base: '/sh', url: `/sh/${SERVICE}/tiere` };
  const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
  const data = example(ROWS);
  const ctx = stepContext(env, decl.places, service, today, data);
  if (rowsOf(data.tiere).length !== ROWS || validateAll(service, form, data, ctx)) throw new Error('the sample data is not a valid application');
  const authorityOf = (svc: LoadedService) => (d: Record<string, unknown>) => resolveResponsible(decl.routing, svc, d).authority;
  const empty = { errors: new Map<string, string>(), parsed: new Map() };
  const spec = group.group;

  // Baseline: the same rows through one precompiled template, with their texts already computed.
  const rows = rowsOf(data.tiere).map((row, i) => ({ number: i + 1, title: rowTitle(group, i, 'de'), lines: rowLines(spec, row, 'de') }));
  const bare = Handlebars.compile('<dl>{{#each rows}}<div id="r{{number}}"><dt>{{title}}</dt><dd>{{#each lines}}<span>{{label}}: {{value}}</span>{{/each}}</dd><dd><a href="/sh/haustiere/tiere/{{number}}">Ändern</a><button formaction="/sh/haustiere/tiere/{{number}}/entfernen">Entfernen</button></dd></div>{{/each}}</dl>');
  const listPage = () => renderPage(renderer, env, stepView(env, service, step, data, empty, { fromCheck: false, csrf: 'x', conditions: ctx.conditions }));
  const checkPage = () => renderPage(renderer, env, checkView(env, service, data, ctx, { authorityOf: authorityOf(service), csrf: 'x' }));
  if (!listPage().includes(`Tier ${ROWS}<`) || !checkPage().includes(`/tiere/${ROWS}?zurueck`)) throw new Error('the pages do not show every row');

  const results: Array<[string, number]> = [
    ['baseline: bare Handlebars render of the rows', measure(() => bare({ rows }))],
    ['group step (list page), rendered', measure(listPage)],
    ['check page, rendered (validates everything, fee, authority)', measure(checkPage)],
    ['validate the whole application (validateAll)', measure(() => validateAll(service, form, data, ctx))],
    ['post the group step ("continue": checks every row)', measure(() => processStep(service, step, data, {}, ctx))],
    [`post one row (row ${MIDDLE + 1}: parse, store, validate)`, measure(() => processRow(service, group, MIDDLE, data, rowPost(MIDDLE), ctx))],
  ];
  results.push(...nestedResults(decl, tenant, renderer, today, authorityOf));
  const base = results[0]?.[1] ?? 1;
  console.log(`${ROWS} rows; ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; best of ${ROUNDS} rounds, ms per operation`);
  console.log(`${'what'.padEnd(62)} ${'ms'.padStart(8)} ${'vs. baseline'.padStart(13)}`);
  for (const [what, ms] of results) console.log(`${what.padEnd(62)} ${ms.toFixed(2).padStart(8)} ${`${(ms / base).toFixed(1)}×`.padStart(13)}`);
  const worst = Math.max(...results.slice(1).map(([, ms]) => ms));
  console.log(worst < 100 ? `ok: the slowest is ${worst.toFixed(1)} ms, under 100 ms` : `TOO SLOW: ${worst.toFixed(1)} ms`);
  if (worst >= 100) process.exitCode = 1;
} finally {
  temp.remove();
}
