/**
 * Payload mappings as data: services/<id>/messages/<format>.json declares, element by element and
 * in the standard's order, where each value of a standard message comes from (the answers, the
 * derived values, the submission, the directory entry) and which Genericode list each code belongs
 * to. This module checks a mapping against the service (every pointer exists, every answer is
 * mapped or said why not, every code is in its list) and renders it into an ordered element tree.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CrossReferenceError, DeclarationError, EfaError } from '../core/errors.js';
import { displayPath, readJsonFile } from '../core/declarations.js';
import type { CodeList, CodeLists } from '../codelists/genericode.js';
import type { LoadedService } from '../services/registry.js';
import { STANDARD_FORMATS, type StandardFormat } from '../core/formats.js';

export type Source = string | { const: string } | {
  pointer: string;
  /** ddmmyyyy: a date as XGewerbeanzeige writes birth dates; ags: the 8-digit municipality key of a 12-digit ARS; janein: a boolean as 1/0. */
  as?: 'ddmmyyyy' | 'ags' | 'janein' | 'date';
  /** The value equals this (a boolean, then `as`). */
  equals?: string;
  /** The first group of this regular expression (e.g. "HR([AB])"). */
  match?: string;
  /** The label of the code in the named code list (codes) instead of the code. */
  label?: string;
};

export interface MappingNode {
  /** Local name; the format's namespace prefix is added. */
  el: string;
  value?: Source;
  /** Name in the mapping's "codes": the element carries listURI/listVersionID and the value as <code>. */
  code?: string;
  children?: MappingNode[];
  /** A pointer: the element (with its children) only when there is a value there (false counts as none). */
  when?: string;
  /** A pointer: the element only when there is no value there. */
  unless?: string;
}

export interface CodeDeclaration {
  /** Without urn the code goes bare (the standard fixes its list, e.g. nachrichtentyp). */
  urn?: string;
  version?: string;
  /** The list is too large to ship (e.g. all municipality keys): cited, not checked. */
  unchecked?: boolean;
  /** From the service's values to the list's codes; without it the value is the code. */
  map?: Record<string, string>;
  labelColumn?: string;
}

export interface MessageMapping {
  format: StandardFormat;
  root: string;
  attributes: Record<string, string>;
  codes: Map<string, { decl: CodeDeclaration; list?: CodeList }>;
  body: MappingNode[];
  file: string;
}

/** What a mapping reads: the pointers' first segment names one of these. */
export interface MessageSource {
  data: unknown;
  derived: Record<string, unknown>;
  meta: Record<string, unknown>;
  authority: { id: string; name: string };
  endpoint: { identifiers: Record<string, string> };
}

const SOURCES = new Set(['data', 'derived', 'meta', 'authority', 'endpoint']);

/** A submission's data lacks a value the standard message requires, or has a code its list lacks. */
export class MessageMappingError extends EfaError {
  constructor(code: 'EFA_MESSAGE_VALUE_MISSING' | 'EFA_MESSAGE_CODE_UNKNOWN', readonly element: string, problem: string) {
    super(code, `${element}: ${problem}`, 422);
  }
}

export function mappingFile(service: LoadedService, format: string): string {
  return join(service.dir, 'messages', `${format}.json`);
}

export function hasMapping(service: LoadedService, format: string): boolean {
  return existsSync(mappingFile(service, format));
}

interface RawMapping {
  format?: unknown; root?: unknown; attributes?: unknown; codes?: unknown; body?: unknown; unmapped?: unknown;
}

/** Reads and checks a mapping; every mistake is a DeclarationError naming the file and the JSON path. */
export function loadMapping(service: LoadedService, formatId: string, lists: CodeLists): MessageMapping {
  const file = mappingFile(service, formatId);
  const shown = displayPath(file);
  const format = STANDARD_FORMATS.get(formatId);
  if (!format) throw new DeclarationError(shown, '', `"${formatId}" is not a standard message format (known: ${[...STANDARD_FORMATS.keys()].join(', ')})`);
  const raw = readJsonFile(file) as RawMapping;
  if (raw.format !== formatId) throw new DeclarationError(shown, '/format', `must be "${formatId}", as the file name says`);
  if (typeof raw.root !== 'string' || raw.root === '') throw new DeclarationError(shown, '/root', 'must name the message element, e.g. "abh.gewerbemeldung.0500"');
  if (!Array.isArray(raw.body) || raw.body.length === 0) throw new DeclarationError(shown, '/body', 'must list the message\'s elements in the standard\'s order');
  const codes = new Map<string, { decl: CodeDeclaration; list?: CodeList }>();
  for (const [name, decl] of Object.entries((raw.codes ?? {}) as Record<string, CodeDeclaration>)) {
    codes.set(name, { decl, list: decl?.urn === undefined || decl.unchecked ? undefined : codeList(shown, `/codes/${name}`, decl, lists) });
  }
  const used = new Set<string>();
  checkNodes(shown, '/body', raw.body as MappingNode[], { service, codes, used });
  checkCoverage(shown, service, raw.unmapped, used);
  return { format, root: raw.root, attributes: (raw.attributes ?? {}) as Record<string, string>, codes, body: raw.body as MappingNode[], file };
}

function codeList(shown: string, path: string, decl: CodeDeclaration, lists: CodeLists): CodeList {
  const list = lists.get(String(decl.urn))?.get(String(decl.version));
  if (!list) throw new CrossReferenceError('EFA_XREF_CODELIST', shown, path, `no code list "${String(decl?.urn)}" version "${String(decl?.version)}" under codelists/: add its Genericode file (codelists/<name>_<version>.xml)`);
  const known = new Set(list.rows.map((r) => r[list.codeColumn]));
  for (const [from, to] of Object.entries(decl.map ?? {})) {
    if (!known.has(to)) throw new CrossReferenceError('EFA_XREF_CODELIST', shown, `${path}/map/${from}`, `code "${to}" is not in ${list.urn} version ${list.version}`);
  }
  if (decl.labelColumn !== undefined && !list.columns.includes(decl.labelColumn)) throw new DeclarationError(shown, `${path}/labelColumn`, `${list.urn} has no column "${decl.labelColumn}" (columns: ${list.columns.join(', ')})`);
  return list;
}

interface CheckCtx { service: LoadedService; codes: Map<string, unknown>; used: Set<string> }

function checkNodes(shown: string, path: string, nodes: MappingNode[], ctx: CheckCtx): void {
  nodes.forEach((node, i) => {
    const at = `${path}/${i}`;
    if (!node || typeof node.el !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(node.el)) throw new DeclarationError(shown, `${at}/el`, 'must be an element\'s local name');
    const hasValue = node.value !== undefined;
    if (hasValue === Array.isArray(node.children)) throw new DeclarationError(shown, at, `<${node.el}> needs either "value" or "children"`);
    if (node.when !== undefined) checkPointer(shown, `${at}/when`, node.when, ctx);
    if (node.unless !== undefined) checkPointer(shown, `${at}/unless`, node.unless, ctx);
    if (node.code !== undefined && !ctx.codes.has(node.code)) throw new DeclarationError(shown, `${at}/code`, `"${node.code}" is not declared under "codes"`);
    if (hasValue) checkSource(shown, `${at}/value`, node.value as Source, ctx);
    if (node.children) checkNodes(shown, `${at}/children`, node.children, ctx);
  });
}

function checkSource(shown: string, at: string, source: Source, ctx: CheckCtx): void {
  if (typeof source === 'string') return checkPointer(shown, at, source, ctx);
  if (source && 'const' in source && typeof source.const === 'string') return;
  if (!source || typeof (source as { pointer?: unknown }).pointer !== 'string') throw new DeclarationError(shown, at, 'must be a pointer ("/data/…"), {"const": "…"} or {"pointer": "…", …}');
  const s = source as Exclude<Source, string | { const: string }>;
  checkPointer(shown, `${at}/pointer`, s.pointer, ctx);
  if (s.label !== undefined && !ctx.codes.has(s.label)) throw new DeclarationError(shown, `${at}/label`, `"${s.label}" is not declared under "codes"`);
  if (s.match !== undefined) new RegExp(s.match);
}

function checkPointer(shown: string, at: string, pointer: string, ctx: CheckCtx): void {
  const [, head, ...rest] = pointer.split('/');
  if (!pointer.startsWith('/') || !head || !SOURCES.has(head)) throw new DeclarationError(shown, at, `"${pointer}" must start with one of ${[...SOURCES].map((s) => `/${s}/`).join(', ')}`);
  if (head === 'data') {
    if (!schemaHas(ctx.service.schema, rest)) throw new DeclarationError(shown, at, `"${pointer}": the service's schema has no ${rest.join('/')}`);
    ctx.used.add(`/${rest.join('/')}`);
  }
  if (head === 'derived' && !(rest[0] && rest[0] in (ctx.service.definition.derived ?? {}))) {
    throw new CrossReferenceError('EFA_XREF_DERIVED', shown, at, `"${pointer}": service.json declares no derived value "${rest[0] ?? ''}"`);
  }
}

type SchemaNode = { properties?: Record<string, SchemaNode>; $ref?: string; $defs?: Record<string, SchemaNode> };

function resolveRef(root: SchemaNode, node: SchemaNode): SchemaNode {
  const ref = node.$ref;
  if (!ref?.startsWith('#/$defs/')) return node;
  return { ...(root.$defs?.[ref.slice('#/$defs/'.length)] ?? {}), ...node, $ref: undefined };
}

function schemaHas(schema: Record<string, unknown>, path: string[]): boolean {
  let node: SchemaNode | undefined = schema as SchemaNode;
  for (const key of path) {
    node = node && resolveRef(schema as SchemaNode, node).properties?.[key];
    if (!node) return false;
  }
  return true;
}

/** Every answer (each leaf of the schema) is mapped, or listed under "unmapped" with the reason. */
function checkCoverage(shown: string, service: LoadedService, unmapped: unknown, used: Set<string>): void {
  const reasons = (unmapped ?? {}) as Record<string, string>;
  for (const [pointer, reason] of Object.entries(reasons)) {
    if (!schemaHas(service.schema, pointer.split('/').slice(1))) throw new DeclarationError(shown, `/unmapped/${pointer.replace(/\//g, '~1')}`, 'the service\'s schema has no such answer');
    if (typeof reason !== 'string' || reason.length < 10) throw new DeclarationError(shown, `/unmapped/${pointer.replace(/\//g, '~1')}`, 'say why the standard has no place for this answer (at least 10 characters)');
  }
  const missing = leaves(service.schema as SchemaNode, service.schema as SchemaNode, '').filter((p) => !used.has(p) && !(p in reasons));
  if (missing.length > 0) throw new DeclarationError(shown, '/body', `these answers are not mapped: ${missing.join(', ')} (map each, or list it under "unmapped" with the reason)`);
}

function leaves(root: SchemaNode, node: SchemaNode, prefix: string): string[] {
  const props = resolveRef(root, node).properties;
  if (!props) return [prefix];
  return Object.entries(props).flatMap(([key, child]) => leaves(root, child, `${prefix}/${key}`));
}

/** An element of the rendered message, in order: text or children; `code` elements are not namespaced. */
export interface Element {
  name: string;
  attributes: Record<string, string>;
  text?: string;
  children?: Element[];
}

export function renderMapping(mapping: MessageMapping, source: MessageSource): Element {
  const prefix = mapping.format.prefix;
  const children = renderNodes(mapping, mapping.body, source, `${prefix}:${mapping.root}`);
  return {
    name: `${prefix}:${mapping.root}`,
    attributes: { [`xmlns:${prefix}`]: mapping.format.namespace, ...mapping.attributes, standard: mapping.format.standard, version: mapping.format.version },
    children,
  };
}

function renderNodes(mapping: MessageMapping, nodes: MappingNode[], source: MessageSource, path: string): Element[] {
  const out: Element[] = [];
  for (const node of nodes) {
    if (node.when !== undefined && isOff(read(source, node.when))) continue;
    if (node.unless !== undefined && !isOff(read(source, node.unless))) continue;
    const name = `${mapping.format.prefix}:${node.el}`;
    const at = `${path}/${name}`;
    if (node.children) {
      const children = renderNodes(mapping, node.children, source, at);
      if (children.length > 0) out.push({ name, attributes: {}, children });
      continue;
    }
    const value = evaluate(mapping, node.value as Source, source);
    if (value === undefined) throw new MessageMappingError('EFA_MESSAGE_VALUE_MISSING', at, 'the standard requires a value here and the submission has none (add "when" to the mapping if it is optional)');
    if (node.code === undefined) {
      out.push({ name, attributes: {}, text: value });
      continue;
    }
    const { decl, list } = mapping.codes.get(node.code) as { decl: CodeDeclaration; list?: CodeList };
    const code = decl.map ? decl.map[value] : value;
    if (code === undefined || (list && !list.rows.some((r) => r[list.codeColumn] === code))) {
      throw new MessageMappingError('EFA_MESSAGE_CODE_UNKNOWN', at, `the value has no code in ${decl.urn ?? node.code} version ${decl.version ?? ''}`);
    }
    const attributes: Record<string, string> = { ...(decl.urn ? { listURI: decl.urn } : {}), ...(decl.version ? { listVersionID: decl.version } : {}) };
    out.push({ name, attributes, children: [{ name: 'code', attributes: {}, text: code }] });
  }
  return out;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** For "when"/"unless": a no (false) counts as nothing there. */
function isOff(value: unknown): boolean {
  return isAbsent(value) || value === false;
}

function read(source: MessageSource, pointer: string): unknown {
  let node: unknown = source;
  for (const key of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function evaluate(mapping: MessageMapping, s: Source, source: MessageSource): string | undefined {
  if (typeof s === 'string') return scalar(read(source, s));
  if ('const' in s) return s.const;
  let value: unknown = read(source, s.pointer);
  if (isAbsent(value)) return undefined;
  if (s.equals !== undefined) value = scalar(value) === s.equals;
  if (s.match !== undefined) value = new RegExp(s.match).exec(String(value))?.[1];
  if (s.as === 'janein') value = value === true ? '1' : value === false ? '0' : undefined;
  if (s.as === 'ddmmyyyy') value = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value))?.slice(1).reverse().join('');
  if (s.as === 'date') value = String(value).slice(0, 10);
  if (s.as === 'ags') value = /^\d{12}$/.test(String(value)) ? `${String(value).slice(0, 5)}${String(value).slice(9)}` : undefined;
  if (s.label !== undefined) value = labelOf(mapping, s.label, scalar(value));
  return scalar(value);
}

function labelOf(mapping: MessageMapping, name: string, code: string | undefined): string | undefined {
  const { decl, list } = mapping.codes.get(name) as { decl: CodeDeclaration; list?: CodeList };
  if (!list) return undefined;
  const row = list.rows.find((r) => r[list.codeColumn] === code);
  const column = decl.labelColumn ?? list.columns.find((c) => c !== list.codeColumn) ?? list.codeColumn;
  return row?.[column];
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
