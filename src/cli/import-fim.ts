/** `efa import-fim <file>`: writes the schema, the form draft and the import notes, then says what was not mapped. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { importFimFile, notesMarkdown, writeCodeListFiles, type FimImport } from '../authoring/fim/index.js';
import { EfaError } from '../core/errors.js';

export interface ImportFimOptions {
  service?: string;
  /** Project root the files go into. */
  root: string;
  force?: boolean;
}

/** Where an import writes, relative to the project root. */
export function importFimTargets(serviceId: string): { schema: string; notes: string; form: string } {
  return {
    schema: join('services', serviceId, 'schema.json'),
    notes: join('services', serviceId, 'fim-import.md'),
    form: join('forms', `${serviceId}.form.json`),
  };
}

export function runImportFim(file: string, opts: ImportFimOptions): void {
  const result = importFimFile(file, { ...(opts.service ? { serviceId: opts.service } : {}), root: opts.root });
  const targets = importFimTargets(result.serviceId);
  const paths = Object.values(targets).map((p) => join(opts.root, p));
  const existing = paths.filter((p) => existsSync(p));
  // All or nothing: an author's edited schema is never half-replaced by a new draft.
  if (existing.length > 0 && !opts.force) throw new EfaError('EFA_USAGE', `${existing.map((p) => relative('.', p) || p).join(', ')} already exist${existing.length === 1 ? 's' : ''}: choose another --service, or --force to overwrite`);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const contents: Record<string, string> = { [targets.schema]: json(result.schema), [targets.form]: json(result.form), [targets.notes]: notesMarkdown(result) };
  for (const [path, text] of Object.entries(contents)) {
    mkdirSync(dirname(join(opts.root, path)), { recursive: true });
    writeFileSync(join(opts.root, path), text);
  }
  const s = result.source;
  console.log(`imported XDatenfelder ${s.xdatenfelder} ${s.message} ${s.id}${s.version ? ` v${s.version}` : ''} "${s.name}" as service "${result.serviceId}"`);
  for (const path of [...Object.keys(contents), ...writeCodeListFiles(opts.root, result)]) console.log(`wrote ${join(opts.root, path)}`);
  console.log(describeUnsupported(result));
  const r = result.rules;
  if (r.total > 0) console.log(`\nFIM rules: ${r.translated} of ${r.total} became conditions of the form or checks${r.translated < r.total ? `; the other ${r.total - r.translated} are listed with their text in ${targets.notes}: implement them in logic.ts` : ''}`);
  console.log(`\nnext: service.json, logic.ts and examples.json in services/${result.serviceId}/ (docs/services.md), npm run gen:types, then efa check`);
}

/** What the import could not map (or only approximately), by construct and place. */
export function describeUnsupported(result: FimImport): string {
  if (result.unsupported.length === 0) return '\nevery construct was mapped';
  return [`\nnot mapped, or only approximately (${result.unsupported.length}):`,
    ...result.unsupported.map((u) => `  - ${u.construct}: ${u.where}${u.detail ? `: ${u.detail}` : ''}`)].join('\n');
}
