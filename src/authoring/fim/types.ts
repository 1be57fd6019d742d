/** What an import returns and takes, and its one error: the public shape of src/authoring/fim/. */
import type { CodeLists } from '../../codelists/genericode.js';
import { EfaError } from '../../core/errors.js';

/** The file is not an XDatenfelder message this importer reads, or the parser refused it. */
export class FimImportError extends EfaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EFA_FIM_INVALID', message, 400, options);
  }
}

/** A FIM construct the runtime cannot express (or only approximately); `where` names the element. */
export interface Unsupported {
  construct: string;
  where: string;
  detail?: string;
}

/** Something the author has to act on that is not an error: a rule to implement, a prefill, a code list. */
export interface FimNote {
  kind: 'source' | 'rule' | 'codelist' | 'prefill' | 'default' | 'label' | 'group';
  /** JSON Pointer into schema.json ("" = the whole schema). */
  where: string;
  text: string;
  /** A rule's script, as FIM gives it (not run by the runtime). */
  script?: string;
}

/** A code list to write into the project: `file` relative to the root. */
export interface CodeListFile {
  urn: string;
  version: string;
  file: string;
  text: string;
}

/** A FIM rule the form cannot show as a condition, written into logic.ts as a check on the answers. */
export interface FimCheck {
  rule: string;
  text: string;
  /**
   * atLeastOne: one of `pointers` answered; requiredIf: `pointers[1]` answered when `pointers[0]` is
   * (blank: is not); requiredWhen: `pointers[1]` answered when `pointers[0]` has one of `values`;
   * soon: `pointers[1]` answered when the date `pointers[0]` is less than `days` days away (and,
   * `exclusive`, not answered otherwise). A group counts as answered once some answer in it is.
   */
  kind: 'atLeastOne' | 'requiredIf' | 'requiredWhen' | 'soon';
  pointers: string[];
  blank?: boolean;
  values?: Array<string | boolean>;
  days?: number;
  exclusive?: boolean;
  /** The repeatable group whose every row is checked: `pointers` (and `within`) are then relative to the row. */
  rows?: string;
  /** The optional group the fields are in: checked only once it is answered. */
  within?: string;
}

export interface FimImport {
  schema: Record<string, unknown>;
  form: Record<string, unknown>;
  unsupported: Unsupported[];
  notes: FimNote[];
  /** The service id the schema's $id and the form use. */
  serviceId: string;
  /** What was read: XDatenfelder version, message type, id and version of the root element. */
  source: { xdatenfelder: '2' | '3'; message: string; id: string; version: string; name: string };
  /** The export's code lists its fields use that the project does not have yet: to be written (writeCodeListFiles). */
  codeListFiles: CodeListFile[];
  /** Distinct FIM rules, and how many became conditions or checks. */
  rules: { total: number; translated: number };
  /** Rules that became checks for logic.ts rules(). */
  checks: FimCheck[];
}

export interface FimImportOptions {
  /** Service id (folder and URL name); default: made from the root element's label. */
  serviceId?: string;
  /** Project root whose codelists/ are matched against FIM code list references; without it every reference needs a download. */
  root?: string;
  /** Code lists already loaded (instead of `root`). */
  codeLists?: CodeLists;
}
