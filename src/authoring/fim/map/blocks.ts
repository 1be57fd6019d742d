/**
 * FIM building blocks recognised by their fields: a German street address (Straße, Hausnummer,
 * Postleitzahl, Ort, as in G60000086 and the groups derived from it) becomes one `address` field,
 * whose municipality key (ARS) the form finds from postcode and town: region() routes by it.
 */
import { ADDRESS_SCHEMA } from '../../scaffold-templates.js';
import { parseCardinality } from '../cardinality.js';
import type { FimReport } from '../report.js';
import type { FimElement, Json } from '../tree.js';

const PARTS: ReadonlyArray<[string, RegExp]> = [
  ['strasse', /^stra(ss|ß)e$/i],
  ['hausnummer', /^hausnummer$/i],
  ['plz', /^(postleitzahl|plz)$/i],
  ['ort', /^(ort|wohnort)$/i],
];

const optional = (el: FimElement) => {
  try {
    return parseCardinality(el.cardinality).min === 0;
  } catch {
    return false;
  }
};

/** The schema of the group as an `address` field, or null when it is no German street address. */
export function addressBlock(report: FimReport, el: FimElement, pointer: string): Json | null {
  if (el.type !== 'group') return null;
  // Older building blocks split the address into required subgroups (Straßenangaben, Ort).
  const inner = el.children.flatMap((c) => (c.type === 'group' && !optional(c) && c.cardinality.trim() === '1:1' ? c.children : [c]));
  const found = new Map<string, FimElement>();
  for (const [part, label] of PARTS) {
    const field = inner.find((c) => c.type === 'field' && (label.test(c.label.trim()) || label.test(c.name.trim())));
    if (field) found.set(part, field);
  }
  if (found.size !== PARTS.length) return null;
  const rest = inner.filter((c) => ![...found.values()].includes(c));
  // Only optional extras (Adresszusatz, Hausnummerzusatz) may be left out; anything required would be lost.
  if (rest.some((c) => !optional(c))) return null;
  const required = ['strasse', 'plz', 'ort', 'ars', ...(optional(found.get('hausnummer') as FimElement) ? [] : ['hausnummer'])];
  if (rest.length > 0) report.unmapped('Anschrift (Datenfeldgruppe)', el, `asked as one address field (kind "address"); not asked: ${rest.map((c) => `${c.id} „${c.label}“`).join(', ')}`);
  const parts = [...found.values()].map((f) => `${f.id} „${f.label}“`).join(', ');
  report.note({ kind: 'default', where: pointer, text: `${report.where(el)}: a German address (${parts}): one "address" field; postcode and town give the municipality key (ars) that region() routes by` });
  return { ...structuredClone(ADDRESS_SCHEMA), title: el.label, ...(el.hint ? { description: el.hint } : {}), required };
}
