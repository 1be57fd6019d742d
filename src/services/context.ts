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

/** Days from `from` to `to`; negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const DATES: DateHelpers = Object.freeze({ fullYearsBetween, daysBetween });

/** The context service logic runs in: a Land's (or region's) parameters on a given day. */
export function newLogicContext<Params = Record<string, unknown>>(params: Params, tenant: string, today: string): LogicContext<Params> {
  return { params, tenant, today, dates: DATES };
}
