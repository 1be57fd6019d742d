/**
 * XDatenfelder 3 groups, fields and rules, as every version 3 message holds them (its tables of
 * Datenfeldgruppen, Datenfelder and Regeln); the message readers (v3-*.ts) start from their root.
 */
import type { DataGroupMessage3 } from 'xdatenfelder-xml/dist/index.js';
import type { DataField as DataField3, DataGroup as DataGroup3, Rule as Rule3 } from 'xdatenfelder-xml/dist/v3/schema.js';
import type { FimElement, FimFieldInfo, FimRule } from '../tree.js';
import { FimImportError } from '../types.js';
import { blank, missingRule } from './reader.js';

/** The tables of a version 3 message that elements and rules are looked up in. */
export type V3Tables = Pick<DataGroupMessage3, 'dataGroups' | 'dataFields' | 'rules'>;

export function rulesV3(msg: V3Tables, ids: string[]): FimRule[] {
  return ids.map((id) => {
    if (!msg.rules.has(id)) return missingRule(id);
    const r: Rule3 = msg.rules.get(id);
    return { id: r.id, version: r.version, name: r.name, text: blank(r.freeFormDefinition) ?? blank(r.description), script: blank(r.script) };
  });
}

function fieldInfoV3(f: DataField3): FimFieldInfo {
  const c = f.constraints;
  const ref = f.codeListReference;
  const maxSize = (f as DataField3 & { maxSize?: number }).maxSize;
  return {
    feldart: f.inputType, datentyp: f.dataType, minLength: c.minLength, maxLength: c.maxLength, minValue: blank(c.minValue), maxValue: blank(c.maxValue), pattern: blank(c.pattern),
    values: f.values.map((v) => ({ code: v.code, name: v.name })), mediaTypes: f.mediaTypes, content: blank(f.content),
    ...(maxSize !== undefined ? { maxSizeKb: maxSize } : {}),
    ...(f.fillType !== 'keine' ? { prefill: f.fillType } : {}),
    ...(ref ? { codeList: { urn: blank(ref.canonicalIdentification), version: blank(ref.version), versionUri: blank(ref.canonicalVersionUri) } } : {}),
  };
}

/** One element and everything below it; `path` holds the groups above it, so a group containing itself is refused. */
export function elementV3(msg: V3Tables, type: 'dataGroup' | 'dataField', identifier: string, cardinality: string, path: Set<string>): FimElement {
  if (path.has(identifier)) throw new FimImportError(`${identifier} contains itself`);
  if (type === 'dataGroup') {
    const g: DataGroup3 = msg.dataGroups.get(identifier);
    const inner = new Set(path).add(identifier);
    return {
      type: 'group', id: g.id, version: g.version, name: g.name, label: blank(g.inputLabel) ?? g.name, hint: blank(g.inputHelp), cardinality,
      rules: rulesV3(msg, g.rules), children: g.children.map((c) => elementV3(msg, c.type, c.identifier, c.cardinality, inner)),
    };
  }
  const f: DataField3 = msg.dataFields.get(identifier);
  return {
    type: 'field', id: f.id, version: f.version, name: f.name, label: blank(f.inputLabel) ?? f.name, hint: blank(f.inputHelp), cardinality,
    rules: rulesV3(msg, f.rules), children: [], field: fieldInfoV3(f),
  };
}
