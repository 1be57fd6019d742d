/**
 * One row of a repeatable group (forms/fields/group.ts) on its own page, /<step>/<n> with
 * n = 1 … rows + 1 (the next one adds a row), and a row of a group nested in that row,
 * /<step>/<n>/<inner>/<m>: showing, saving and (after asking, ./row-remove.ts) removing it.
 */
import type { FastifyReply } from 'fastify';
import { conditionHolds, visibleSteps, type FormStep } from '../../forms/definition.js';
import type { ConditionEnv } from '../../forms/conditions.js';
import { bindRow, groupMessage, innerGroups, rowName, rowsOf, segmentOf, specOf } from '../../forms/fields/group.js';
import type { FormField, StepFiles } from '../../forms/fields/kind.js';
import { getAt } from '../../forms/pointer.js';
import { t } from '../../forms/text.js';
import { processRow, summarise } from '../../forms/validate.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { partsFailure, type PartsResult } from '../upload-parts.js';
import { draftExpiry, type DraftExpiry } from './draft.js';
import { removeFileAction } from './file-removal.js';
import { ADD_INNER, fieldViews, groupOf, onPage, previousHref, removedNotice, REVEAL_SCRIPTS, stepTotal, type StepState } from './fields.js';
import { stepContext } from './logic.js';
import type { ApplicantPages, Req, RouteTypes, ServiceContext } from './request.js';
import { failedReply, referenced, refusedStatus, type StepUploads } from './uploads.js';
import { berlinToday, formOf, serviceTitle, type PageEnv, type PageView } from './view.js';

/**
 * Which row a page shows: `group` is the step's group, or a nested group bound to its outer row;
 * `href` is the row's page, `listHref` the page that lists it (the step, or the outer row's page).
 */
export interface RowTarget {
  group: FormField;
  index: number;
  href: string;
  listHref: string;
}

/** The step's own group, row `index` (0-based). */
export function topRow(env: PageEnv, serviceId: string, step: FormStep, group: FormField, index: number): RowTarget {
  const listHref = `${env.base}/${serviceId}/${step.id}`;
  return { group, index, href: `${listHref}/${index + 1}`, listHref };
}

/**
 * One row of a group on its own page: the item fields bound to that row, headed with the row's
 * name ("Hund 1: Bello"). Back leads to the list of rows (for a nested row: its outer row's page),
 * or before the group when it has none yet.
 */
export function rowView(env: PageEnv, service: LoadedService, step: FormStep, target: RowTarget, data: Record<string, unknown>, state: StepState, opts: { fromCheck: boolean; csrf: string; status?: number; conditions: ConditionEnv; draftExpiry?: DraftExpiry; removed?: string; asList?: boolean }): PageView {
  const id = service.definition.id;
  const { group, index } = target;
  const steps = visibleSteps(formOf(env.tenant, id), data, opts.conditions);
  const position = steps.findIndex((s) => s.id === step.id);
  const query = opts.fromCheck ? '?zurueck=pruefen' : '';
  // As on a step: a field whose condition reads its own row is rendered and revealed by the browser.
  const all = bindRow(group, index);
  const bound = all.filter((f) => onPage(f, all, data, opts.conditions));
  const rows = rowsOf(getAt(data, group.pointer));
  const title = rowName(group, index, rows[index], env.lang);
  const errorSummary = summarise(bound, state.errors).map((e) => (e.row ? { ...e, url: `${target.href}/${e.row}${query}#${e.href}` } : e));
  // The list, unless the group opens with this row because it needs rows and has none (then the list is this page).
  const listFirst = group.row || rows.length > 0 || specOf(group).minItems === 0;
  const back = opts.fromCheck ? `${env.base}/${id}/pruefen` : listFirst ? target.listHref : previousHref(env, id, steps, position, false);
  const rowFields = fieldViews(env, bound, data, state, { stepHref: `${env.base}/${id}/${step.id}`, query }, opts.conditions);
  const outer = group.row ? `${rowName(group.row.group, group.row.index, rowsOf(getAt(data, group.row.group.pointer))[group.row.index], env.lang)} – ` : '';
  return {
    template: 'step', title: `${title} – ${outer}${t(step.title, env.lang)} – ${serviceTitle(env, id)}`, status: opts.status ?? 200,
    context: {
      serviceTitle: serviceTitle(env, id), stepTitle: title, stepIntro: t(group.hint, env.lang), stepNumber: position + 1, stepCount: stepTotal(formOf(env.tenant, id), steps),
      fields: rowFields, multipart: rowFields.some((f) => f.multipart === true), errorSummary: errorSummary.length > 0 ? errorSummary : undefined, backHref: back,
      action: `${target.href}${query}`, csrf: opts.csrf, draftExpiry: opts.draftExpiry, notice: removedNotice(env, opts.asList ? [group] : innerGroups(group, index), opts.removed),
      scripts: rowFields.some((f) => f.reveal) ? REVEAL_SCRIPTS : undefined,
    },
  };
}

/** `asList`: shown at the list's address, since the group needs rows and has none (its banner is the list's). */
export function renderRow(pages: ApplicantPages, req: Req, reply: FastifyReply, draft: Draft, p: PageEnv, service: LoadedService, step: FormStep, target: RowTarget, data: Record<string, unknown>, state: StepState, status = 200, asList = false) {
  const conditions = stepContext(p, pages.rt.places, service, berlinToday(), data).conditions;
  const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
  return pages.send(reply, p, rowView(p, service, step, target, data, state, { fromCheck: req.query.zurueck === 'pruefen', csrf: reply.generateCsrf(), status, conditions, draftExpiry: expiry, removed: req.query.entfernt, asList }));
}

export interface RowContext extends ServiceContext {
  step: FormStep;
  target: RowTarget;
}

const ROW_NUMBER = /^[1-9][0-9]{0,5}$/;
const rowNumber = (raw: string | undefined): number => (ROW_NUMBER.test(raw ?? '') ? Number(raw) : 0);

/**
 * The draft, step and row of a row page. `edit` accepts rows 1 … rows + 1 (the next one adds a
 * row) up to maxItems; `remove` only existing rows. A nested row (params sub, subrow) needs an
 * existing outer row and a nested group of that name that its condition shows. Else not found.
 */
export async function rowContext(pages: ApplicantPages, req: Req, reply: FastifyReply, use: 'edit' | 'remove'): Promise<RowContext | undefined> {
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return undefined;
  const data = ctx.draft.data;
  const conditions = stepContext(ctx.p, pages.rt.places, ctx.service, berlinToday(), data).conditions;
  const step = visibleSteps(formOf(ctx.p.tenant, ctx.service.definition.id), data, conditions).find((s) => s.id === req.params.step);
  const top = step && groupOf(step, data, conditions);
  let target: RowTarget | undefined;
  if (step && top) {
    const outer = rowNumber(req.params.row);
    if (req.params.sub === undefined) target = inBounds(topRow(ctx.p, ctx.service.definition.id, step, top, outer - 1), data, use);
    else if (outer >= 1 && outer <= rowsOf(getAt(data, top.pointer)).length) {
      const outerRow = topRow(ctx.p, ctx.service.definition.id, step, top, outer - 1);
      const inner = innerGroups(top, outer - 1).find((g) => segmentOf(g) === req.params.sub && conditionHolds(g.showIf, data, conditions));
      const listHref = `${outerRow.href}/${req.params.sub}`;
      const index = rowNumber(req.params.subrow) - 1;
      target = inner && inBounds({ group: inner, index, href: `${listHref}/${index + 1}`, listHref: outerRow.href }, data, use);
    }
  }
  if (!step || !target) {
    await pages.notFound(reply, ctx.p);
    return undefined;
  }
  return { ...ctx, step, target };
}

function inBounds(target: RowTarget, data: Record<string, unknown>, use: 'edit' | 'remove'): RowTarget | undefined {
  const count = rowsOf(getAt(data, target.group.pointer)).length;
  const limit = use === 'remove' ? count : Math.min(count + 1, specOf(target.group).maxItems);
  return target.index >= 0 && target.index < limit ? target : undefined;
}

/** Saves a posted row: a row may hold file fields (a dog's certificate), uploaded like a step's, named by the row. */
async function postRow(pages: ApplicantPages, uploads: StepUploads, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const post = await uploads.begin(req, reply);
  if (post === false) return reply;
  if (!post && await removeFileAction(pages, req, reply)) return reply;
  const ctx = await rowContext(pages, req, reply, 'edit');
  if (!ctx) return;
  const { p, service, draft, step, target } = ctx;
  let upload: PartsResult | undefined;
  try {
    upload = post ? await uploads.read(req, post, p.tenant, service, step, draft) : undefined;
  } catch (err) {
    const failed = partsFailure(err, step);
    if (!failed) throw err;
    return renderRow(pages, req, failedReply(reply, failed.status), draft, p, service, step, target, draft.data, { errors: new Map([[failed.pointer, t(failed.message, p.lang)]]), parsed: new Map() }, failed.status);
  }
  const files: StepFiles | undefined = upload ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: upload.uploaded }
    : specOf(target.group).items.some((f) => f.kind.name === 'file') ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: new Map() } : undefined;
  const body = upload?.body ?? req.body ?? {};
  const outcome = processRow(service, target.group, target.index, draft.data, body, { ...stepContext(p, rt.places, service, berlinToday(), draft.data), files });
  const query = req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : '';
  const adding = typeof body.aktion === 'string' && body.aktion.startsWith(ADD_INNER) ? innerGroups(target.group, target.index).find((g) => segmentOf(g) === body.aktion?.slice(ADD_INNER.length)) : undefined;
  if (adding) {
    // Adding a nested row keeps the row's answers as they stand (checked when it is saved or submitted).
    const count = rowsOf(getAt(outcome.data, adding.pointer)).length;
    if (count >= specOf(adding).maxItems) return renderRow(pages, req, reply, draft, p, service, step, target, outcome.data, { errors: new Map([[adding.pointer, t(groupMessage(adding, 'maxItems'), p.lang)]]), parsed: outcome.parsed }, 400);
    await saveRow(pages, reply, ctx, outcome.data);
    return reply.redirect(`${target.href}/${segmentOf(adding)}/${count + 1}${query}`, 303);
  }
  if (outcome.errors.size > 0) {
    if (upload) await rt.attachments.discard(upload.fresh.filter((f) => !referenced(outcome.data).has(f)));
    return renderRow(pages, req, reply, draft, p, service, step, target, outcome.data, outcome, refusedStatus(reply, upload));
  }
  await saveRow(pages, reply, ctx, outcome.data);
  return reply.redirect(query ? `${p.base}/${service.definition.id}/pruefen` : target.listHref, 303);
}

export async function saveRow(pages: ApplicantPages, reply: FastifyReply, ctx: RowContext, data: Record<string, unknown>): Promise<void> {
  ctx.draft.data = data;
  ctx.draft.currentStep = ctx.step.id;
  // A removed row's files go with it, in the save (DraftStore.save).
  await pages.rt.drafts.save(ctx.draft);
  pages.keepDraftCookie(reply, ctx.p, ctx.service.definition.id, ctx.draft.id);
}

export function registerRows(pages: ApplicantPages, uploads: StepUploads): void {
  const { app } = pages;
  const show = async (req: Req, reply: FastifyReply) => {
    const ctx = await rowContext(pages, req, reply, 'edit');
    if (!ctx) return;
    return renderRow(pages, req, reply, ctx.draft, ctx.p, ctx.service, ctx.step, ctx.target, ctx.draft.data, { errors: new Map(), parsed: new Map() });
  };
  for (const path of ['/:tenant/:service/:step/:row', '/:tenant/:service/:step/:row/:sub/:subrow']) {
    app.get<RouteTypes>(path, show);
    app.post<RouteTypes>(path, { preHandler: uploads.csrfUnlessMultipart }, async (req: Req, reply) => postRow(pages, uploads, req, reply));
  }
}
