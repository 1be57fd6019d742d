import type { ResponsibilityRule } from './types.js';

/** The levels of the Amtlicher Regionalschlüssel a responsibility can name, longest first. */
export const ARS_LEVELS: ReadonlyArray<{ digits: number; name: string }> = [
  { digits: 12, name: 'Gemeinde' },
  { digits: 9, name: 'Gemeindeverband' },
  { digits: 5, name: 'Kreis' },
  { digits: 3, name: 'Regierungsbezirk' },
  { digits: 2, name: 'Land' },
];
const LEVEL_DIGITS = new Set(ARS_LEVELS.map((l) => l.digits));

/** Why a string is not an ARS prefix of one of the five levels, or undefined when it is one. */
export function arsPrefixProblem(prefix: string): string | undefined {
  const levels = '2 digits (Land), 3 (Regierungsbezirk), 5 (Kreis), 9 (Gemeindeverband) or 12 (Gemeinde)';
  if (!/^[0-9]+$/.test(prefix)) return `"${prefix}" is not an ARS prefix: digits only, ${levels}`;
  if (!LEVEL_DIGITS.has(prefix.length)) {
    // Spreadsheets turn 010020000000 into 10020000000: name the likely cause.
    const zeroLost = LEVEL_DIGITS.has(prefix.length + 1) && arsPrefixProblem(`0${prefix}`) === undefined;
    return `"${prefix}" has ${prefix.length} digits; an ARS prefix has ${levels}${zeroLost ? ` (a lost leading zero? "0${prefix}" would be valid: format the column as text)` : ''}`;
  }
  const land = Number(prefix.slice(0, 2));
  if (land < 1 || land > 16) return `"${prefix}" starts with Land code ${prefix.slice(0, 2)}; the Länder are 01 to 16`;
  return undefined;
}

/** A prefix as one number: its digits and its length, so "01" and "010" stay apart. */
function code(digits: number, length: number): number {
  return digits * 16 + length;
}

/** The index's maps as they cross a worker boundary (structured clone keeps Maps). */
export interface IndexState {
  byService: Map<string, Map<number, string>>;
  wildcard: Map<number, string>;
  count: number;
}

/**
 * Zuständigkeitsfinder: (LeiKa key, ARS) -> authority id, the longest matching ARS prefix wins
 * (Gemeinde before Verband before Kreis before Regierungsbezirk before Land). A rule for the
 * service itself beats a wildcard rule ("*") of the same length.
 *
 * Lookups parse the ARS once into numbers and probe at most five levels in numeric-keyed maps, so
 * no string is built or hashed per lookup (see bench/routing.ts for what that buys).
 */
export class ResponsibilityIndex {
  private byService = new Map<string, Map<number, string>>();
  private wildcard = new Map<number, string>();
  private count = 0;

  /** An index built elsewhere (a worker thread), taken over as it is. */
  static fromState(state: IndexState): ResponsibilityIndex {
    const index = new ResponsibilityIndex([]);
    index.byService = state.byService;
    index.wildcard = state.wildcard;
    index.count = state.count;
    return index;
  }

  state(): IndexState {
    return { byService: this.byService, wildcard: this.wildcard, count: this.count };
  }

  constructor(rules: Iterable<ResponsibilityRule>) {
    for (const rule of rules) {
      const target = rule.leikaKey === '*' ? this.wildcard : this.serviceMap(rule.leikaKey);
      const key = code(Number(rule.arsPrefix), rule.arsPrefix.length);
      if (!target.has(key)) this.count++;
      target.set(key, rule.authorityId);
    }
  }

  private serviceMap(leikaKey: string): Map<number, string> {
    let map = this.byService.get(leikaKey);
    if (!map) this.byService.set(leikaKey, (map = new Map()));
    return map;
  }

  resolve(leikaKey: string, ars: string): string | undefined {
    const service = this.byService.get(leikaKey);
    const length = ars.length < 12 ? ars.length : 12;
    // Prefix values at the level boundaries (2, 3, 5, 9, 12 digits), computed in one pass.
    let value = 0;
    let p2 = -1, p3 = -1, p5 = -1, p9 = -1, p12 = -1;
    for (let i = 0; i < length; i++) {
      const d = ars.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return undefined;
      value = value * 10 + d;
      if (i === 1) p2 = value;
      else if (i === 2) p3 = value;
      else if (i === 4) p5 = value;
      else if (i === 8) p9 = value;
      else if (i === 11) p12 = value;
    }
    return this.probe(service, p12, 12) ?? this.probe(service, p9, 9) ?? this.probe(service, p5, 5) ?? this.probe(service, p3, 3) ?? this.probe(service, p2, 2);
  }

  private probe(service: Map<number, string> | undefined, digits: number, length: number): string | undefined {
    if (digits < 0) return undefined;
    const key = code(digits, length);
    return service?.get(key) ?? this.wildcard.get(key);
  }

  /** Number of rules. */
  get size(): number {
    return this.count;
  }
}
