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
 * never into services/.
 */
import { availableParallelism, cpus } from 'node:os';
import Handlebars from 'handlebars';
import { rowLines, rowsOf, rowTitle } from '../src/forms/fields/group.js';
import { createRenderer } from '../src/forms/render.js';
import { processRow, processStep, validateAll } from '../src/forms/validate.js';
import { checkView } from '../src/http/applicant/check.js';
import { stepContext } from '../src/http/applicant/logic.js';
import { stepView } from '../src/http/applicant/step.js';
import { formOf, renderPage, type PageEnv } from '../src/http/applicant/view.js';
import { loadDeclarations } from '../src/runtime.js';
import { resolveResponsible } from '../src/submissions/submit.js';
import { addExtraService, copyProjectRoot, example } from '../test/support/extra-service.js';

const ROWS = Number(process.argv[2] ?? 500);
const ROUNDS = 5;
const MIN_ROUND_MS = 300;
const SERVICE = 'haustiere';

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

const temp = copyProjectRoot('efa-bench-forms-');
try {
  await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999001', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: ROWS });
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
  const authorityOf = (d: Record<string, unknown>) => resolveResponsible(decl.routing, service, d).authority;
  const empty = { errors: new Map<string, string>(), parsed: new Map() };
  const spec = group.group;

  // Baseline: the same rows through one precompiled template, with their texts already computed.
  const rows = rowsOf(data.tiere).map((row, i) => ({ number: i + 1, title: rowTitle(group, i, 'de'), lines: rowLines(spec, row, 'de') }));
  const bare = Handlebars.compile('<dl>{{#each rows}}<div id="r{{number}}"><dt>{{title}}</dt><dd>{{#each lines}}<span>{{label}}: {{value}}</span>{{/each}}</dd><dd><a href="/sh/haustiere/tiere/{{number}}">Ändern</a><button formaction="/sh/haustiere/tiere/{{number}}/entfernen">Entfernen</button></dd></div>{{/each}}</dl>');
  const listPage = () => renderPage(renderer, env, stepView(env, service, step, data, empty, { fromCheck: false, csrf: 'x', conditions: ctx.conditions }));
  const checkPage = () => renderPage(renderer, env, checkView(env, service, data, ctx, { authorityOf, csrf: 'x' }));
  if (!listPage().includes(`Tier ${ROWS}<`) || !checkPage().includes(`/tiere/${ROWS}?zurueck`)) throw new Error('the pages do not show every row');

  const results: Array<[string, number]> = [
    ['baseline: bare Handlebars render of the rows', measure(() => bare({ rows }))],
    ['group step (list page), rendered', measure(listPage)],
    ['check page, rendered (validates everything, fee, authority)', measure(checkPage)],
    ['validate the whole application (validateAll)', measure(() => validateAll(service, form, data, ctx))],
    ['post the group step ("continue": checks every row)', measure(() => processStep(service, step, data, {}, ctx))],
    [`post one row (row ${Math.ceil(ROWS / 2)}: parse, store, validate)`, measure(() => processRow(service, group, Math.ceil(ROWS / 2) - 1, data, { [`tiere.${Math.ceil(ROWS / 2) - 1}.name`]: 'Neu', [`tiere.${Math.ceil(ROWS / 2) - 1}.art`]: 'hund', [`tiere.${Math.ceil(ROWS / 2) - 1}.geburtsdatum.day`]: '1', [`tiere.${Math.ceil(ROWS / 2) - 1}.geburtsdatum.month`]: '2', [`tiere.${Math.ceil(ROWS / 2) - 1}.geburtsdatum.year`]: '2021' }, ctx))],
  ];
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
