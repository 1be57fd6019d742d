import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { JWK } from 'jose';
import { EfaError } from '../core/errors.js';
import type { RoutingDocument, SourceDirectoryEntry } from '../routing/document.js';
import type { Authority, ResponsibilityRule } from '../routing/types.js';

/** The LeiKa key of the one real service we ship; the others in a generated dataset are synthetic. */
export const GEWERBEANMELDUNG = '99050012104000';

/**
 * The demo identities whose published key pairs the generated authorities share: the local demo
 * receiver holds their private halves, so a generated dataset can really be delivered in the demo
 * and the tests.
 * Eleven thousand RSA-4096 keys would take hours to make and prove nothing more.
 */
export const SHARED_DEMO_IDENTITIES = ['gewerbeamt-kiel', 'kreis-segeberg', 'land-sh', 'stadt-koeln', 'rhein-sieg-kreis', 'land-nw', 'kvr-muenchen', 'landkreis-muenchen', 'land-by'] as const;

/**
 * FIT-Connect signs its event tokens with PS512 (RSA), the identities above sign with Ed25519: the
 * generated FIT-Connect destinations share the demo FIT-Connect destination's keys instead.
 */
export const FIT_CONNECT_DEMO_IDENTITY = 'hansestadt-luebeck';

/** Which administrative level handles a service: real services differ (Gewerbe: Gemeinde; Führerschein: Kreis). */
export type ServiceLevel = 'gemeinde' | 'kreis' | 'land';

export interface NationwideOptions {
  /** Destatis Gemeindeverzeichnis (routing/reference/gemeindeverzeichnis.csv). */
  referenceFile: string;
  /** routing/ folder with keys/<identity>.{enc,sig}.json of SHARED_DEMO_IDENTITIES. */
  routingDir: string;
  /** LeiKa keys; see serviceKeys(). */
  services: string[];
  /** Municipalities with fewer inhabitants are served by their Kreis (as many small ones are). */
  minPopulation: number;
}

export interface NationwideStats {
  municipalities: number;
  ownAuthority: number;
  servedByKreis: number;
  levels: Record<ServiceLevel, number>;
  transports: Record<string, number>;
}

/** `count` LeiKa keys: the Gewerbeanmeldung, then synthetic 99000000000001, 99000000000002, … */
export function serviceKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? GEWERBEANMELDUNG : `9900000000${String(i).padStart(4, '0')}`));
}

/** Two of five services at Gemeinde level, two at Kreis level, one at Land level. */
export function levelOf(serviceIndex: number): ServiceLevel {
  return (['gemeinde', 'kreis', 'gemeinde', 'kreis', 'land'] as const)[serviceIndex % 5] as ServiceLevel;
}

interface Row { satzart: string; textkennzeichen: string; land: string; rb: string; kreis: string; vb: string; gemeinde: string; gemeindename: string; bevoelkerung: string }

/**
 * A realistic nationwide routing dataset from the official municipality list: every Land and every
 * Kreis (including kreisfreie Städte) is an authority, and so is every municipality of at least
 * `minPopulation` inhabitants; smaller municipalities are served by their Kreis. Each service is
 * handled at one level; a "*" rule per Land catches services the data does not name. Transports
 * are mixed (webhook, XTA, OSCI, FIT-Connect), deterministically by authority id.
 */
export function generateNationwide(opts: NationwideOptions): { document: RoutingDocument; stats: NationwideStats } {
  const rows = parse(readFileSync(opts.referenceFile), { columns: true, bom: true, skip_empty_lines: true }) as Row[];
  const keys = sharedKeys(opts.routingDir);
  const authorities: Authority[] = [];
  const directory: SourceDirectoryEntry[] = [];
  const stats: NationwideStats = { municipalities: 0, ownAuthority: 0, servedByKreis: 0, levels: { gemeinde: 0, kreis: 0, land: 0 }, transports: {} };
  const addAuthority = (id: string, name: string, transport?: string) => {
    authorities.push({ id, name: `${name} (generiert)`, contact: { email: `poststelle@${id}.example` } });
    const entry = directoryEntry(id, transport ?? transportOf(id));
    stats.transports[entry.transport] = (stats.transports[entry.transport] ?? 0) + 1;
    directory.push(entry);
  };

  const lands: string[] = [];
  const kreise: string[] = [];
  const towns: string[] = [];
  for (const r of rows) {
    if (r.satzart === '10') { lands.push(r.land); addAuthority(`land-${r.land}`, `Landesverwaltung ${r.gemeindename}`, 'webhook'); }
    if (r.satzart === '40') { const ars5 = `${r.land}${r.rb}${r.kreis}`; kreise.push(ars5); addAuthority(`kreis-${ars5}`, kreisName(r)); }
    if (r.satzart !== '60') continue;
    stats.municipalities++;
    const kreisfrei = r.textkennzeichen === '61' || r.textkennzeichen === '62';
    if (kreisfrei || population(r) < opts.minPopulation) { stats.servedByKreis++; continue; }
    const ars = `${r.land}${r.rb}${r.kreis}${r.vb}${r.gemeinde}`;
    towns.push(ars);
    stats.ownAuthority++;
    addAuthority(`gemeinde-${ars}`, `${/^6[37]$/.test(r.textkennzeichen) ? 'Stadtverwaltung' : 'Gemeindeverwaltung'} ${shortName(r.gemeindename)}`);
  }
  if (lands.length !== 16 || kreise.length === 0) throw new EfaError('EFA_REFERENCE_INVALID', `${opts.referenceFile} does not look like the Gemeindeverzeichnis: ${lands.length} Länder, ${kreise.length} Kreise`);

  const responsibilities: ResponsibilityRule[] = lands.map((land) => ({ leikaKey: '*', arsPrefix: land, authorityId: `land-${land}` }));
  opts.services.forEach((leikaKey, i) => {
    const level = levelOf(i);
    stats.levels[level]++;
    if (level === 'land') for (const land of lands) responsibilities.push({ leikaKey, arsPrefix: land, authorityId: `land-${land}` });
    if (level === 'gemeinde') for (const ars of towns) responsibilities.push({ leikaKey, arsPrefix: ars, authorityId: `gemeinde-${ars}` });
    // Gemeinde-level services fall back to the Kreis for the municipalities without their own office.
    if (level !== 'land') for (const ars5 of kreise) responsibilities.push({ leikaKey, arsPrefix: ars5, authorityId: `kreis-${ars5}` });
  });
  return { document: { authorities, responsibilities, directory, keys }, stats };
}

function directoryEntry(id: string, transport: string): SourceDirectoryEntry {
  const identity = transport === 'fit-connect' ? FIT_CONNECT_DEMO_IDENTITY : SHARED_DEMO_IDENTITIES[fnv1a(`key:${id}`) % SHARED_DEMO_IDENTITIES.length] as string;
  const base = { authorityId: id, serviceKey: '*', transport, encryptionKey: `keys/${identity}.enc.json`, verificationKey: `keys/${identity}.sig.json` };
  // Addresses name the demo identity whose keys the entry shares: that is who the demo receiver decrypts as.
  if (transport === 'xta') return { ...base, address: `\${EFA_DEMO_RECEIVER_URL}/xta/${identity}`, payloadFormat: 'xml', identifiers: { readerId: `${id}:gewerbe` } };
  if (transport === 'osci') return { ...base, address: `\${EFA_DEMO_RECEIVER_URL}/osci/${identity}`, identifiers: { readerId: `${id}:gewerbe` } };
  if (transport === 'fit-connect') return { ...base, address: '${EFA_DEMO_RECEIVER_URL}/fit-connect', identifiers: { destinationId: identity }, options: { clientId: 'efa-runtime', clientSecretEnv: 'EFA_DEMO_FIT_CONNECT_SECRET' } };
  return { ...base, address: `\${EFA_DEMO_RECEIVER_URL}/webhook/${identity}` };
}

/** 40 % webhook, 25 % XTA, 15 % OSCI, 20 % FIT-Connect; stable for an id across runs. */
function transportOf(id: string): string {
  const h = fnv1a(id) % 20;
  return h < 8 ? 'webhook' : h < 13 ? 'xta' : h < 16 ? 'osci' : 'fit-connect';
}

function sharedKeys(routingDir: string): Record<string, JWK> {
  const keys: Record<string, JWK> = {};
  for (const identity of [...SHARED_DEMO_IDENTITIES, FIT_CONNECT_DEMO_IDENTITY]) {
    for (const kind of ['enc', 'sig']) {
      const ref = `keys/${identity}.${kind}.json`;
      try {
        keys[ref] = JSON.parse(readFileSync(join(routingDir, ref), 'utf8')) as JWK;
      } catch (err) {
        throw new EfaError('EFA_REFERENCE_INVALID', `the generated dataset shares the demo key ${ref}, which cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return keys;
}

function kreisName(r: Row): string {
  const name = shortName(r.gemeindename);
  if (r.textkennzeichen === '41' || r.textkennzeichen === '42') return `Stadtverwaltung ${name}`;
  if (r.textkennzeichen === '44') return `Landratsamt ${name}`;
  if (r.textkennzeichen === '45') return name;
  return `Kreisverwaltung ${name}`;
}

/** "Kiel, Landeshauptstadt" -> "Kiel". */
function shortName(name: string): string {
  return (name.split(',')[0] ?? name).trim();
}

function population(r: Row): number {
  const n = Number((r.bevoelkerung ?? '').replace(/\s/g, ''));
  return Number.isFinite(n) ? n : 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
