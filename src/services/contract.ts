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
  /** The tenant's (Land's) parameter values, defaults filled in, validated against service.json. */
  params: Params;
  tenant: string;
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
  /** Days from `from` to `to`; negative when `to` is earlier. */
  daysBetween(from: string, to: string): number;
}

export interface Money {
  cents: number;
  currency: 'EUR';
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
