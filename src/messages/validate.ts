/**
 * Every outgoing standard message is checked before it is encrypted and stored:
 * - against the official XSD with libxml2's xmllint when the operator has put it in place
 *   (messages/xsd/<format>/<file>, or EFA_MESSAGE_XSD_DIR/<format>/<file>; docs/messages.md);
 * - always against the format's structure profile, made from the standard's published valid
 *   example (KoSIT's for XGewerbeanzeige): namespace, root, which element may stand where and in
 *   which order, the elements the standard requires, and codes as <code> with their list.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { EfaError } from '../core/errors.js';
import type { StandardFormat } from '../core/formats.js';

export class MessageInvalidError extends EfaError {
  constructor(readonly format: string, readonly problems: string[]) {
    super('EFA_MESSAGE_INVALID', `the ${format} message is not valid: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, 500);
  }
}

/** Where an element may stand: for each element path (local names joined by "/"), its children in the standard's order. */
export interface StructureProfile {
  format: string;
  namespace: string;
  root: string;
  order: Record<string, string[]>;
  /** Element paths that carry their value as <code>. */
  codes: string[];
  /** Element paths the standard requires (checked when their parent is present). */
  required: string[];
  source: string;
}

const here = dirname(fileURLToPath(import.meta.url));

export function loadProfile(format: string): StructureProfile | undefined {
  const file = join(here, 'profiles', `${format}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as StructureProfile : undefined;
}

type Ordered = Record<string, unknown>;
const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', commentPropName: '#comment', trimValues: true });

interface Parsed { name: string; prefix: string; attributes: Record<string, string>; children: Parsed[]; text: string }

function parse(xml: string): Parsed {
  const nodes = parser.parse(xml) as Ordered[];
  const root = nodes.map(convert).find((n): n is Parsed => n !== undefined && !n.name.startsWith('?'));
  if (!root) throw new Error('no root element');
  return root;
}

function convert(node: Ordered): Parsed | undefined {
  const key = Object.keys(node).find((k) => k !== ':@');
  if (!key || key === '#text' || key === '#comment') return undefined;
  const [prefix, name] = key.includes(':') ? key.split(':') as [string, string] : ['', key];
  const raw = node[key] as Ordered[];
  const attributes = Object.fromEntries(Object.entries((node[':@'] ?? {}) as Record<string, string>).map(([k, v]) => [k.slice(2), v]));
  const text = raw.filter((c) => '#text' in c).map((c) => String(c['#text'])).join('');
  return { name, prefix, attributes, children: raw.map(convert).filter((c): c is Parsed => c !== undefined), text };
}

/** The structure of a valid example: each path's children in first-seen order, and where codes are. */
export function profileOf(exampleXml: string): Pick<StructureProfile, 'namespace' | 'root' | 'order' | 'codes'> {
  const root = parse(exampleXml);
  const order: Record<string, string[]> = {};
  const codes = new Set<string>();
  const walk = (el: Parsed, path: string) => {
    const names = (order[path] ??= []);
    for (const child of el.children) {
      if (child.name === 'code' && child.prefix === '') { codes.add(path); continue; }
      if (!names.includes(child.name)) names.push(child.name);
      walk(child, `${path}/${child.name}`);
    }
  };
  walk(root, root.name);
  for (const [path, names] of Object.entries(order)) if (names.length === 0) delete order[path];
  return { namespace: root.attributes[`xmlns:${root.prefix}`] ?? root.attributes.xmlns ?? '', root: root.name, order, codes: [...codes].sort() };
}

/** Every way the message departs from the profile, each naming the element path (never a value). */
export function structureProblems(xml: string, profile: StructureProfile): string[] {
  let root: Parsed;
  try {
    root = parse(xml);
  } catch (err) {
    return [`not well-formed XML: ${(err as Error).message.split('\n')[0]}`];
  }
  const problems: string[] = [];
  const ns = root.attributes[`xmlns:${root.prefix}`];
  if (ns !== profile.namespace) problems.push(`namespace is "${ns ?? ''}", not ${profile.namespace}`);
  if (root.name !== profile.root) problems.push(`root element is ${root.name}, not ${profile.root}`);
  if (problems.length > 0) return problems;
  const codes = new Set(profile.codes);
  const required = new Set(profile.required);
  const walk = (el: Parsed, path: string) => {
    const allowed = profile.order[path] ?? [];
    let last = -1;
    for (const child of el.children) {
      if (child.name === 'code' && child.prefix === '') continue;
      const at = `${path}/${child.name}`;
      if (child.prefix !== root.prefix) problems.push(`${at} is not in the namespace ${profile.namespace}`);
      const index = allowed.indexOf(child.name);
      if (index < 0) { problems.push(`${at} is not an element of ${path}`); continue; }
      if (index < last) problems.push(`${at} stands after ${allowed[last]}, but the standard puts it before`);
      last = Math.max(last, index);
      walk(child, at);
    }
    const present = new Set(el.children.map((c) => c.name));
    for (const name of allowed) if (required.has(`${path}/${name}`) && !present.has(name)) problems.push(`${path}/${name} is required and missing`);
    const hasCode = el.children.some((c) => c.name === 'code' && c.prefix === '');
    if (codes.has(path) && !hasCode) problems.push(`${path} must carry its value as <code>`);
    if (!codes.has(path) && hasCode) problems.push(`${path} carries a <code>, which the standard does not put there`);
  };
  walk(root, root.name);
  return problems;
}

/** Where the operator's XSD for a format is, if it is there. */
export function xsdPath(projectRoot: string, format: StandardFormat, env: Record<string, string | undefined> = process.env): string | undefined {
  const dir = env.EFA_MESSAGE_XSD_DIR || join(projectRoot, 'messages', 'xsd');
  const file = join(dir, format.id, format.xsdFile);
  return existsSync(file) ? file : undefined;
}

/** xmllint --schema; its complaints name elements, and the values it quotes are cut out (they may be personal data). */
export function xsdProblems(xml: string, xsd: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', ['--noout', '--nonet', '--schema', xsd, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new EfaError('EFA_XMLLINT_MISSING', `an XSD is configured (${xsd}) but xmllint is not installed (Debian: apt-get install libxml2-utils)`) : err));
    child.on('close', (code) => {
      if (code === 0) return resolve([]);
      const lines = stderr.split('\n').filter((l) => l.includes('error') || l.includes('Element'));
      resolve(lines.filter((l) => !/validates$|fails to validate$/.test(l)).map((l) => l.replace(/^-:\d+: /, '').replace(/'[^']*'(?= is not| is a)/g, '…').replace(/The value '[^']*'/g, 'The value')));
    });
    child.stdin.end(xml);
  });
}
