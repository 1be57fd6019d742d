/**
 * The open usage figures of a Land (src/figures/): a page with a bar chart (server-rendered SVG,
 * no script, no style attribute) and the same figures as tables, and the figures as JSON and CSV,
 * per Land (/<land>/statistik/figures.json|csv) and for all Länder (/_efa/figures.json|csv).
 * Public and anonymous: no cookie is needed or set beyond the language choice every page has.
 */
import type { FastifyReply } from 'fastify';
import { invalidFilter, figuresCsv, FiguresReader, SURVEY_SCORES, type FigureCell, type FigureFilter, type PublishedFigures } from '../../figures/figures.js';
import type { Count } from '../../figures/suppress.js';
import { t, type Lang } from '../../forms/text.js';
import { errorBody } from '../schemas.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { number, serviceTitle, type PageEnv, type PageView } from './view.js';
import { FIGURE_TEXTS, type FigureTexts } from './figures-texts.js';

/** The route schemas of /_efa/figures.json and .csv (the OpenAPI description; the handler checks the filter's form). */
const count = { type: ['integer', 'null'], description: 'null: suppressed (from 1 to minCount - 1, or to protect another hidden count)' } as const;
const filterQuery = {
  type: 'object',
  properties: {
    land: { type: 'string', maxLength: 64, description: 'a Land (tenant) id' },
    service: { type: 'string', maxLength: 64, description: 'a service id' },
    month: { type: 'string', maxLength: 7, description: 'YYYY-MM' },
  },
} as const;
const cell = {
  type: 'object',
  properties: {
    month: { type: 'string' }, land: { type: 'string' }, service: { type: 'string' },
    started: count, submitted: count,
    medianMinutes: { type: ['object', 'null'], properties: { from: { type: 'integer' }, to: { type: ['integer', 'null'] } } },
    abandoned: count,
    abandonedByStep: { type: 'array', items: { type: 'object', properties: { step: { type: 'string' }, count } } },
    paid: count, paymentShare: { type: ['number', 'null'] },
    surveyAnswers: count,
    surveyByScore: { type: 'object', properties: { 1: count, 2: count, 3: count, 4: count, 5: count } },
  },
} as const;

export const FIGURES_SCHEMAS = {
  json: {
    tags: ['open figures'], summary: 'Anonymous usage figures per month, Land and service, small counts suppressed (docs/figures.md)', querystring: filterQuery,
    response: { 200: { type: 'object', properties: { minCount: { type: 'integer' }, cells: { type: 'array', items: cell } } }, 400: { description: 'a malformed filter', ...errorBody } },
  },
  csv: {
    tags: ['open figures'], summary: 'The same figures as CSV: month,land,service,figure,key,value; a suppressed value is "<minCount"', querystring: filterQuery, produces: ['text/csv'],
    response: { 200: { description: 'CSV (RFC 4180)', type: 'string' }, 400: { description: 'a malformed filter', ...errorBody } },
  },
};

export const FIGURES_SEGMENT = 'statistik';
const CHART = { width: 640, label: 120, bar: 14, gap: 4, group: 44, value: 64 };
/** Fill colours of the two bars (SVG attributes, no CSS needed): both above 4.5:1 on white. */
const FILL = { started: '#5c6b7f', submitted: '#1d4f91' };

function filterOf(query: Record<string, string> | undefined, land?: string): FigureFilter {
  const pick = (name: string) => (typeof query?.[name] === 'string' && query[name] !== '' ? query[name] : undefined);
  return { land: land ?? pick('land'), service: pick('service'), month: pick('month') };
}

export function registerFigures(pages: ApplicantPages): void {
  const { app, rt } = pages;
  const reader = new FiguresReader(rt.db, { minCount: rt.config.figures.minCount, currentMonth: rt.config.figures.currentMonth });
  const sendData = async (reply: FastifyReply, filter: FigureFilter, format: 'json' | 'csv') => {
    const bad = invalidFilter(filter);
    if (bad) return reply.code(400).type('application/json; charset=utf-8').send({ error: 'EFA_FIGURES_FILTER', message: `invalid filter "${bad}": land and service are ids, month is YYYY-MM` });
    const figures = await reader.read(filter);
    void reply.header('cache-control', 'public, max-age=600').header('access-control-allow-origin', '*');
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="figures.csv"').send(figuresCsv(figures));
    return reply.type('application/json; charset=utf-8').send(figures);
  };
  for (const format of ['json', 'csv'] as const) {
    app.get<RouteTypes>(`/_efa/figures.${format}`, { schema: FIGURES_SCHEMAS[format] }, async (req: Req, reply) => sendData(reply, filterOf(req.query), format));
    app.get<RouteTypes>(`/:tenant/${FIGURES_SEGMENT}/figures.${format}`, async (req: Req, reply) => {
      const p = pages.page(req, reply);
      if (!p) return pages.notFound(reply, p);
      return sendData(reply, filterOf(req.query, p.tenant.id), format);
    });
  }
  app.get<RouteTypes>(`/:tenant/${FIGURES_SEGMENT}`, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const filter = filterOf(req.query, p.tenant.id);
    if (invalidFilter(filter)) return pages.notFound(reply, p);
    return pages.send(reply, p, figuresView(p, await reader.read(filter)));
  });
}

export function figuresView(p: PageEnv, figures: PublishedFigures): PageView {
  const texts = FIGURE_TEXTS[p.lang];
  const hidden = texts.suppressed.replace('{k}', String(figures.minCount));
  const show = (n: Count) => (n === null ? hidden : number(n, p.lang));
  const services = [...new Set(figures.cells.map((c) => c.service))].map((id) => {
    const cells = figures.cells.filter((c) => c.service === id);
    const title = p.tenant.serviceTexts.has(id) ? serviceTitle(p, id) : id;
    return {
      id, title,
      chart: chartOf(p, texts, `chart-${id}`, title, cells, show),
      rows: cells.map((c) => rowOf(p, texts, c, show)),
    };
  });
  const base = `${p.base}/${FIGURES_SEGMENT}`;
  return {
    template: 'figures', title: texts.title, status: 200,
    context: {
      texts, services, suppressedNote: texts.suppressedNote.replace(/\{k\}/g, String(figures.minCount)),
      jsonHref: `${base}/figures.json`, csvHref: `${base}/figures.csv`,
    },
  };
}

function monthLabel(month: string, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
}

function stepLabel(p: PageEnv, texts: FigureTexts, service: string, step: string): string {
  if (step === '') return texts.beforeFirstStep;
  if (step === 'pruefen') return texts.checkPage;
  const found = p.tenant.forms.get(service)?.steps.find((s) => s.id === step);
  return found ? t(found.title, p.lang) : step;
}

function rowOf(p: PageEnv, texts: FigureTexts, c: FigureCell, show: (n: Count) => string) {
  const median = c.medianMinutes ? (c.medianMinutes.to === null ? texts.minutesOver.replace('{from}', number(c.medianMinutes.from, p.lang)) : texts.minutesRange.replace('{from}', number(c.medianMinutes.from, p.lang)).replace('{to}', number(c.medianMinutes.to, p.lang))) : c.submitted === 0 ? '–' : show(null);
  return {
    month: monthLabel(c.month, p.lang), started: show(c.started), submitted: show(c.submitted), median,
    abandoned: show(c.abandoned),
    abandonedByStep: c.abandonedByStep.map((s) => ({ step: stepLabel(p, texts, c.service, s.step), count: show(s.count) })),
    paid: show(c.paid), paymentShare: c.paymentShare === null ? show(null) : `${number(Math.round(c.paymentShare * 100), p.lang)} %`,
    surveyAnswers: show(c.surveyAnswers),
    surveyByScore: SURVEY_SCORES.map((score) => ({ score, label: texts.scores[score], count: show(c.surveyByScore[score]) })),
  };
}

/** Two bars per month (started, submitted), newest first as in the table; a suppressed count has no bar. */
function chartOf(p: PageEnv, texts: FigureTexts, id: string, title: string, cells: FigureCell[], show: (n: Count) => string) {
  const max = Math.max(1, ...cells.flatMap((c) => [c.started ?? 0, c.submitted ?? 0]));
  const room = CHART.width - CHART.label - CHART.value;
  const groups = cells.map((c, i) => {
    const y = i * CHART.group;
    const bar = (n: Count, row: number, fill: string) => ({ y: y + row * (CHART.bar + CHART.gap), width: n === null ? 0 : Math.round((n / max) * room), fill, value: show(n), textX: CHART.label + (n === null ? 0 : Math.round((n / max) * room)) + 6, textY: y + row * (CHART.bar + CHART.gap) + CHART.bar - 3 });
    return { label: monthLabel(c.month, p.lang), labelY: y + CHART.bar + 2, bars: [bar(c.started, 0, FILL.started), bar(c.submitted, 1, FILL.submitted)] };
  });
  return {
    id, width: CHART.width, height: Math.max(CHART.group, cells.length * CHART.group), x: CHART.label, groups,
    title: texts.chartTitle.replace('{service}', title), desc: texts.chartDesc,
    legend: [{ label: texts.started, fill: FILL.started }, { label: texts.submitted, fill: FILL.submitted }],
  };
}
