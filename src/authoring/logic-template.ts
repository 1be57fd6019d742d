/**
 * The logic.ts `efa new service` writes around a given schema (e.g. a FIM import): region() from
 * the form's address fields (the first one answered), else the lead Land as a whole until the
 * author writes it; the FIM rules the form cannot show as conditions, as checks in rules().
 */
import type { FimCheck } from './fim/index.js';

export interface LogicTemplate {
  /** Pointers of the form's address fields, in form order. */
  addresses: string[];
  /** The ARS region() returns when no address is answered: the lead Land's ("01" → 010000000000). */
  fallbackArs: string;
  checks: FimCheck[];
}

const VALUE_AT = `/** The value at a JSON Pointer, for fields whose place the generated types do not fix. */
function valueAt(data: unknown, pointer: string): unknown {
  return pointer.split('/').slice(1).reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), data);
}

const blank = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
`;

function checksCode(checks: FimCheck[]): string {
  if (checks.length === 0) return '';
  const table = checks.map((c) => ({ rule: c.rule, kind: c.kind, pointers: c.pointers, ...(c.blank !== undefined ? { blank: c.blank } : {}), ...(c.within ? { within: c.within } : {}) }));
  return `
/**
 * FIM rules the form cannot show as conditions (efa import-fim, services/<id>/fim-import.md):
 * a check inside an optional group ("within") applies only once that group is answered.
 */
const FIM_CHECKS: ReadonlyArray<{ rule: string; kind: 'atLeastOne' | 'requiredIf'; pointers: readonly string[]; blank?: boolean; within?: string }> = ${JSON.stringify(table, null, 2)};

function fimIssues(data: unknown): Issue[] {
  const issues: Issue[] = [];
  for (const c of FIM_CHECKS) {
    // The form passes a step's groups as (possibly empty) objects: "answered" means some answer in it.
    const group = c.within === undefined ? undefined : valueAt(data, c.within);
    if (c.within !== undefined && !(group && typeof group === 'object' && Object.values(group).some((v) => !blank(v)))) continue;
    const code = \`EFA_RULE_FIM_\${c.rule}\`;
    if (c.kind === 'atLeastOne' && c.pointers.every((p) => blank(valueAt(data, p)))) {
      issues.push({ pointer: c.pointers[0] as string, code, message: { de: 'Machen Sie mindestens eine dieser Angaben.', en: 'Give at least one of these details.' } });
    }
    if (c.kind === 'requiredIf' && blank(valueAt(data, c.pointers[0] as string)) === c.blank && blank(valueAt(data, c.pointers[1] as string))) {
      issues.push({ pointer: c.pointers[1] as string, code, message: { de: 'Diese Angabe ist hier erforderlich.', en: 'This detail is required here.' } });
    }
  }
  return issues;
}
`;
}

export function customLogic(typeName: string, t: LogicTemplate): string {
  const region = t.addresses.length > 0
    ? `    // The first address answered decides responsibility (its municipality's ARS).
    for (const pointer of ${JSON.stringify(t.addresses)}) {
      const ars = valueAt(data, \`\${pointer}/ars\`);
      if (typeof ars === 'string') return ars;
    }
    // TODO: no German address answered: the lead Land as a whole until you decide (efa routing).
    return '${t.fallbackArs}';`
    : `    // TODO: return the 12-digit ARS (Amtlicher Regionalschlüssel) that decides responsibility,
    // e.g. from an address field (kind "address" fills /…/ars). Until then: the lead Land as a whole.
    return '${t.fallbackArs}';`;
  const usesData = t.addresses.length > 0;
  const helpers = usesData || t.checks.length > 0 ? VALUE_AT : '';
  return `import type { Issue, ServiceLogic } from '../../src/services/contract.js';
import type { ${typeName} } from './types.gen.js';

/** The parameters a Land may set: declare each in service.json "parameters" (bounds, default) and here. */
export type Parameters = Record<string, never>;

/** What derive() returns: declare each in service.json "derived" and here. */
export type Derived = Record<string, never>;

${helpers}${checksCode(t.checks)}/**
 * Service logic imports only types from the engine; whatever it calls comes with ctx
 * (ctx.today, ctx.dates, ctx.params): docs/services.md.
 */
export const logic: ServiceLogic<${typeName}, Parameters, Derived> = {
  rules(${t.checks.length > 0 ? 'data' : '_data'}, _ctx) {
    const issues: Issue[] = [${t.checks.length > 0 ? '...fimIssues(data)' : ''}];
    // Cross-field rules go here: push { pointer, code, message } for each answered field that breaks one.
    return issues;
  },
  derive() {
    return {};
  },
  fee() {
    return { cents: 0, currency: 'EUR' };
  },
  region(${usesData ? 'data' : '_data'}) {
${region}
  },
};

export default logic;
`;
}
