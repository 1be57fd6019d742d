import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

export interface Place {
  /** 12-digit Amtlicher Regionalschlüssel. */
  ars: string;
  name: string;
}

const SOURCES = ['gemeindeverzeichnis.csv', 'plz-ags.csv'] as const;
/** The compact index next to the CSVs (npm run gen:places): startup reads it instead of parsing 29,000 CSV rows. */
export const PLACES_INDEX_FILE = 'places.index.json';

/** The index file: the municipalities once, postal codes as positions into that list. */
interface PlacesIndexFile {
  /** sha256 of each CSV it was made from: a changed CSV makes the index stale, never silently wrong. */
  sources: Record<string, string>;
  municipalities: Array<[ars: string, name: string]>;
  postalCodes: Record<string, number[]>;
}

/**
 * Postal code -> municipalities (with ARS), from the official municipality list and an OSM-derived
 * PLZ table (routing/reference/). One PLZ can span several municipalities: the applicant then picks.
 */
export class PlaceIndex {
  private constructor(private readonly byPlz: Map<string, Place[]>, readonly municipalities: Map<string, Place>) {}

  /** From the prebuilt index when it matches the CSVs (a few ms), otherwise from the CSVs themselves. */
  static load(root: string): PlaceIndex {
    const dir = join(root, 'routing', 'reference');
    const csv = readSources(dir);
    const index = readIndex(dir);
    if (index && isCurrent(index, csv)) return PlaceIndex.fromIndex(index);
    console.warn(`efa: ${join(dir, PLACES_INDEX_FILE)} is missing or older than the CSVs beside it: reading the CSVs instead (about a second; npm run gen:places writes the index)`);
    return PlaceIndex.fromCsv(csv);
  }

  /** Whether routing/reference/places.index.json exists and was made from the CSVs as they are now. */
  static indexIsCurrent(root: string): boolean {
    const dir = join(root, 'routing', 'reference');
    const index = readIndex(dir);
    return index !== undefined && isCurrent(index, readSources(dir));
  }

  /** The index file's text for the CSVs under root (what `efa gen-places` writes). */
  static buildIndexText(root: string): string {
    const csv = readSources(join(root, 'routing', 'reference'));
    const places = PlaceIndex.fromCsv(csv);
    const position = new Map([...places.municipalities.keys()].map((ars, i) => [ars, i]));
    const file: PlacesIndexFile = {
      sources: Object.fromEntries(SOURCES.map((name) => [name, sha256(csv[name])])),
      municipalities: [...places.municipalities.values()].map((p) => [p.ars, p.name]),
      postalCodes: Object.fromEntries([...places.byPlz].map(([plz, list]) => [plz, list.map((p) => position.get(p.ars) as number)])),
    };
    // One entry per line, so that a new Gebietsstand gives a readable diff.
    const lines = (entries: string[]) => entries.map((e) => `    ${e}`).join(',\n');
    return `{\n  "sources": ${JSON.stringify(file.sources)},\n  "municipalities": [\n${lines(file.municipalities.map((m) => JSON.stringify(m)))}\n  ],\n  "postalCodes": {\n${lines(Object.entries(file.postalCodes).map(([plz, list]) => `${JSON.stringify(plz)}: ${JSON.stringify(list)}`))}\n  }\n}\n`;
  }

  private static fromIndex(index: PlacesIndexFile): PlaceIndex {
    const list = index.municipalities.map(([ars, name]) => ({ ars, name }));
    const municipalities = new Map(list.map((p) => [p.ars, p]));
    const byPlz = new Map(Object.entries(index.postalCodes).map(([plz, positions]) => [plz, positions.map((i) => list[i] as Place)]));
    return new PlaceIndex(byPlz, municipalities);
  }

  private static fromCsv(csv: Record<(typeof SOURCES)[number], Buffer>): PlaceIndex {
    return PlaceIndex.build(csvRows(csv['gemeindeverzeichnis.csv']), csvRows(csv['plz-ags.csv']));
  }

  private static build(rows: Array<Record<string, string>>, plzRows: Array<Record<string, string>>): PlaceIndex {
    const municipalities = new Map<string, Place>();
    const arsByAgs = new Map<string, string>();
    for (const r of rows) {
      if (r.satzart !== '60') continue;
      const ars = `${r.land}${r.rb}${r.kreis}${r.vb}${r.gemeinde}`;
      const ags = `${r.land}${r.rb}${r.kreis}${r.gemeinde}`;
      municipalities.set(ars, { ars, name: r.gemeindename ?? ars });
      arsByAgs.set(ags, ars);
    }
    const byPlz = new Map<string, Place[]>();
    for (const r of plzRows) {
      const ars = arsByAgs.get(r.ags ?? '');
      if (!ars || !r.plz) continue;
      const list = byPlz.get(r.plz) ?? [];
      if (!list.some((p) => p.ars === ars)) list.push(municipalities.get(ars) as Place);
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

function readSources(dir: string): Record<(typeof SOURCES)[number], Buffer> {
  return Object.fromEntries(SOURCES.map((name) => [name, readFileSync(join(dir, name))])) as Record<(typeof SOURCES)[number], Buffer>;
}

function readIndex(dir: string): PlacesIndexFile | undefined {
  const file = join(dir, PLACES_INDEX_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PlacesIndexFile;
  } catch {
    return undefined;
  }
}

function isCurrent(index: PlacesIndexFile, csv: Record<string, Buffer>): boolean {
  return SOURCES.every((name) => index.sources?.[name] === sha256(csv[name] as Buffer));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function csvRows(input: Buffer): Array<Record<string, string>> {
  return parse(input, { columns: true, bom: true, skip_empty_lines: true }) as Array<Record<string, string>>;
}

function normalise(s: string): string {
  return s.toLocaleLowerCase('de-DE').replace(/\s+/g, ' ').trim();
}
