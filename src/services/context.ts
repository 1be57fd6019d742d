/**
 * Calendar arithmetic on ISO dates (YYYY-MM-DD) for service logic, handed to it as `ctx.dates`:
 * rules compare answers with `ctx.today`, never with the clock, so these take both dates as strings.
 */
import type { DateHelpers, LogicContext } from './contract.js';

/** Full years from `from` to `to` (an age on a given day). */
export function fullYearsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
  return ty - fy - (tm < fm || (tm === fm && td < fd) ? 1 : 0);
}

/** Days from `from` to `to`: positive when `to` is later, negative when it is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const DATES: DateHelpers = Object.freeze({ fullYearsBetween, daysBetween });

export interface ContextOptions<Params> {
  /** The parameters in force on another day for the same place; without it, `params` on every day. */
  on?: (date: string) => Params;
  /** The Land code whose rules apply; without it, unknown (''). */
  land?: string;
  place?: string;
}

/** The context service logic runs in: the parameters of the responsible place (or a Land's) on a given day. */
export function newLogicContext<Params = Record<string, unknown>>(params: Params, tenant: string, today: string, opts: ContextOptions<Params> = {}): LogicContext<Params> {
  const on = opts.on;
  const param = <K extends keyof Params>(name: K, o?: { on?: string }): Params[K] => (on && o?.on && o.on !== today ? on(o.on) : params)[name];
  return { params, param, tenant, land: opts.land ?? '', place: opts.place, today, dates: DATES };
}
