import { DeclarationError, DeclarationErrors } from './errors.js';

/**
 * Collects the problems of independent declarations (one service, one form, one tenant) so that
 * `efa check` lists every one at once. Startup passes none: the first problem stops it, with the
 * same message. A unit that failed is left out of what follows, and so are the references to a
 * broken service (`broken`), which would only repeat its problem.
 */
export class DeclarationProblems {
  readonly list: DeclarationError[] = [];
  /** Ids of services whose own files (service, schema, logic, form) failed to load. */
  readonly broken = new Set<string>();

  add(err: unknown): void {
    if (err instanceof DeclarationErrors) this.list.push(...err.problems);
    else if (err instanceof DeclarationError) this.list.push(err);
    else throw err;
  }

  /** Runs one unit; its declaration problems are kept and undefined returned, anything else is a bug and thrown. */
  attempt<T>(unit: () => T): T | undefined {
    try {
      return unit();
    } catch (err) {
      this.add(err);
      return undefined;
    }
  }

  async attemptAsync<T>(unit: () => Promise<T>): Promise<T | undefined> {
    try {
      return await unit();
    } catch (err) {
      this.add(err);
      return undefined;
    }
  }
}

/** Reports a problem: thrown without a collector (startup), kept with one (`efa check`). */
export function report(problems: DeclarationProblems | undefined, err: DeclarationError): void {
  if (!problems) throw err;
  problems.add(err);
}
