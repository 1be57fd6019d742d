/**
 * A Land's restriction of a service's code list (tenants/<id>.json services.<id>.codelists.<urn>):
 * only the listed codes are offered on the Land's pages and accepted from its applicants, e.g. the
 * breeds a Land's dog law lists as dangerous. Each code must be one of the list's own.
 */
import { codeListOf } from '../codelists/genericode.js';
import { CrossReferenceError, type DeclarationError } from '../core/errors.js';
import type { LoadedForm } from '../forms/definition.js';
import type { LoadedService } from '../services/registry.js';

export function checkRestrictions(file: string, serviceId: string, service: LoadedService, restrictions: Record<string, string[]>): DeclarationError[] {
  const problems: DeclarationError[] = [];
  for (const [urn, codes] of Object.entries(restrictions)) {
    const at = `/services/${serviceId}/codelists/${urn}`;
    const list = service.codeLists.get(urn);
    if (!list) {
      problems.push(new CrossReferenceError('EFA_XREF_CODELIST', file, at, `services/${serviceId}/schema.json uses no code list "${urn}", so there is nothing to restrict: fix the URN or remove the entry (it uses: ${[...service.codeLists.keys()].join(', ') || 'none'})`));
      continue;
    }
    const known = new Set(list.rows.map((r) => r[list.codeColumn]));
    codes.forEach((code, i) => {
      if (!known.has(code)) problems.push(new CrossReferenceError('EFA_XREF_CODELIST', file, `${at}/${i}`, `"${code}" is not a code of ${urn} version ${list.version} (${list.file.split('/').pop() ?? ''}): a restriction can only leave codes out`));
    });
  }
  return problems;
}

/** The Land's copy of a form with the restricted lists' options filtered (answers outside them are refused by the field). */
export function restrictForm(form: LoadedForm, restrictions: Record<string, string[]> | undefined): LoadedForm {
  if (!restrictions || Object.keys(restrictions).length === 0) return form;
  return {
    ...form,
    steps: form.steps.map((step) => ({
      ...step,
      fields: step.fields.map((field) => {
        const allowed = restrictions[codeListOf(field.schema)?.list.urn ?? ''];
        return allowed ? { ...field, options: field.options.filter((o) => allowed.includes(o.value)) } : field;
      }),
    })),
  };
}
