import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every folder of declarations the runtime loads from its root (EFA_ROOT). */
export const DECLARATION_FOLDERS = ['services', 'forms', 'tenants', 'routing', 'codelists'] as const;

/** Copies the project's declarations into `root`, so a test can change them without touching the tree. */
export function copyDeclarations(root: string): void {
  for (const part of DECLARATION_FOLDERS) if (existsSync(part)) cpSync(part, join(root, part), { recursive: true });
}

/** Reads a JSON declaration, lets `edit` change it and writes it back (a test's copy only). */
export function editJson(file: string, edit: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(doc);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}
