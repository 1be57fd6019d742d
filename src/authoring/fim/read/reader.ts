/** What every XDatenfelder reader is: one message type of one version, from the parsed XML to the tree. */
import type { FimTree } from '../tree.js';
import { FimImportError } from '../types.js';
import { identification, rules, structure, type ReadContext } from './elements.js';
import { child, text, type XNode } from './xml.js';

/**
 * One XDatenfelder message type of one version, read from the parsed XML (read/xml.ts, following
 * the published XSD) into the version-independent tree. A new message type is a new reader in
 * read/, listed in read/index.ts.
 */
export interface FimReader {
  version: '2' | '3';
  /** The root element's name, e.g. xdatenfelder.stammdatenschema.0102. */
  message: string;
  /** `message` is the root element's content. */
  read(message: XNode): FimTree;
}

/** A message whose root is the Stammdatenschema (`stammdatenschema`) or a Datenfeldgruppe (`datenfeldgruppe`). */
export function rootReader(version: '2' | '3', message: string, rootElement: 'stammdatenschema' | 'datenfeldgruppe'): FimReader {
  return {
    version,
    message,
    read(msg) {
      const root = child(msg, rootElement);
      if (!root) throw new FimImportError(`XDatenfelder ${version} ${message}: no <${rootElement}> element`);
      const ctx: ReadContext = { version, warnings: [] };
      const { id, version: v } = identification(root);
      const name = text(root, 'name') ?? id;
      return {
        source: { xdatenfelder: version, message, id, version: v ?? '', name },
        label: text(root, 'bezeichnungEingabe') ?? text(root, 'bezeichnung') ?? name,
        description: text(root, 'beschreibung'),
        hint: text(root, 'hilfetext') ?? text(root, 'hilfetextEingabe'),
        rules: rules(root),
        children: structure(ctx, root, `${rootElement === 'datenfeldgruppe' ? 'Datenfeldgruppe' : 'Stammdatenschema'} ${id}`),
        warnings: ctx.warnings,
      };
    },
  };
}
