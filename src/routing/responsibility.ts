import type { ResponsibilityRule } from './types.js';

/**
 * Zuständigkeitsfinder: (LeiKa key, ARS) -> authority id, the longest matching ARS prefix wins
 * (municipality before Verband before Kreis before Land). A rule for the service itself beats a
 * wildcard rule ("*") of the same prefix length. Lookups walk at most 12 prefixes in a hash map.
 */
export class ResponsibilityIndex {
  private readonly byKey = new Map<string, string>();

  constructor(rules: Iterable<ResponsibilityRule>) {
    for (const rule of rules) this.byKey.set(`${rule.leikaKey}|${rule.arsPrefix}`, rule.authorityId);
  }

  resolve(leikaKey: string, ars: string): string | undefined {
    for (let len = Math.min(ars.length, 12); len >= 2; len--) {
      const prefix = ars.slice(0, len);
      const hit = this.byKey.get(`${leikaKey}|${prefix}`) ?? this.byKey.get(`*|${prefix}`);
      if (hit) return hit;
    }
    return undefined;
  }

  get size(): number {
    return this.byKey.size;
  }
}
