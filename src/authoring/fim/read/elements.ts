/**
 * Groups, fields and rules of an XDatenfelder 2 or 3 message, read from the parsed XML (xml.ts)
 * into the version-independent tree. Both versions nest every element where it is used
 * (`struktur/enthaelt`); where they differ (rule text, code list reference, value lists,
 * praezisierung) both spellings are read. What is not understood becomes a warning, never a stop.
 */
import type { Unsupported } from '../types.js';
import type { FimElement, FimFieldInfo, FimRule } from '../tree.js';
import { attr, child, children, code, rawText, text, type XNode } from './xml.js';

export interface ReadContext {
  version: '2' | '3';
  warnings: Unsupported[];
}

const where = (kind: string, id: string, version: string | undefined, label: string) => `${kind} ${id}${version ? ` v${version}` : ''} „${label}“`;

export function identification(node: XNode): { id: string; version: string | undefined } {
  const ident = child(node, 'identifikation');
  return { id: text(ident, 'id') ?? '(no id)', version: text(ident, 'version') };
}

export function rules(node: XNode): FimRule[] {
  return children(node, 'regel').map((r) => {
    const { id, version } = identification(r);
    return {
      id, version, name: text(r, 'name') ?? id,
      text: text(r, 'freitextRegel') ?? text(r, 'definition') ?? text(r, 'beschreibung'),
      script: rawText(r, 'skript') ?? rawText(r, 'script'),
    };
  });
}

/** The elements of a group or schema: one per `struktur`, with its cardinality. */
export function structure(ctx: ReadContext, node: XNode, parent: string): FimElement[] {
  const out: FimElement[] = [];
  for (const s of children(node, 'struktur')) {
    const cardinality = text(s, 'anzahl') ?? '1:1';
    const content = child(s, 'enthaelt');
    const group = child(content, 'datenfeldgruppe');
    const field = child(content, 'datenfeld');
    if (group) out.push(groupElement(ctx, group, cardinality));
    else if (field) out.push(fieldElement(ctx, field, cardinality));
    else ctx.warnings.push({ construct: 'struktur without datenfeldgruppe or datenfeld', where: parent, detail: 'an empty structure entry: left out' });
  }
  return out;
}

function groupElement(ctx: ReadContext, g: XNode, cardinality: string): FimElement {
  const { id, version } = identification(g);
  const name = text(g, 'name') ?? id;
  const label = text(g, 'bezeichnungEingabe') ?? name;
  relations(ctx, g, where('Datenfeldgruppe', id, version, label));
  return {
    type: 'group', id, version, name, label, hint: text(g, 'hilfetextEingabe'), cardinality,
    rules: rules(g), children: structure(ctx, g, where('Datenfeldgruppe', id, version, label)),
  };
}

function fieldElement(ctx: ReadContext, f: XNode, cardinality: string): FimElement {
  const { id, version } = identification(f);
  const name = text(f, 'name') ?? id;
  const label = text(f, 'bezeichnungEingabe') ?? name;
  const at = where('Datenfeld', id, version, label);
  relations(ctx, f, at);
  return { type: 'field', id, version, name, label, hint: text(f, 'hilfetextEingabe'), cardinality, rules: rules(f), children: [], field: fieldInfo(ctx, f, at) };
}

function fieldInfo(ctx: ReadContext, f: XNode, at: string): FimFieldInfo {
  const feldart = code(f, 'feldart') ?? 'input';
  const datentyp = code(f, 'datentyp') ?? 'text';
  const prefill = code(f, 'vorbefuellung');
  const maxSize = text(f, 'maxSize');
  const list = codeListRef(f);
  return {
    feldart, datentyp, ...praezisierung(ctx, child(f, 'praezisierung'), at),
    values: children(child(f, 'werte'), 'wert').map((w) => ({ code: text(w, 'code') ?? '', name: text(w, 'name') ?? text(w, 'code') ?? '' })).filter((w) => w.code !== ''),
    mediaTypes: children(f, 'mediaType').map((m) => text(m, '#text')).filter((m): m is string => m !== undefined),
    content: text(f, 'inhalt'),
    ...(maxSize !== undefined && Number.isFinite(Number(maxSize)) ? { maxSizeKb: Number(maxSize) } : {}),
    ...(prefill && prefill !== 'keine' ? { prefill } : {}),
    ...(list ? { codeList: list } : {}),
  };
}

/** Version 2 nests the Genericode identification one level deeper than version 3. */
function codeListRef(f: XNode): FimFieldInfo['codeList'] | undefined {
  const ref = child(f, 'codelisteReferenz');
  if (!ref) return undefined;
  const ident = child(ref, 'genericodeIdentification') ?? ref;
  const urn = text(ident, 'canonicalIdentification');
  const versionUri = text(ident, 'canonicalVersionUri');
  if (!urn && !versionUri) return undefined;
  return { urn, version: text(ident, 'version'), versionUri, id: text(child(ref, 'identifikation'), 'id') };
}

/** Version 3 gives praezisierung as attributes, version 2 as a JSON object in the element's text. */
function praezisierung(ctx: ReadContext, p: XNode | undefined, at: string): Partial<FimFieldInfo> {
  if (!p) return {};
  const fromAttrs = ['minLength', 'maxLength', 'minValue', 'maxValue', 'pattern'].some((k) => attr(p, k) !== undefined);
  const raw = text(p, '#text');
  const values: Record<string, unknown> = {};
  if (fromAttrs) for (const k of ['minLength', 'maxLength', 'minValue', 'maxValue', 'pattern']) values[k] = attr(p, k);
  else if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { rawPraezisierung: raw };
      Object.assign(values, parsed);
    } catch {
      return { rawPraezisierung: raw };
    }
  } else return {};
  const num = (v: unknown) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
  const str = (v: unknown) => (v === undefined || v === '' ? undefined : String(v));
  const known = new Set(['minLength', 'maxLength', 'minValue', 'maxValue', 'pattern']);
  const rest = Object.keys(values).filter((k) => !known.has(k));
  if (rest.length > 0) ctx.warnings.push({ construct: 'praezisierung', where: at, detail: `not understood: ${rest.join(', ')} (only minLength, maxLength, minValue, maxValue and pattern are read)` });
  return { minLength: num(values.minLength), maxLength: num(values.maxLength), minValue: str(values.minValue), maxValue: str(values.maxValue), pattern: str(values.pattern) };
}

/** Version 3 relations (ersetzt, ist abgeleitet von, …) say where an element comes from: no form content, reported. */
function relations(ctx: ReadContext, node: XNode, at: string): void {
  for (const r of children(node, 'relation')) {
    const target = text(child(r, 'objekt'), 'id') ?? text(child(child(r, 'objekt'), 'identifikation'), 'id') ?? '?';
    ctx.warnings.push({ construct: 'relation', where: at, detail: `${code(r, 'praedikat') ?? 'relation'} ${target}: provenance only, not part of the form` });
  }
}
