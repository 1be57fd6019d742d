/**
 * What a step page and a group's row page share: the fields as the templates show them, the
 * step's number and total, the way back, and the step's group.
 */
import { conditionHolds, type FormStep, type LoadedForm } from '../../forms/definition.js';
import { mayHold, revealData, type ConditionEnv } from '../../forms/conditions.js';
import type { FormField, ParseResult } from '../../forms/fields/kind.js';
import { rowTitle, segmentOf } from '../../forms/fields/group.js';
import { offeringField } from '../../forms/options.js';
import { getAt } from '../../forms/pointer.js';
import { t } from '../../forms/text.js';
import { uiOf, type PageEnv } from './view.js';

export interface StepState {
  errors: Map<string, string>;
  parsed: Map<string, ParseResult>;
}

/** Served by the app (src/http/app.ts): the JsonLogic library and the reveal script, no inline code (CSP). */
export const REVEAL_SCRIPTS = ['/_efa/json-logic.js', '/_efa/reveal.js'];

/**
 * Whether a field is on the page: one whose condition reads only earlier answers when that holds;
 * one revealed by an answer on the same page (shown with its condition in words, revealed by the
 * browser) unless no option of that answer could reveal it, e.g. the listed-breed certificate in a
 * Land that lists no breeds.
 */
export function onPage(f: FormField, fields: readonly FormField[], data: Record<string, unknown>, conditions: ConditionEnv): boolean {
  if (f.controls.length === 0 || !f.showIf) return conditionHolds(f.showIf, data, conditions);
  const [control, ...others] = f.controls;
  const field = fields.find((c) => c.name === control?.name);
  if (!control || others.length > 0 || !field) return true;
  const values = field.kind.name === 'yesno' ? [true, false] : field.options.map((o) => o.value);
  return values.length === 0 || mayHold(f.showIf, data, conditions, control.var, values);
}

/** The step's group, when it has one that its condition shows. */
export function groupOf(step: FormStep, data: Record<string, unknown>, conditions: ConditionEnv): FormField | undefined {
  return step.fields.find((f) => f.group && conditionHolds(f.showIf, data, conditions));
}

/**
 * The total for "Schritt 2 von 4", or none: when a step appears only for some answers, a total
 * would change under the applicant's feet ("1 von 4" becomes "3 von 5"), so, as GOV.UK advises
 * for question pages whose number depends on the answers, such a form shows only the step's number.
 */
export function stepTotal(form: LoadedForm, steps: FormStep[]): number | undefined {
  return form.steps.some((s) => s.showIf !== undefined) ? undefined : steps.length;
}

export function previousHref(env: PageEnv, id: string, steps: FormStep[], index: number, fromCheck: boolean): string {
  return fromCheck ? `${env.base}/${id}/pruefen` : index > 0 ? `${env.base}/${id}/${steps[index - 1]?.id}` : `${env.base}/${id}`;
}

/** Answers taken from the user account, by pointer (src/http/applicant/login.ts). */
export type Prefilled = Record<string, { source: string; editable: boolean }>;

const PREFILLED = {
  de: { editable: 'Aus Ihrem Nutzerkonto übernommen.', locked: 'Aus Ihrem Nutzerkonto übernommen; diese Angabe kann hier nicht geändert werden.' },
  en: { editable: 'Taken from your user account.', locked: 'Taken from your user account; it cannot be changed here.' },
} as const;

/** What the step and check pages say of a prefilled answer, or undefined when it is the applicant's own. */
export function prefilledNote(env: PageEnv, prefilled: Prefilled | undefined, pointer: string): string | undefined {
  const entry = prefilled?.[pointer];
  return entry && PREFILLED[env.lang][entry.editable ? 'editable' : 'locked'];
}

export function fieldViews(env: PageEnv, fields: FormField[], data: Record<string, unknown>, state: StepState, links: { stepHref: string; query: string }, conditions: ConditionEnv, prefilled?: Prefilled): Array<Record<string, unknown>> {
  const ui = uiOf(env);
  return fields.map((f) => {
    const error = state.errors.get(f.pointer);
    const hint = [t(f.hint, env.lang), t(f.controls.length > 0 ? f.conditionHint : undefined, env.lang), prefilledNote(env, prefilled, f.pointer)].filter(Boolean).join(' ');
    const locked = prefilled?.[f.pointer]?.editable === false;
    // A choice lists only the options the parameters in force offer, each with its fee (forms/options.ts).
    const view = f.kind.view(offeringField(f, data, conditions), getAt(data, f.pointer), state.parsed.get(f.pointer), env.lang, state.errors);
    const reveal = f.showIf && f.controls.length > 0
      ? { logic: JSON.stringify(f.showIf.logic), data: JSON.stringify(revealData(f.showIf, data, conditions, f.controls)), controls: JSON.stringify(f.controls) }
      : undefined;
    return {
      ...view, ui, id: f.id, name: f.name, label: t(f.label, env.lang), hint, error, required: f.required, locked, autocomplete: f.def.autocomplete, width: f.def.width ?? 20, reveal,
      describedBy: [hint ? `${f.id}-hint` : '', error ? `${f.id}-error` : ''].filter(Boolean).join(' ') || undefined,
      ...(f.group ? groupLinks(f, links, view.addLabel as string | undefined ?? ui.addRow) : {}),
    };
  });
}

/**
 * Where a group's rows are: below the step (/<step>/<n>), or for a group in a row below that row
 * (/<step>/<n>/<inner>/<m>); its add button names the nested group, since the row's page has
 * questions of its own to save first.
 */
function groupLinks(f: FormField, links: { stepHref: string; query: string }, addLabel: string): Record<string, unknown> {
  if (!f.row) return { ...links, listHref: links.stepHref, addAction: 'hinzufuegen', addLabel };
  const segment = segmentOf(f);
  return { ...links, listHref: `${links.stepHref}/${f.row.index + 1}/${segment}`, addAction: `${ADD_INNER}${segment}`, addLabel };
}

/** The value of a nested group's add button on its outer row's page: "hinzufuegen-<segment>". */
export const ADD_INNER = 'hinzufuegen-';

/**
 * "Hund 2 wurde entfernt.": the banner after a removal, from `?entfernt=<n>` (a row of the step's
 * group) or `?entfernt=<inner>.<n>` (a row of a nested group, on its outer row's page). Only a
 * number within the group's bounds is said: the address names no text of its own.
 */
export function removedNotice(env: PageEnv, groups: FormField[], removed: string | undefined): string | undefined {
  const match = /^(?:([A-Za-z0-9_-]{1,64})\.)?([1-9][0-9]{0,5})$/.exec(removed ?? '');
  if (!match) return undefined;
  const group = groups.find((g) => (match[1] === undefined ? !g.row : g.row && segmentOf(g) === match[1]));
  const number = Number(match[2]);
  if (!group?.group || number > group.group.maxItems) return undefined;
  return uiOf(env).rowRemoved.replace('{row}', rowTitle(group, number - 1, env.lang));
}
