/**
 * The open usage figures as published (JSON, CSV, the chart page): per month, Land and service, from
 * the counters in figure_counts (src/storage/figure-counts.ts), with small counts suppressed
 * (./suppress.ts). Only these cells are published, never a sum over Länder, services or months, so
 * no published total can be taken apart by subtracting other published cells.
 */
import type { Queryable } from '../storage/db.js';
import { berlinMonth, DURATION_BOUNDS_MIN, type FigureKind } from '../storage/figure-counts.js';
import { protectGroup, single, type Count } from './suppress.js';

export interface FigureFilter {
  land?: string;
  service?: string;
  /** YYYY-MM */
  month?: string;
}

export const SURVEY_SCORES = ['1', '2', '3', '4', '5'] as const;

export interface FigureCell {
  month: string;
  land: string;
  service: string;
  started: Count;
  submitted: Count;
  /** The bucket holding the median time from opening the draft to submitting, in minutes (to: null = open-ended). */
  medianMinutes: { from: number; to: number | null } | null;
  abandoned: Count;
  abandonedByStep: Array<{ step: string; count: Count }>;
  paid: Count;
  /** paid / submitted, rounded to two places; null where either is suppressed. */
  paymentShare: number | null;
  surveyAnswers: Count;
  surveyByScore: Record<(typeof SURVEY_SCORES)[number], Count>;
}

export interface PublishedFigures {
  /** Counts from 1 to minCount - 1 are null. */
  minCount: number;
  cells: FigureCell[];
}

export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Whether each filter value has the form of one (the routes answer 400 otherwise). */
export function invalidFilter(f: FigureFilter): keyof FigureFilter | undefined {
  if (f.month !== undefined && !MONTH.test(f.month)) return 'month';
  if (f.land !== undefined && !ID.test(f.land)) return 'land';
  if (f.service !== undefined && !ID.test(f.service)) return 'service';
  return undefined;
}

interface Row { month: string; tenant: string; service_id: string; kind: FigureKind; key: string; n: string | number }

export async function readFigures(db: Queryable, filter: FigureFilter, opts: { minCount: number; currentMonth: boolean }): Promise<PublishedFigures> {
  const { rows } = await db.query<Row>(
    `SELECT to_char(month, 'YYYY-MM') AS month, tenant, service_id, kind, key, sum(n) AS n FROM figure_counts
      WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR service_id = $2) AND ($3::date IS NULL OR month = $3::date)
        AND ($4 OR month < ${berlinMonth('now()')})
      GROUP BY 1, 2, 3, 4, 5
      ORDER BY 1 DESC, 2, 3`,
    // The month as a date: compared with the key's first column, so a month's read is an index range.
    [filter.land ?? null, filter.service ?? null, filter.month ? `${filter.month}-01` : null, opts.currentMonth],
  );
  const byCell = new Map<string, Row[]>();
  for (const row of rows) {
    const id = `${row.month} ${row.tenant} ${row.service_id}`;
    byCell.set(id, [...(byCell.get(id) ?? []), row]);
  }
  return { minCount: opts.minCount, cells: [...byCell.values()].map((cell) => publishCell(cell, opts.minCount)) };
}

/**
 * Anyone may read the figures, as often as the rate limit allows, and a read without a filter sums
 * every counter row of every month. So a read is kept per filter for `keepMs` (the published months
 * are over; only drafts that expire later still add to them) and requests for a filter being read
 * share that read. With the current month published (EFA_FIGURES_CURRENT_MONTH) nothing is kept,
 * only shared. At most `maxKept` filters are kept (the oldest goes first).
 */
export class FiguresReader {
  private readonly kept = new Map<string, { at: number; done: boolean; figures: Promise<PublishedFigures> }>();
  private readonly keepMs: number;

  constructor(private readonly db: Queryable, private readonly opts: { minCount: number; currentMonth: boolean }, keepMs = 600_000, private readonly maxKept = 256) {
    this.keepMs = opts.currentMonth ? 0 : keepMs;
  }

  read(filter: FigureFilter): Promise<PublishedFigures> {
    const key = JSON.stringify([filter.land ?? null, filter.service ?? null, filter.month ?? null]);
    const hit = this.kept.get(key);
    if (hit && (!hit.done || Date.now() - hit.at < this.keepMs)) return hit.figures;
    this.kept.delete(key);
    if (this.kept.size >= this.maxKept) this.kept.delete(this.kept.keys().next().value as string);
    const entry = { at: Date.now(), done: false, figures: readFigures(this.db, filter, this.opts) };
    this.kept.set(key, entry);
    entry.figures.then(() => {
      entry.done = true;
      entry.at = Date.now();
      if (this.keepMs === 0 && this.kept.get(key) === entry) this.kept.delete(key);
    }, () => {
      if (this.kept.get(key) === entry) this.kept.delete(key);
    });
    return entry.figures;
  }
}

function publishCell(rows: Row[], k: number): FigureCell {
  const first = rows[0] as Row;
  const of = (kind: FigureKind) => rows.filter((r) => r.kind === kind).map((r) => ({ key: r.key, n: Number(r.n) }));
  const total = (kind: FigureKind) => of(kind).reduce((acc, r) => acc + r.n, 0);
  const submitted = total('submitted');
  const paid = Math.min(total('paid'), submitted);
  const payment = protectGroup(submitted, [paid, submitted - paid], k);
  const steps = of('abandoned').sort((a, b) => a.key.localeCompare(b.key));
  const abandoned = protectGroup(total('abandoned'), steps.map((s) => s.n), k);
  const scores = SURVEY_SCORES.map((score) => of('survey').find((r) => r.key === score)?.n ?? 0);
  const survey = protectGroup(scores.reduce((a, b) => a + b, 0), scores, k);
  const publishedSubmitted = single(submitted, k);
  const publishedPaid = payment.parts[0] ?? null;
  return {
    month: first.month, land: first.tenant, service: first.service_id,
    started: single(total('started'), k),
    submitted: publishedSubmitted,
    medianMinutes: publishedSubmitted ? medianBucket(of('duration')) : null,
    abandoned: abandoned.total,
    abandonedByStep: steps.map((s, i) => ({ step: s.key, count: abandoned.parts[i] ?? null })),
    paid: publishedPaid,
    paymentShare: publishedSubmitted && publishedPaid !== null ? Math.round((publishedPaid / publishedSubmitted) * 100) / 100 : null,
    surveyAnswers: survey.total,
    surveyByScore: Object.fromEntries(SURVEY_SCORES.map((score, i) => [score, survey.parts[i] ?? null])) as FigureCell['surveyByScore'],
  };
}

/** The bucket in which the middle submission falls (the lower one of two middles). */
function medianBucket(buckets: Array<{ key: string; n: number }>): FigureCell['medianMinutes'] {
  const counts = buckets.map((b) => ({ i: Number(b.key), n: b.n })).filter((b) => Number.isInteger(b.i)).sort((a, b) => a.i - b.i);
  const all = counts.reduce((acc, b) => acc + b.n, 0);
  if (all === 0) return null;
  let seen = 0;
  for (const b of counts) {
    seen += b.n;
    if (seen * 2 >= all) return { from: b.i === 0 ? 0 : (DURATION_BOUNDS_MIN[b.i - 1] as number), to: DURATION_BOUNDS_MIN[b.i] ?? null };
  }
  return null;
}

const CSV_HEADER = 'month,land,service,figure,key,value';

/**
 * One line per published figure (long format, so that a step or score is a row, not a column):
 * `value` is the number, or "<k" where it is suppressed; the median as "from-to" minutes.
 */
export function figuresCsv(figures: PublishedFigures): string {
  const hidden = `<${figures.minCount}`;
  const lines = [CSV_HEADER];
  const line = (c: FigureCell, figure: string, key: string, value: Count | string) => lines.push([c.month, c.land, c.service, figure, key, value === null ? hidden : String(value)].map(csvField).join(','));
  for (const c of figures.cells) {
    line(c, 'started', '', c.started);
    line(c, 'submitted', '', c.submitted);
    line(c, 'median_minutes', '', c.medianMinutes ? `${c.medianMinutes.from}-${c.medianMinutes.to ?? ''}` : c.submitted === 0 ? '' : hidden);
    line(c, 'abandoned', '', c.abandoned);
    for (const s of c.abandonedByStep) line(c, 'abandoned_at_step', s.step, s.count);
    line(c, 'paid', '', c.paid);
    line(c, 'payment_share', '', c.paymentShare === null ? hidden : String(c.paymentShare));
    line(c, 'survey_answers', '', c.surveyAnswers);
    for (const score of SURVEY_SCORES) line(c, 'survey_score', score, c.surveyByScore[score]);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet does not run it as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
