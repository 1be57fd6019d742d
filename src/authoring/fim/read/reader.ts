/** What every XDatenfelder reader is, and the small helpers all of them use. */
import type { FimRule, FimTree } from '../tree.js';

/**
 * One XDatenfelder message type of one version, read by the parser xdatenfelder-xml (never by
 * hand) into the version-independent tree. A new message type is a new reader in read/, listed
 * in read/index.ts.
 */
export interface FimReader {
  version: '2' | '3';
  /** The root element's name, e.g. xdatenfelder.stammdatenschema.0102. */
  message: string;
  read(xml: string): FimTree;
}

/** Whitespace folded; empty text is no text. */
export const blank = (s: string | undefined): string | undefined => {
  const v = s?.replace(/\s+/g, ' ').trim();
  return v ? v : undefined;
};

/** A rule an element names but the file does not define: still a note, so the author looks it up. */
export function missingRule(identifier: string): FimRule {
  const [id, version] = identifier.split(':');
  return { id: id ?? identifier, version, name: 'not defined in this file', text: 'look it up in the FIM repository' };
}
