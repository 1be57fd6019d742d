/**
 * The check page before submitting: every answer with a link to change it, the declared facts,
 * the responsible authority, and what is still missing.
 */
import type { FastifyReply } from 'fastify';
import { EfaError } from '../../core/errors.js';
import { conditionHolds, visibleSteps } from '../../forms/definition.js';
import type { ConditionEnv } from '../../forms/conditions.js';
import { innerGroups, rowLines, rowName, rowsOf, segmentOf, specOf } from '../../forms/fields/group.js';
import type { FormField } from '../../forms/fields/kind.js';
import { getAt } from '../../forms/pointer.js';
import { t } from '../../forms/text.js';
import { pruneHidden, summarise, validateAll, type StepContext } from '../../forms/validate.js';
import type { Authority } from '../../routing/types.js';
import { regionOf } from '../../services/region.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { resolveResponsible } from '../../submissions/submit.js';
import { CONFIRMATION_MAIL_FIELD, confirmationMailTo } from './confirmation-mail.js';
import { draftExpiry, type DraftExpiry } from './draft.js';
import { prefilledNote, type Prefilled } from './fields.js';
import { authorityView, displayFacts, factValue, type AuthorityView } from './facts.js';
import { elsewhereView, placeElsewhere, rulesPlaceFact } from './place-view.js';
import { stepContext } from './logic.js';
import { blocksSubmit, paymentBox, standingOf } from './payment.js';
import { paymentTexts } from './payment-texts.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinToday, formOf, uiOf, type PageEnv, type PageView } from './view.js';

/** One answer as the check page and the PDF receipt show it; a group's row has `lines`. */
export interface CheckRow {
  label: string;
  value: string;
  lines?: Array<{ label: string; value: string }>;
  /** Said of an answer taken from the user account (check page only). */
  note?: string;
  /** A row of a group inside a group's row: shown indented below its outer row. */
  nested?: boolean;
}

export interface CheckSection {
  title: string;
  rows: Array<CheckRow & { changeHref: string }>;
}

/**
 * Every answer of the visible steps, as labels and formatted values (with a group's rows, file
 * names, "not answered" left to the template): the check page renders these, and the applicant's
 * copy for the PDF receipt is these, so both say the same. `data` is already pruned of hidden answers.
 * With `prefilled`, an answer from the user account says so, as on its step page.
 */
export function checkSections(env: PageEnv, service: LoadedService, data: Record<string, unknown>, conditions: ConditionEnv, prefilled?: Prefilled): CheckSection[] {
  const id = service.definition.id;
  const steps = visibleSteps(formOf(env.tenant, id), data, conditions);
  return steps.map((step) => ({
    title: t(step.title, env.lang),
    rows: step.fields.filter((f) => conditionHolds(f.showIf, data, conditions)).flatMap((f) => {
      const changeHref = `${env.base}/${id}/${step.id}?zurueck=pruefen`;
      const value = getAt(data, f.pointer);
      const note = prefilledNote(env, prefilled, f.pointer);
      const own = { label: t(f.label, env.lang), value: f.kind.summary(f, value, env.lang), changeHref, ...(note ? { note } : {}) };
      if (!f.group) return [own];
      return [own, ...groupRows(env, f, value, `${env.base}/${id}/${step.id}`, data, conditions)];
    }),
  }));
}

/**
 * Each row with its own change link, straight to that row's page, and after it the rows of its
 * nested groups (indented, `nested`), each linking to its own page.
 */
function groupRows(env: PageEnv, group: FormField, value: unknown, listHref: string, data: Record<string, unknown>, conditions: ConditionEnv): Array<CheckRow & { changeHref: string }> {
  const spec = specOf(group);
  return rowsOf(value).flatMap((row, i) => {
    const rowHref = `${listHref}/${i + 1}`;
    const own = { label: rowName(group, i, row, env.lang), lines: rowLines(spec, row, env.lang, { nested: false }), value: '', changeHref: `${rowHref}?zurueck=pruefen`, ...(group.row ? { nested: true } : {}) };
    const inner = innerGroups(group, i).filter((g) => conditionHolds(g.showIf, data, conditions));
    return [own, ...inner.flatMap((g) => groupRows(env, g, getAt(data, g.pointer), `${rowHref}/${segmentOf(g)}`, data, conditions))];
  });
}

/**
 * The check page. `authorityOf` resolves the responsible authority and throws an EfaError when
 * none is connected; the applicant then hears it here, before submitting.
 */
export function checkView(env: PageEnv, service: LoadedService, draftData: Record<string, unknown>, ctx: StepContext, opts: { authorityOf: (data: Record<string, unknown>) => Authority; csrf: string; status?: number; draftExpiry?: DraftExpiry; prefilled?: Prefilled; payment?: Record<string, unknown>; submitBlocked?: string; mailTo?: string }): PageView {
  const id = service.definition.id;
  const ui = uiOf(env);
  const form = formOf(env.tenant, id);
  const data = pruneHidden(form, draftData, ctx.conditions);
  const steps = visibleSteps(form, data, ctx.conditions);
  const elsewhere = placeElsewhere(env.tenant, service, data);
  if (elsewhere) return elsewhereView(env, ctx.places, elsewhere, id, steps);
  const sections = checkSections(env, service, data, ctx.conditions, opts.prefilled);
  const incomplete = validateAll(service, form, data, ctx);
  let authority: AuthorityView | undefined;
  let routingProblem: string | undefined;
  // The declared facts need complete answers; until then each shows "–".
  let derived: Record<string, unknown> | undefined;
  const facts = displayFacts(service, 'check', env.lang, (item) => (incomplete ? undefined : factValue(service, item, data, ctx.logic, () => (derived ??= service.logic.derive(data, ctx.logic) as Record<string, unknown>))));
  // The office is known as soon as the place is, complete or not: shown early, and a place with no
  // office connected is said before the applicant answers the rest.
  if (!incomplete || regionOf(service, data) !== undefined) {
    try {
      authority = authorityView(opts.authorityOf(data), env.lang);
    } catch (err) {
      if (!(err instanceof EfaError)) throw err;
      routingProblem = ui.noAuthority;
    }
  }
  const notice = service.logic.overview?.(ctx.logic)?.notice;
  return {
    template: 'check', title: ui.checkTitle, status: opts.status ?? 200,
    context: {
      sections, facts, factsTitle: facts.length === 0 ? ui.authority : facts.length === 1 && service.definition.display?.[0]?.value === 'fee' ? ui.feeAndAuthority : ui.factsAndAuthority,
      rulesPlace: rulesPlaceFact(env, ctx.places, service, data), authority, authorityName: authority?.name, routingProblem, noOfficeHref: routingProblem ? `${env.base}/${id}/keine-stelle` : undefined, landHint: t(notice, env.lang), draftExpiry: opts.draftExpiry,
      // Links lead to the step that still needs an answer (the fields are not on this page).
      errorSummary: incomplete ? summarise(incomplete.step.fields, incomplete.errors).map((e) => ({ message: e.message, url: `${env.base}/${id}/${incomplete.step.id}${e.row ? `/${e.row}` : ''}?zurueck=pruefen${e.row ? `#${e.href}` : ''}` })) : undefined,
      backHref: `${env.base}/${id}/${steps[steps.length - 1]?.id}`, action: `${env.base}/${id}/absenden`, csrf: opts.csrf,
      confirmationMail: opts.mailTo && !incomplete ? { field: CONFIRMATION_MAIL_FIELD, label: ui.confirmationMailLabel.replace('{address}', opts.mailTo) } : undefined,
      // The fee's payment (./payment.ts): its box, and the submit button held back while a required payment is open.
      payment: incomplete ? undefined : opts.payment, submitBlocked: incomplete ? undefined : opts.submitBlocked,
    },
  };
}

/** `paymentRefused`: a submit was just refused because the required fee is not paid. */
export async function renderCheck(pages: ApplicantPages, reply: FastifyReply, p: PageEnv, service: LoadedService, draft: Draft, status = 200, paymentRefused = false) {
  const { rt } = pages;
  const ctx = stepContext(p, rt.places, service, berlinToday(), draft.data);
  const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
  const authorityOf = (data: Record<string, unknown>) => resolveResponsible(rt.routing, service, data).authority;
  const csrf = reply.generateCsrf();
  const standing = await standingOf(rt, p, service, draft, ctx);
  const payment = paymentBox(p, service, standing, csrf, paymentRefused);
  const submitBlocked = blocksSubmit(standing) ? paymentTexts[p.lang].blocked : undefined;
  return pages.send(reply, p, checkView(p, service, draft.data, ctx, { authorityOf, csrf, status, draftExpiry: expiry, prefilled: draft.account ? draft.accountMeta?.prefilled : undefined, payment, submitBlocked, mailTo: confirmationMailTo(rt, service, draft.data) }));
}

export function registerCheck(pages: ApplicantPages): void {
  pages.app.get<RouteTypes>('/:tenant/:service/pruefen', async (req: Req, reply) => {
    const ctx = await pages.serviceContext(req, reply);
    if (!ctx) return;
    return renderCheck(pages, reply, ctx.p, ctx.service, ctx.draft);
  });
}
