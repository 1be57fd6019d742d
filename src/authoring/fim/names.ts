/** Names made from FIM labels: property names, service and step ids, JSON Pointers. */

const TRANSLIT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ß: 'ss' };

/** The ASCII words of a text, lower case: for file names. */
export function slugWords(text: string): string[] {
  return words(text).map((w) => w.toLowerCase());
}

function words(label: string): string[] {
  const ascii = label.replace(/[äöüÄÖÜß]/g, (c) => TRANSLIT[c] ?? c).normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

/** Property names and ids stay readable: at most this long, cut between words (they reach the authority's data). */
export const NAME_MAX = 63;

/** The words that fit into `max` characters once joined, cut between words (a first word longer than that is cut itself). */
function fitting(parts: string[], max: number, sep: number): string[] {
  const out: string[] = [];
  let length = 0;
  for (const w of parts) {
    const next = length + (out.length > 0 ? sep : 0) + w.length;
    if (next > max) break;
    out.push(w);
    length = next;
  }
  return out.length > 0 ? out : parts.slice(0, 1).map((w) => w.slice(0, max));
}

/** "Natürliche Person" → "natuerlichePerson": a property name as the shipped services write them. */
export function propertyName(label: string): string {
  const parts = fitting(words(label), NAME_MAX - 4, 0);
  let name = parts.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
  if (!name) name = 'feld';
  if (/^[0-9]/.test(name)) name = `f${name}`;
  return name;
}

/** "Natürliche Person" → "natuerliche-person": a service or step id. */
export function slug(label: string, max = 40): string {
  let id = fitting(words(label).map((w) => w.toLowerCase()), max, 1).join('-').replace(/-+$/, '');
  if (!/^[a-z]/.test(id)) id = `s-${id}`.replace(/-+$/, '');
  return id.length >= 2 ? id : 'fim-import';
}

/** `name`, or `name2`, `name3`, … whichever is not taken yet (and takes it). */
export function unique(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let i = 2; taken.has(candidate); i++) candidate = `${name}${i}`;
  taken.add(candidate);
  return candidate;
}

export const pointerOf = (parent: string, key: string) => `${parent}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
