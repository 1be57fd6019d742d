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

const blank = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)
  || (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(blank));
`;

type CheckRow = Omit<FimCheck, 'text'>;

function checksCode(checks: FimCheck[]): string {
  if (checks.length === 0) return '';
  const table: CheckRow[] = checks.map(({ text: _text, ...c }) => c);
  return `
/**
 * FIM rules the form cannot show as conditions (efa import-fim, services/<id>/fim-import.md):
 * a check inside an optional group ("within") applies only once that group is answered; one with
 * "rows" applies to every row of that repeatable group, its pointers relative to the row.
 */
const FIM_CHECKS: ReadonlyArray<{ rule: string; kind: 'atLeastOne' | 'requiredIf' | 'requiredWhen' | 'soon'; pointers: readonly string[]; blank?: boolean; values?: ReadonlyArray<string | boolean>; days?: number; exclusive?: boolean; within?: string; rows?: string }> = ${JSON.stringify(table, null, 2)};

const DAY_MS = 24 * 60 * 60 * 1000;

/** Days from \`today\` (the application's day, ctx.today) until an ISO date; undefined when it is no date. */
function daysUntil(v: unknown, today: string): number | undefined {
  const at = typeof v === 'string' ? Date.parse(v.slice(0, 10)) : NaN;
  return Number.isNaN(at) ? undefined : Math.round((at - Date.parse(today)) / DAY_MS);
}

function fimIssue(c: (typeof FIM_CHECKS)[number], data: unknown, at: string, today: string): Issue | undefined {
  const code = \`EFA_RULE_FIM_\${c.rule}\`;
  const [first, second] = c.pointers.map((p) => valueAt(data, p));
  const target = \`\${at}\${c.pointers[c.kind === 'atLeastOne' ? 0 : 1] as string}\`;
  const required = { pointer: target, code, message: { de: 'Diese Angabe ist hier erforderlich.', en: 'This detail is required here.' } };
  // An exclusive rule refuses the detail where its condition is not met (FIM: "darf nicht befüllt sein").
  const refused = (met: boolean): Issue | undefined => (met ? (blank(second) ? required : undefined)
    : c.exclusive && !blank(second) ? { pointer: target, code, message: { de: 'Lassen Sie diese Angabe hier leer: sie passt nicht zu Ihren anderen Angaben.', en: 'Leave this detail empty here: it does not fit your other answers.' } } : undefined);
  switch (c.kind) {
    case 'atLeastOne':
      return c.pointers.every((p) => blank(valueAt(data, p))) ? { pointer: target, code, message: { de: 'Machen Sie mindestens eine dieser Angaben.', en: 'Give at least one of these details.' } } : undefined;
    case 'requiredIf':
      return refused(blank(first) === c.blank);
    case 'requiredWhen':
      // A multiple choice (checkboxes) meets it when one of its codes is among the values.
      return refused((Array.isArray(first) ? first : [first]).some((v) => (c.values ?? []).includes(v as string | boolean)));
    case 'soon': {
      const days = daysUntil(first, today);
      if (days === undefined) return undefined;
      if (days < (c.days ?? 0)) return blank(second) ? { ...required, message: { de: \`Diese Angabe ist erforderlich, wenn das Datum weniger als \${c.days} Tage entfernt ist.\`, en: \`This detail is required when the date is less than \${c.days} days away.\` } } : undefined;
      return c.exclusive && !blank(second) ? { pointer: target, code, message: { de: \`Diese Angabe machen Sie nur, wenn das Datum weniger als \${c.days} Tage entfernt ist.\`, en: \`Give this detail only when the date is less than \${c.days} days away.\` } } : undefined;
    }
  }
}

function fimIssues(data: unknown, today: string): Issue[] {
  const issues: Issue[] = [];
  for (const c of FIM_CHECKS) {
    const rows = c.rows === undefined ? [{ row: data, at: '' }] : ((valueAt(data, c.rows) as unknown[] | undefined) ?? []).map((row, i) => ({ row, at: \`\${c.rows}/\${i}\` }));
    for (const { row, at } of rows) {
      // The form passes a step's groups as (possibly empty) objects: "answered" means some answer in it.
      if (c.within !== undefined && blank(valueAt(row, c.within))) continue;
      const issue = fimIssue(c, row, at, today);
      if (issue) issues.push(issue);
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
  rules(${t.checks.length > 0 ? 'data, ctx' : '_data, _ctx'}) {
    const issues: Issue[] = [${t.checks.length > 0 ? '...fimIssues(data, ctx.today)' : ''}];
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
