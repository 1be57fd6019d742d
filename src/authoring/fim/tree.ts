/**
 * The version-independent tree every reader (read/) produces and the mapping (map/) walks: what
 * XDatenfelder 2 and 3 say alike, so the mapping never asks which version it reads.
 */
import type { FimImport, Unsupported } from './types.js';

/** A JSON Schema (or a part of one) as the mapping builds it. */
export type Json = Record<string, unknown>;

export interface FimRule {
  id: string;
  version?: string;
  name: string;
  text?: string;
  script?: string;
}

export interface FimFieldInfo {
  feldart: string;
  datentyp: string;
  minLength?: number;
  maxLength?: number;
  minValue?: string;
  maxValue?: string;
  pattern?: string;
  /** v2 praezisierung that is not the JSON object FIM prescribes, kept to be reported. */
  rawPraezisierung?: string;
  values: Array<{ code: string; name: string }>;
  /** A Genericode code list: its URN (canonicalIdentification), version, version URN and FIM id (C…). */
  codeList?: { urn?: string; version?: string; versionUri?: string; id?: string };
  mediaTypes: string[];
  /** v3 maxSize, in kilobytes. */
  maxSizeKb?: number;
  content?: string;
  prefill?: string;
}

export interface FimElement {
  type: 'group' | 'field';
  id: string;
  version?: string;
  name: string;
  label: string;
  hint?: string;
  cardinality: string;
  rules: FimRule[];
  children: FimElement[];
  field?: FimFieldInfo;
}

export interface FimTree {
  source: FimImport['source'];
  label: string;
  description?: string;
  hint?: string;
  rules: FimRule[];
  children: FimElement[];
  /** What the reader did not understand and left out or read approximately. */
  warnings: Unsupported[];
}

/** An element of the import, where the mapping put it. */
export interface IndexedElement {
  pointer: string;
  type: 'group' | 'field';
  label: string;
  /** Inside a repeatable group's row (conditions there read the row: not translated). */
  inRow: boolean;
  /** An array (a repeatable group, or a repeated field). */
  repeated: boolean;
  /** Cardinality 0:…, and for a group: whether it holds required fields. */
  optional: boolean;
  hasRequired: boolean;
}

export type ElementIndex = Map<string, IndexedElement[]>;

export interface RuleUse {
  rule: FimRule;
  /** The pointer of the element the rule belongs to ("" for the schema). */
  owner: string;
}

