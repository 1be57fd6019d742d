/**
 * `efa import-fim`: a FIM XDatenfelder data specification becomes a first draft of a service's
 * JSON Schema (services/<id>/schema.json) and form (forms/<id>.form.json). docs/fim.md.
 *
 * The parts, in the order an import runs through them:
 * - read/: one reader per XDatenfelder version and message (the XML parsed by fast-xml-parser,
 *   read as the published XSDs of version 2 and 3 allow) into one small version-independent tree
 *   (tree.ts);
 * - map/: the tree becomes the schema (schema.ts, each field's value in fields.ts) and the form's
 *   steps (form.ts);
 * - rules/: what FIM rules and patterns become (the rule notes; XSD patterns translated);
 * - report.ts: whatever the runtime cannot express is listed in `unsupported` (construct, where,
 *   why), rules and other hints for the author in `notes` (and as `$comment` in the schema), and
 *   the notes file: nothing is dropped without a word.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodeLists, parseGenericodeText, type CodeLists } from '../../codelists/genericode.js';
import { EfaError } from '../../core/errors.js';
import { mergeCodeLists, readFimExport, type ShippedList } from './export.js';
import { buildSteps, de } from './map/form.js';
import { SchemaMapper } from './map/schema.js';
import { slug } from './names.js';
import { readTree } from './read/index.js';
import { FimReport } from './report.js';
import { RuleApplier } from './rules/apply.js';
import { ruleName, ruleNotes } from './rules/notes.js';
import type { Json } from './tree.js';
import { FimImportError, type FimImport, type FimImportOptions } from './types.js';

export { cardinalityShape, parseCardinality, UNBOUNDED_MAX_ITEMS, type Cardinality, type CardinalityShape } from './cardinality.js';
export { propertyName, slug } from './names.js';
import { notesMarkdown } from './report.js';

export { notesMarkdown };
export { FimImportError, type CodeListFile, type FimCheck, type FimImport, type FimImportOptions, type FimNote, type Unsupported } from './types.js';

/** Maps one XDatenfelder message (the XML text) to a schema and a form draft; see docs/fim.md. */
export function importFim(xml: string, opts: FimImportOptions = {}, shipped: ShippedList[] = []): FimImport {
  const tree = readTree(xml);
  const serviceId = opts.serviceId ?? slug(tree.label, 40);
  if (!/^[a-z][a-z0-9-]{1,62}$/.test(serviceId)) throw new EfaError('EFA_USAGE', `service id "${serviceId}" must be 2-63 of a-z 0-9 - starting with a letter`);
  const report = new FimReport();
  report.unsupported.push(...tree.warnings);
  const merged = mergeCodeLists(opts.root, opts.codeLists ?? (opts.root ? loadCodeLists(opts.root) : new Map()), shipped, serviceId);
  const used = new Set<string>();
  const { schema: body, children } = new SchemaMapper({ report, codeLists: merged.lists, version: tree.source.xdatenfelder, installed: merged.installed, used }).object(tree.children, '', 0);
  const codeListFiles = merged.files.filter((f) => used.has(`${f.urn}\u0000${f.version}`));
  for (const s of shipped) {
    if (!used.has(`${s.list.urn}\u0000${s.list.version}`)) report.note({ kind: 'codelist', where: '', text: `code list ${s.list.urn} version ${s.list.version} (${s.entry}) is in the export but no field uses it: not installed` });
  }
  const src = tree.source;
  const provenance = `Imported by efa import-fim from FIM XDatenfelder ${src.xdatenfelder} (${src.message}) ${src.id}${src.version ? ` v${src.version}` : ''} „${src.name}“: a draft to review.`;
  const schema: Json = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://efa-runtime.example/services/${serviceId}/1.0.0/schema.json`,
    title: tree.label,
    ...(tree.description ? { description: tree.description } : {}),
    ...body,
  };
  ruleNotes(report, tree.rules, '', schema, provenance);
  report.notes.unshift({ kind: 'source', where: '', text: provenance });
  if (children.length === 0) throw new FimImportError(`${src.id} „${src.name}“: no element could be mapped (${report.unsupported.map((u) => u.construct).join(', ') || 'it is empty'})`);
  const steps = buildSteps(children);
  if (steps.length === 0) throw new FimImportError(`${src.id} „${src.name}“: nothing to ask in a form`);
  const outcome = new RuleApplier(schema, steps, report.index, merged.lists).run(report.rules);
  for (const u of outcome.untranslated) {
    report.note({ kind: 'rule', where: u.owner, text: `${ruleName(u.rule)}${u.rule.text ? `: ${u.rule.text}` : ''} — not translated (${u.reason}): implement it in logic.ts rules()`, ...(u.rule.script ? { script: u.rule.script } : {}) });
  }
  if (outcome.questions > 0) report.note({ kind: 'rule', where: '', text: `${outcome.questions} question${outcome.questions === 1 ? '' : 's'} added to the form (and schema): whether an optional group applies, or which of alternative groups is given` });
  const form: Json = {
    $schema: '../schemas/form.schema.json',
    service: serviceId,
    ...(tree.hint ?? tree.description ? { intro: de((tree.hint ?? tree.description) as string) } : {}),
    steps,
  };
  return {
    schema, form, unsupported: report.unsupported, notes: report.notes, serviceId, source: src, codeListFiles,
    rules: { total: outcome.total, translated: outcome.translated }, checks: outcome.checks,
  };
}

/**
 * Reads a FIM export (a ZIP, a folder, or one XDatenfelder file) and maps it (see importFim); the
 * code lists it ships are used for its choices and returned in `codeListFiles` to be installed.
 */
export function importFimFile(path: string, opts: FimImportOptions = {}): FimImport {
  const exp = readFimExport(path);
  try {
    const result = importFim(exp.xml, opts, exp.lists);
    result.unsupported.unshift(...exp.warnings);
    return result;
  } catch (err) {
    if (err instanceof FimImportError) throw new FimImportError(`${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The project's code lists with those the import installs: what its x-codelist references resolve to. */
export function importedCodeLists(root: string, result: FimImport): CodeLists {
  const lists = loadCodeLists(root);
  for (const f of result.codeListFiles) {
    const list = parseGenericodeText(f.text, join(root, f.file));
    lists.set(list.urn, new Map([...(lists.get(list.urn) ?? []), [list.version, list]]));
  }
  return lists;
}

/** What `efa new service --from-fim` writes besides the scaffold: the notes and the export's code lists. */
export function importFiles(result: FimImport): Array<{ path: string; content: string }> {
  return [{ path: join('services', result.serviceId, 'fim-import.md'), content: notesMarkdown(result) }, ...result.codeListFiles.map((f) => ({ path: f.file, content: f.text }))];
}

/** Writes the code lists an import installs into the project's codelists/ (none is overwritten: their names are free). */
export function writeCodeListFiles(root: string, result: FimImport): string[] {
  for (const f of result.codeListFiles) {
    mkdirSync(join(root, 'codelists'), { recursive: true });
    writeFileSync(join(root, f.file), f.text);
  }
  return result.codeListFiles.map((f) => f.file);
}
