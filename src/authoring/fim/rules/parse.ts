/**
 * The common shapes of FIM rules, read from their German text (freitextRegel / definition): which
 * element decides, with which values, and what it makes required or shown. A text that fits no
 * shape is left to the author (listed with its text in fim-import.md), never guessed at.
 */

/** An element named in a rule: the FIM id of its last step ("G00000283.G00001373.F00000522" → F00000522). */
export type RuleRef = string;

export type RuleShape =
  /**
   * When one of `sources` passes `test` (has one of `values`: codes, or true for "wahr"/"bejaht";
   * is given; is empty), `targets` are asked; `required`: and must be answered.
   */
  | { type: 'when'; sources: RuleRef[]; test: { values: Array<string | boolean> } | { given: boolean }; targets: RuleRef[]; required: boolean }
  /** A repeated field whose entries must differ ("jeder Eintrag maximal einmal"). */
  | { type: 'unique'; ref: RuleRef }
  /** When `source` is empty (`blank`) or not, `target` must be answered (a check in logic.ts: nothing is hidden). */
  | { type: 'requiredIf'; source: RuleRef; blank: boolean; target: RuleRef }
  /** At least one of `refs` must be answered. */
  | { type: 'atLeastOne'; refs: RuleRef[] }
  /** Exactly one of the groups `refs` is answered: the applicant chooses which. */
  | { type: 'oneOf'; refs: RuleRef[] }
  /** Several deciding fields joined by UND or ODER (each compared, negated by "<>", or given/empty): `targets` are asked. */
  | { type: 'compound'; join: 'and' | 'or'; atoms: Atom[]; targets: RuleRef[]; required: boolean }
  /**
   * "Wenn (aktuelles Datum - F1) < 7 Tage, dann muss F2 befüllt sein": read as "the date F1 is less
   * than `days` days away" (a check in logic.ts); `exclusive`: F2 may not be answered otherwise.
   */
  | { type: 'soon'; source: RuleRef; days: number; target: RuleRef; exclusive: boolean };

/** One comparison in a compound condition. */
export type Atom = { ref: RuleRef; test: { values: Array<string | boolean> } | { given: boolean }; negate: boolean };

const ID = /\b(?:[GF]\d{8,11}\.)*([GF]\d{8,11})\b/g;

/** Every element id in the text, in order, without repeats. */
function ids(text: string): RuleRef[] {
  return [...new Set([...text.matchAll(ID)].map((m) => m[1] as string))];
}

function normalise(text: string): string {
  return text.replace(/&#(?:13|xD|xd);/g, ' ').replace(/[„“”]/g, '"').replace(/\s+/g, ' ').trim();
}

/** The first sentence of a "Wenn …, dann …" rule: FIM states the converse in the next one. */
function firstSentence(text: string): string {
  const m = /^(.*?[^0-9])\.\s+(?:Wenn|Ist|Sonst)\b/.exec(text);
  return (m?.[1] ?? text).replace(/\.$/, '');
}

/** Codes in a condition: `= 001`, `der Wert 009`, `"02 Das Fahrzeug …"`; "wahr" or "bejaht" is true. */
function values(condition: string): Array<string | boolean> | undefined {
  if (/\bbejaht\b|=\s*"?wahr"?/i.test(condition)) return [true];
  if (/=\s*"?falsch"?|\bverneint\b/i.test(condition)) return [false];
  const codes = [...condition.matchAll(/(?:=|der Wert)\s*"?([0-9A-Za-z]{1,6})\b(?!\s*Tage)/g), ...condition.matchAll(/\bbei [GF]\d+ "([0-9]{1,4}) /g)].map((m) => m[1] as string);
  return codes.length > 0 ? [...new Set(codes)] : undefined;
}

const REF = '(?:[GF]\\d+\\.)*([GF]\\d+)(?: "[^"]*")?';

/** "das Feld F1 "…" <> wahr", "das Feld F2 "…" leer ist", "Feld F3 = 04": one atom of a compound condition. */
function atom(part: string): Atom | undefined {
  const m = new RegExp(`^(?:das |im )?(?:Daten)?[Ff]eld ${REF} (?:(=|<>) "?([0-9A-Za-z]{1,6})"?(?: "[^"]*")?|(nicht )?(leer|befüllt) ist)$`).exec(part.trim());
  if (!m) return undefined;
  const ref = m[1] as RuleRef;
  if (m[2]) {
    const raw = m[3] as string;
    const value = raw === 'wahr' ? true : raw === 'falsch' ? false : raw;
    return { ref, test: { values: [value] }, negate: m[2] === '<>' };
  }
  const given = m[5] === 'befüllt';
  return { ref, test: { given: m[4] ? !given : given }, negate: false };
}

/** "Wenn A <> wahr ODER B leer ist, dann muss F… befüllt sein": several atoms, one joiner. */
function compound(condition: string, consequence: string): RuleShape | undefined {
  if (/aktuelles Datum|\(/.test(condition)) return undefined;
  const ors = condition.split(/,? ODER /);
  const ands = condition.split(/,? UND /);
  if (ors.length > 1 && ands.length > 1) return undefined;
  const parts = ors.length > 1 ? ors : ands;
  if (parts.length < 2) return undefined;
  const atoms = parts.map(atom);
  if (atoms.some((a) => !a)) return undefined;
  const c = new RegExp(`^muss (?:die (?:Feld)?[Gg]ruppe|das (?:Daten)?[Ff]eld) ${REF} befüllt (?:sein|werden)$`).exec(consequence);
  if (!c) return undefined;
  return { type: 'compound', join: ors.length > 1 ? 'or' : 'and', atoms: atoms as Atom[], targets: [c[1] as RuleRef], required: true };
}

function soon(text: string): RuleShape | undefined {
  const m = new RegExp(`^Wenn \\(aktuelles Datum - ${REF}\\) < (\\d+) Tage,? (?:dann )?muss das (?:Daten)?[Ff]eld ${REF} befüllt sein\\.(.*)$`).exec(text);
  if (!m) return undefined;
  const target = m[3] as RuleRef;
  const exclusive = new RegExp(`darf das (?:Daten)?[Ff]eld (?:[GF]\\d+\\.)*${target}(?: "[^"]*")? nicht befüllt sein`).test(m[4] as string);
  return { type: 'soon', source: m[1] as RuleRef, days: Number(m[2]), target, exclusive };
}

export function parseRule(raw: string | undefined): RuleShape | undefined {
  if (!raw) return undefined;
  const text = normalise(raw);
  const dated = soon(text);
  if (dated) return dated;
  let m = /^Es muss entweder (?:die )*(?:Feldgruppe )?G.*\boder\b.*befüllt (?:werden|sein)\.?$/.exec(text);
  if (m && !/\((?:das|die|der) /.test(text)) {
    const refs = ids(text);
    if (refs.length >= 2 && refs.every((r) => r.startsWith('G'))) return { type: 'oneOf', refs };
  }
  m = /^Es muss mindeste(?:n)?s eine[sr]? der (?:Felder|Datenfelder) (.*) befüllt (?:sein|werden)\.?$/.exec(text);
  if (m) {
    const refs = ids(m[1] as string);
    if (refs.length >= 2) return { type: 'atLeastOne', refs };
  }
  m = /^(.*?) (?:ist|sind) nur dann zu befüllen, wenn "?([GF]\d+)[^"]*"? (bejaht|verneint) wurde\.?$/.exec(text);
  if (m) {
    const targets = ids(m[1] as string);
    if (targets.length > 0) return { type: 'when', sources: [m[2] as string], test: { values: [m[3] === 'bejaht'] }, targets, required: false };
  }
  m = /^Das (?:Daten)?[Ff]eld ([GF]\d+)(?: "[^"]*")? kann bist? zu \S+ ausgefüllt werden[.,] [Dd]abei darf aber jeder Eintrag (?:nur )?maximal einmal ausgewählt werden\.?$/.exec(text);
  if (m) return { type: 'unique', ref: m[1] as string };
  const sentence = firstSentence(text);
  m = /^Wenn (.*?),? dann (.*)$/.exec(sentence);
  if (!m) return undefined;
  const condition = m[1] as string;
  const consequence = m[2] as string;
  // One deciding field, compared by value: several fields, dates or "<>" are beyond the shapes.
  const sources = ids(condition);
  if (sources.length > 1) {
    const joined = compound(condition, consequence);
    if (joined) return joined;
  }
  if (sources.length === 0 || /aktuelles Datum|\bUND\b|<>/.test(condition)) return undefined;
  const targets = ids(consequence);
  // "Wenn die Feldgruppe G1 befüllt ist, ODER die Feldgruppe G2 befüllt ist, dann muss G3 befüllt sein."
  const given = condition.split(/,? ODER /).every((part) => /^(?:die (?:Feldgruppe|Gruppe)|das (?:Daten)?[Ff]eld) \S+(?: "[^"]*")? befüllt ist$/.test(part));
  if (given && targets.length > 0) {
    if (/^muss (?:die (?:Feld)?[Gg]ruppe|das (?:Daten)?[Ff]eld) \S+(?: "[^"]*")? befüllt (?:sein|werden)$/.test(consequence)) return { type: 'when', sources, test: { given: true }, targets, required: true };
    if (sources.length === 1 && /^darf (?:die (?:Feld)?[Gg]ruppe|das (?:Daten)?[Ff]eld) \S+(?: "[^"]*")? nicht befüllt (?:sein|werden)$/.test(consequence)) return { type: 'when', sources, test: { given: false }, targets, required: true };
  }
  if (sources.length !== 1 || /\bODER (?:das |die )?(?:Feld|Gruppe)/.test(condition)) return undefined;
  const source = sources[0] as RuleRef;
  const optional = /^kann (?:das (?:Daten)?[Ff]eld|die (?:Feld)?[Gg]ruppe) \S+(?: "[^"]*")? befüllt werden$/.test(consequence);
  // "…, dann darf F… nicht leer sein": required, said the other way round.
  if (targets.length === 1 && /^darf (?:das (?:Daten)?[Ff]eld )?\S+(?: "[^"]*")? nicht leer (?:sein|bleiben)$/.test(consequence) && /\bleer\b/.test(condition)) {
    return { type: 'requiredIf', source, blank: !/\bnicht leer\b/.test(condition), target: targets[0] as RuleRef };
  }
  if (targets.length === 0 || (!optional && /\bnicht\b|\bdarf\b|\bkann\b/.test(consequence))) return undefined;
  if (!/Pflicht|befüllt|ausgefüllt|anzugeben/.test(consequence)) return undefined;
  const empty = /der Wert ""|\bleer\b/.exec(condition);
  if (empty) {
    if (targets.length !== 1) return undefined;
    return { type: 'requiredIf', source, blank: !/\bnicht (?:der Wert ""|leer)/.test(condition), target: targets[0] as RuleRef };
  }
  const vals = values(condition);
  if (!vals || /\bnicht\b/.test(condition)) return undefined;
  return { type: 'when', sources: [source], test: { values: vals }, targets, required: !optional };
}
