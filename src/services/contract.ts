/**
 * The contract between the engine and a service's shared domain logic (services/<id>/logic.ts).
 * The lead Land writes it once; every Land runs it with its own parameters in `ctx`.
 */
import type { LocalText } from '../core/local-text.js';

export type { LocalText };

export interface Issue {
  /** JSON Pointer of the field the applicant must correct. */
  pointer: string;
  /** Stable code, e.g. "EFA_RULE_MINDESTALTER". */
  code: string;
  message: LocalText;
}

export interface LogicContext<Params = Record<string, unknown>> {
  /**
   * The parameter values in force on `today` for the responsible place: its municipality's or
   * Kreis' local values (longest ARS prefix), else its Land's, else the service's defaults. Before
   * the answers name the place (region() fails), the portal's Land's values.
   */
  params: Params;
  /**
   * One parameter as in force on another day, for the same place: a fee over a period is split at
   * the day a new value starts (`ctx.param('satzCent', { on: '2027-01-01' })`). Without `on`, today's.
   */
  param<K extends keyof Params>(name: K, opts?: { on?: string }): Params[K];
  /**
   * The id of the portal's tenant the applicant uses (e.g. "sh"): the door, which decides look,
   * texts and offer, never the rules. Rules that differ by Land read `land` or parameters.
   */
  tenant: string;
  /** The 2-digit Land code of the place whose rules apply (the portal's Land until the place is known). */
  land: string;
  /** The 12-digit ARS of the responsible place, once region() can tell it. */
  place?: string;
  /** Today's date (YYYY-MM-DD, Europe/Berlin): rules about dates must not read the clock themselves. */
  today: string;
  /**
   * Calendar arithmetic on ISO dates. It comes with the context, not as an import, because service
   * logic imports nothing from the engine at run time: a service folder then loads from any
   * EFA_ROOT, compiled or not (type imports are erased and cost nothing).
   */
  dates: DateHelpers;
}

export interface DateHelpers {
  /** Full years from `from` to `to` (an age on a given day). */
  fullYearsBetween(from: string, to: string): number;
  /**
   * Days from `from` to `to`: `to` minus `from`, positive when `to` is later, negative when it is
   * earlier, 0 on the same day (a period from the 1st to the 3rd inclusive is daysBetween + 1 = 3 days).
   */
  daysBetween(from: string, to: string): number;
}

export interface Money {
  cents: number;
  currency: 'EUR';
  /**
   * How the amount is made up, when the check page should show it: e.g. one line per rate when a
   * period spans a change of rate. The lines' cents should add up to `cents`.
   */
  lines?: FeeLine[];
}

export interface FeeLine {
  label: LocalText;
  cents: number;
}

export interface ServiceLogic<Data, Params = Record<string, unknown>, Derived = Record<string, unknown>> {
  /** Cross-field rules; only issues whose fields are answered are reported, so steps can run them early. */
  rules(data: Partial<Data>, ctx: LogicContext<Params>): Issue[];
  /** Values computed from the answers, delivered with them to the authority. */
  derive(data: Data, ctx: LogicContext<Params>): Derived;
  fee(data: Data, ctx: LogicContext<Params>): Money;
  /** The 12-digit ARS whose authority is responsible. */
  region(data: Data): string;
  /**
   * The default message of each rule code the rules can report. Declared codes can be overridden
   * per Land (text key `service.<id>.rule.<CODE>`); an issue with an undeclared code shows its own message.
   */
  messages?: Readonly<Record<string, LocalText>>;
  /**
   * Optional facts for the start page, before any answer: the fee and a Land's notice. `fee` when
   * it is the same for everyone; `feeFrom` when answers can raise it (shown as "ab …" with the
   * note that the check page shows the exact amount).
   */
  overview?(ctx: LogicContext<Params>): { fee?: Money; feeFrom?: Money; notice?: LocalText };
}
