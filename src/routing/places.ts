import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

export interface Place {
  /** 12-digit Amtlicher Regionalschlüssel. */
  ars: string;
  name: string;
}

/**
 * Postal code -> municipalities (with ARS), from the official municipality list and an OSM-derived
 * PLZ table (routing/reference/). One PLZ can span several municipalities: the applicant then picks.
 */
export class PlaceIndex {
  private constructor(private readonly byPlz: Map<string, Place[]>, readonly municipalities: Map<string, Place>) {}

  static load(root: string): PlaceIndex {
    const dir = join(root, 'routing', 'reference');
    const municipalities = new Map<string, Place>();
    const arsByAgs = new Map<string, string>();
    const rows = parse(readFileSync(join(dir, 'gemeindeverzeichnis.csv')), { columns: true, bom: true, skip_empty_lines: true }) as Array<Record<string, string>>;
    for (const r of rows) {
      if (r.satzart !== '60') continue;
      const ars = `${r.land}${r.rb}${r.kreis}${r.vb}${r.gemeinde}`;
      const ags = `${r.land}${r.rb}${r.kreis}${r.gemeinde}`;
      municipalities.set(ars, { ars, name: r.gemeindename ?? ars });
      arsByAgs.set(ags, ars);
    }
    const byPlz = new Map<string, Place[]>();
    const plzRows = parse(readFileSync(join(dir, 'plz-ags.csv')), { columns: true, bom: true, skip_empty_lines: true }) as Array<Record<string, string>>;
    for (const r of plzRows) {
      const ars = arsByAgs.get(r.ags ?? '');
      if (!ars || !r.plz) continue;
      const list = byPlz.get(r.plz) ?? [];
      if (!list.some((p) => p.ars === ars)) list.push({ ars, name: municipalities.get(ars)?.name ?? r.ort ?? ars });
      byPlz.set(r.plz, list);
    }
    return new PlaceIndex(byPlz, municipalities);
  }

  byPostalCode(plz: string): Place[] {
    return this.byPlz.get(plz) ?? [];
  }

  /** Candidates for a PLZ, narrowed by the place name the applicant typed when that decides it. */
  resolve(plz: string, ort: string): Place[] {
    const all = this.byPostalCode(plz);
    if (all.length <= 1) return all;
    const wanted = normalise(ort);
    const named = all.filter((p) => normalise(p.name.split(',')[0] ?? p.name) === wanted);
    return named.length > 0 ? named : all;
  }
}

function normalise(s: string): string {
  return s.toLocaleLowerCase('de-DE').replace(/\s+/g, ' ').trim();
}
