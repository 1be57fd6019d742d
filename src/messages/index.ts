/**
 * The payload an authority receives, in the format its directory entry asks for: the generic
 * document as JSON or XML, or a standard message made by the service's mapping and checked
 * before it leaves (validate.ts). Mappings and code lists are read once per process; the entry
 * is read per submission, so a changed payloadFormat applies from the next submission on.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import { loadCodeLists, type CodeLists } from '../codelists/genericode.js';
import type { LoadedService } from '../services/registry.js';
import { STANDARD_FORMATS, type ServiceFormats } from '../core/formats.js';
import { DeclarationError } from '../core/errors.js';
import { displayPath } from '../core/declarations.js';
import { loadMapping, mappingFile, renderMapping, type MessageMapping, type MessageSource } from './mapping.js';
import { toXml } from './xml.js';
import { loadProfile, MessageInvalidError, structureProblems, xsdPath, xsdProblems } from './validate.js';

export { MessageMappingError } from './mapping.js';
export { MessageInvalidError } from './validate.js';

export interface Payload {
  text: string;
  mediaType: 'application/json' | 'application/xml';
  /** The format asked for; a standard message's type (its root element), which transports name. */
  format: string;
  messageType?: string;
}

/** The runtime's own document: answers, derived values, fee and provenance. */
export function genericPayload(format: 'json' | 'xml', doc: Record<string, unknown>): Payload {
  if (format === 'xml') {
    const builder = new XMLBuilder({ format: true, ignoreAttributes: false });
    return { text: `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ antrag: doc }) as string}`, mediaType: 'application/xml', format };
  }
  return { text: JSON.stringify(doc), mediaType: 'application/json', format };
}

const mappings = new Map<string, MessageMapping>();
const codeLists = new Map<string, CodeLists>();

/** The project root a service was loaded from (services/<id>/ sits under it). */
function projectRoot(service: LoadedService): string {
  return dirname(dirname(service.dir));
}

export function mappingFor(service: LoadedService, format: string): MessageMapping {
  const key = `${service.dir}|${format}`;
  let mapping = mappings.get(key);
  if (!mapping) {
    const root = projectRoot(service);
    const lists = codeLists.get(root) ?? loadCodeLists(root);
    codeLists.set(root, lists);
    mapping = loadMapping(service, format, lists);
    mappings.set(key, mapping);
  }
  return mapping;
}

export async function buildPayload(service: LoadedService, format: string, doc: Record<string, unknown>, source: Omit<MessageSource, 'data' | 'derived' | 'meta'>): Promise<Payload> {
  if (format === 'json' || format === 'xml') return genericPayload(format, doc);
  const mapping = mappingFor(service, format);
  const text = toXml(renderMapping(mapping, { ...source, data: doc.data, derived: (doc.derived ?? {}) as Record<string, unknown>, meta: doc.meta as Record<string, unknown> }));
  await validateMessage(projectRoot(service), format, text);
  return { text, mediaType: 'application/xml', format, messageType: mapping.root };
}

/** The structure check always, and the XSD with xmllint when the operator has configured it. */
export async function validateMessage(root: string, formatId: string, xml: string): Promise<void> {
  const format = STANDARD_FORMATS.get(formatId);
  if (!format) return;
  const profile = loadProfile(formatId);
  const problems = profile ? structureProblems(xml, profile) : [];
  const xsd = xsdPath(root, format);
  if (xsd) problems.push(...await xsdProblems(xml, xsd));
  if (problems.length > 0) throw new MessageInvalidError(formatId, problems);
}

/**
 * Every mapping file of every service, loaded: what routing checks entries against, and each
 * broken one as the declaration error `efa check` lists (file, JSON pointer, reason).
 */
export function messageFormatsOf(services: Map<string, LoadedService>): { formats: ServiceFormats; errors: DeclarationError[] } {
  const formats: ServiceFormats = {};
  const errors: DeclarationError[] = [];
  for (const service of services.values()) {
    const dir = join(service.dir, 'messages');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    const mappings: Record<string, string | null> = {};
    for (const format of files.map((f) => f.slice(0, -'.json'.length))) {
      try {
        mappingFor(service, format);
        mappings[format] = null;
      } catch (err) {
        // A mapping of an unexpected shape may fail on the way in: still this file's problem.
        const problem = err instanceof DeclarationError ? err : new DeclarationError(displayPath(mappingFile(service, format)), '', err instanceof Error ? err.message : String(err));
        mappings[format] = problem.message;
        errors.push(problem);
      }
    }
    formats[service.definition.leikaKey] = { service: service.definition.id, mappings };
  }
  return { formats, errors };
}
