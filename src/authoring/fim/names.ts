/** Names made from FIM labels: property names, service and step ids, JSON Pointers. */

const TRANSLIT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ß: 'ss' };

function words(label: string): string[] {
  const ascii = label.replace(/[äöüÄÖÜß]/g, (c) => TRANSLIT[c] ?? c).normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

/** "Natürliche Person" → "natuerlichePerson": a property name as the shipped services write them. */
export function propertyName(label: string): string {
  const parts = words(label).slice(0, 5);
  let name = parts.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
  if (!name) name = 'feld';
  if (/^[0-9]/.test(name)) name = `f${name}`;
  return name.slice(0, 40);
}

/** "Natürliche Person" → "natuerliche-person": a service or step id. */
export function slug(label: string, max = 40): string {
  let id = words(label).map((w) => w.toLowerCase()).join('-').slice(0, max).replace(/-+$/, '');
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
