import { EfaError } from '../core/errors.js';

/**
 * One mistake in routing data, located the way its author can find it: a JSON Pointer for JSON,
 * line and column for CSV (spreadsheets show both), and always the file or request it came from.
 */
export interface Problem {
  /** File name, "request body", or "version 7" for data already stored in the database. */
  source: string;
  /** JSON Pointer into the source (JSON input). */
  path?: string;
  /** 1-based line of the CSV record. */
  line?: number;
  /** 1-based CSV column. */
  column?: number;
  /** The CSV column's header. */
  field?: string;
  message: string;
}

export type Location = Omit<Problem, 'message'>;

/** Enough to fix a file in one go without drowning an API response in a million lines. */
export const MAX_PROBLEMS = 100;

export function formatLocation(at: Location): string {
  if (at.line !== undefined) {
    const column = at.column !== undefined ? `, column ${at.column}${at.field ? ` (${at.field})` : ''}` : '';
    return `${at.source}: line ${at.line}${column}`;
  }
  return `${at.source}: ${at.path || '/'}`;
}

export function formatProblem(p: Problem): string {
  return `${formatLocation(p)}: ${p.message}`;
}

/** Routing data that cannot be used; nothing of it was stored or put in force. */
export class RoutingDataError extends EfaError {
  /** `truncated`: checking stopped after MAX_PROBLEMS, so there may be more. */
  constructor(readonly problems: Problem[], readonly truncated = false) {
    const first = problems[0];
    const rest = problems.length - 1;
    const more = truncated ? ` (and more problems; the first ${problems.length} are listed)` : rest > 0 ? ` (and ${rest} more problem${rest === 1 ? '' : 's'})` : '';
    super('EFA_ROUTING_INVALID', `${first ? formatProblem(first) : 'invalid routing data'}${more}`, 422);
  }
}

/** A write based on a version that is no longer the newest (If-Match), so it would undo a change. */
export class RoutingVersionConflictError extends EfaError {
  constructor(readonly expected: number, readonly actual: number) {
    super('EFA_ROUTING_VERSION_CONFLICT', `the routing data is at version ${actual}, not ${expected}: read it again and repeat the change`, 412);
  }
}

/** Collects problems up to MAX_PROBLEMS; callers stop checking once it is full. */
export class ProblemList {
  readonly items: Problem[] = [];
  private truncated = false;

  add(at: Location, message: string): void {
    if (this.items.length < MAX_PROBLEMS) this.items.push({ ...at, message });
    else this.truncated = true;
  }

  get size(): number {
    return this.items.length;
  }

  get full(): boolean {
    return this.items.length >= MAX_PROBLEMS;
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw new RoutingDataError(this.items, this.truncated || this.full);
  }
}
