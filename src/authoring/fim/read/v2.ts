/** XDatenfelder 2: the Stammdatenschema message (xdatenfelder.stammdatenschema.0102) is the schema's root. */
import { v2 } from 'xdatenfelder-xml/dist/index.js';
import type { FimElement, FimFieldInfo, FimRule, FimTree } from '../tree.js';
import { FimImportError } from '../types.js';
import { blank, missingRule, type FimReader } from './reader.js';

type V2Container = v2.SchemaContainer;

export const stammdatenschemaV2: FimReader = {
  version: '2',
  message: 'xdatenfelder.stammdatenschema.0102',
  read: (xml) => treeV2(v2.SchemaMessage.fromString(xml).message.schemaContainer),
};

function anzahlV2(a: v2.Anzahl): string {
  return a.type === 'value' ? (a.optional ? '0:1' : '1:1') : `${a.minSize}:${a.maxSize ?? '*'}`;
}

function rulesV2(container: V2Container, ids: string[]): FimRule[] {
  return ids.map((id) => {
    if (!container.regeln.has(id)) return missingRule(id);
    const r = container.regeln.get(id);
    return { id: r.id, version: r.version, name: r.name, text: blank(r.definition) ?? blank(r.beschreibung), script: blank(r.script) };
  });
}

/** v2 praezisierung is a JSON object as text, e.g. {"minLength":"1","maxLength":"120"}. */
function praezisierungV2(value: string | undefined): Partial<FimFieldInfo> {
  const raw = blank(value);
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { rawPraezisierung: raw };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { rawPraezisierung: raw };
  const p = parsed as Record<string, unknown>;
  const num = (v: unknown) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
  const str = (v: unknown) => (v === undefined || v === '' ? undefined : String(v));
  const known = new Set(['minLength', 'maxLength', 'minValue', 'maxValue', 'pattern']);
  const rest = Object.keys(p).filter((k) => !known.has(k));
  return {
    minLength: num(p.minLength), maxLength: num(p.maxLength), minValue: str(p.minValue), maxValue: str(p.maxValue), pattern: str(p.pattern),
    ...(rest.length > 0 ? { rawPraezisierung: raw } : {}),
  };
}

function elementV2(container: V2Container, ref: v2.ElementReference, path: Set<string>): FimElement {
  const cardinality = anzahlV2(ref.anzahl);
  if (path.has(ref.identifier)) throw new FimImportError(`${ref.identifier} contains itself`);
  if (ref.type === 'dataGroup') {
    const g = container.datenfeldgruppen.get(ref.identifier);
    const inner = new Set(path).add(ref.identifier);
    return {
      type: 'group', id: g.id, version: g.version, name: g.name, label: blank(g.bezeichnungEingabe) ?? g.name, hint: blank(g.hilfetextEingabe), cardinality,
      rules: rulesV2(container, g.regeln), children: g.elemente.map((e) => elementV2(container, e, inner)),
    };
  }
  const f = container.datenfelder.get(ref.identifier);
  const list = f.codelisteReferenz;
  return {
    type: 'field', id: f.id, version: f.version, name: f.name, label: blank(f.bezeichnungEingabe) ?? f.name, hint: blank(f.hilfetextEingabe), cardinality,
    rules: rulesV2(container, f.regeln), children: [],
    field: {
      feldart: f.feldart, datentyp: f.datentyp, ...praezisierungV2(f.praezisierung), values: [], mediaTypes: [], content: blank(f.inhalt),
      ...(list ? { codeList: { urn: blank(list.genericode.canonicalIdentification), version: blank(list.genericode.version), versionUri: blank(list.genericode.canonicalVersionUri) } } : {}),
    },
  };
}

function treeV2(container: V2Container): FimTree {
  const s = container.schema;
  return {
    source: { xdatenfelder: '2', message: 'xdatenfelder.stammdatenschema.0102', id: s.id, version: s.version ?? '', name: s.name },
    label: blank(s.bezeichnungEingabe) ?? s.name, description: blank(s.beschreibung), hint: blank(s.hilfetext),
    rules: rulesV2(container, s.regeln), children: s.elemente.map((e) => elementV2(container, e, new Set())),
  };
}
