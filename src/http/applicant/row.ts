/**
 * One row of a repeatable group (forms/fields/group.ts) on its own page, /<step>/<n> with
 * n = 1 … rows + 1 (the next one adds a row): showing, saving and removing it.
 */
import type { FastifyReply } from 'fastify';
import { conditionHolds, visibleSteps, type FormStep } from '../../forms/definition.js';
import type { ConditionEnv } from '../../forms/conditions.js';
import { bindRow, rowsOf, rowTitle } from '../../forms/fields/group.js';
import type { FormField, StepFiles } from '../../forms/fields/kind.js';
import { getAt } from '../../forms/pointer.js';
import { t } from '../../forms/text.js';
import { processRow, removeRow, summarise } from '../../forms/validate.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { partsFailure, type PartsResult } from '../upload-parts.js';
import { draftExpiry, type DraftExpiry } from './draft.js';
import { removeFileAction } from './file-removal.js';
import { fieldViews, groupOf, previousHref, REVEAL_SCRIPTS, stepTotal, type StepState } from './fields.js';
import { stepContext } from './logic.js';
import type { ApplicantPages, Req, RouteTypes, ServiceContext } from './request.js';
import { failedReply, referenced, refusedStatus, type StepUploads } from './uploads.js';
import { berlinToday, formOf, serviceTitle, type PageEnv, type PageView } from './view.js';

/**
 * One row of a group on its own page (/<step>/<n>): the item fields bound to that row, titled
 * with the row's name. Back leads to the list of rows, or before the group when it has none yet.
 */
export function rowView(env: PageEnv, service: LoadedService, step: FormStep, group: FormField, index: number, data: Record<string, unknown>, state: StepState, opts: { fromCheck: boolean; csrf: string; status?: number; conditions: ConditionEnv; draftExpiry?: DraftExpiry }): PageView {
  const id = service.definition.id;
  const steps = visibleSteps(formOf(env.tenant, id), data, opts.conditions);
  const position = steps.findIndex((s) => s.id === step.id);
  const stepHref = `${env.base}/${id}/${step.id}`;
  const query = opts.fromCheck ? '?zurueck=pruefen' : '';
  // As on a step: a field whose condition reads its own row is rendered and revealed by the browser.
  const bound = bindRow(group, index).filter((f) => f.controls.length > 0 || conditionHolds(f.showIf, data, opts.conditions));
  const title = rowTitle(group, index, env.lang);
  const errorSummary = summarise(bound, state.errors);
  const hasRows = rowsOf(getAt(data, group.pointer)).length > 0;
  const back = opts.fromCheck ? `${env.base}/${id}/pruefen` : hasRows ? stepHref : previousHref(env, id, steps, position, false);
  const rowFields = fieldViews(env, bound, data, state, { stepHref, query }, opts.conditions);
  return {
    template: 'step', title: `${title} – ${t(step.title, env.lang)} – ${serviceTitle(env, id)}`, status: opts.status ?? 200,
    context: {
      serviceTitle: serviceTitle(env, id), stepTitle: title, stepIntro: t(group.hint, env.lang), stepNumber: position + 1, stepCount: stepTotal(formOf(env.tenant, id), steps),
      fields: rowFields, multipart: rowFields.some((f) => f.multipart === true), errorSummary: errorSummary.length > 0 ? errorSummary : undefined, backHref: back,
      action: `${stepHref}/${index + 1}${query}`, csrf: opts.csrf, draftExpiry: opts.draftExpiry,
      scripts: rowFields.some((f) => f.reveal) ? REVEAL_SCRIPTS : undefined,
    },
  };
}

export function renderRow(pages: ApplicantPages, req: Req, reply: FastifyReply, draft: Draft, p: PageEnv, service: LoadedService, step: FormStep, group: FormField, index: number, data: Record<string, unknown>, state: StepState, status = 200) {
  const conditions = stepContext(p, pages.rt.places, service, berlinToday(), data).conditions;
  const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
  return pages.send(reply, p, rowView(p, service, step, group, index, data, state, { fromCheck: req.query.zurueck === 'pruefen', csrf: reply.generateCsrf(), status, conditions, draftExpiry: expiry }));
}

interface RowContext extends ServiceContext {
  step: FormStep;
  group: FormField;
  index: number;
}

/**
 * The draft, step and group of a row page. `edit` accepts rows 1 … rows + 1 (the next one adds a
 * row) up to maxItems; `remove` only existing rows. Anything else is not found.
 */
async function rowContext(pages: ApplicantPages, req: Req, reply: FastifyReply, use: 'edit' | 'remove'): Promise<RowContext | undefined> {
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return undefined;
  const conditions = stepContext(ctx.p, pages.rt.places, ctx.service, berlinToday(), ctx.draft.data).conditions;
  const step = visibleSteps(formOf(ctx.p.tenant, ctx.service.definition.id), ctx.draft.data, conditions).find((s) => s.id === req.params.step);
  const group = step && groupOf(step, ctx.draft.data, conditions);
  const number = /^[1-9][0-9]{0,5}$/.test(req.params.row ?? '') ? Number(req.params.row) : 0;
  const count = group ? rowsOf(getAt(ctx.draft.data, group.pointer)).length : 0;
  const limit = use === 'remove' ? count : Math.min(count + 1, group?.group?.maxItems ?? 0);
  if (!step || !group || number < 1 || number > limit) {
    await pages.notFound(reply, ctx.p);
    return undefined;
  }
  return { ...ctx, step, group, index: number - 1 };
}

/** Saves a posted row: a row may hold file fields (a dog's certificate), uploaded like a step's, named by the row. */
async function postRow(pages: ApplicantPages, uploads: StepUploads, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const post = await uploads.begin(req, reply);
  if (post === false) return reply;
  if (!post && await removeFileAction(pages, req, reply)) return reply;
  const ctx = await rowContext(pages, req, reply, 'edit');
  if (!ctx) return;
  const { p, service, draft, step, group, index } = ctx;
  let upload: PartsResult | undefined;
  try {
    upload = post ? await uploads.read(req, post, p.tenant, service, step, draft) : undefined;
  } catch (err) {
    const failed = partsFailure(err, step);
    if (!failed) throw err;
    return renderRow(pages, req, failedReply(reply, failed.status), draft, p, service, step, group, index, draft.data, { errors: new Map([[failed.pointer, t(failed.message, p.lang)]]), parsed: new Map() }, failed.status);
  }
  const files: StepFiles | undefined = upload ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: upload.uploaded }
    : group.group?.items.some((f) => f.kind.name === 'file') ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: new Map() } : undefined;
  const outcome = processRow(service, group, index, draft.data, upload?.body ?? req.body ?? {}, { ...stepContext(p, rt.places, service, berlinToday(), draft.data), files });
  if (outcome.errors.size > 0) {
    if (upload) await rt.attachments.discard(upload.fresh.filter((f) => !referenced(outcome.data).has(f)));
    return renderRow(pages, req, reply, draft, p, service, step, group, index, outcome.data, outcome, refusedStatus(reply, upload));
  }
  draft.data = outcome.data;
  draft.currentStep = step.id;
  await rt.drafts.save(draft);
  pages.keepDraftCookie(reply, p, service.definition.id, draft.id);
  const fromCheck = req.query.zurueck === 'pruefen';
  return reply.redirect(fromCheck ? `${p.base}/${service.definition.id}/pruefen` : `${p.base}/${service.definition.id}/${step.id}`, 303);
}

export function registerRows(pages: ApplicantPages, uploads: StepUploads): void {
  const { app, rt } = pages;
  app.get<RouteTypes>('/:tenant/:service/:step/:row', async (req: Req, reply) => {
    const ctx = await rowContext(pages, req, reply, 'edit');
    if (!ctx) return;
    return renderRow(pages, req, reply, ctx.draft, ctx.p, ctx.service, ctx.step, ctx.group, ctx.index, ctx.draft.data, { errors: new Map(), parsed: new Map() });
  });

  app.post<RouteTypes>('/:tenant/:service/:step/:row', { preHandler: uploads.csrfUnlessMultipart }, async (req: Req, reply) => postRow(pages, uploads, req, reply));

  app.post<RouteTypes>('/:tenant/:service/:step/:row/entfernen', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await rowContext(pages, req, reply, 'remove');
    if (!ctx) return;
    const { p, service, draft, step, group, index } = ctx;
    draft.data = removeRow(group, index, draft.data);
    draft.currentStep = step.id;
    // A removed row's files go with it, in the save (DraftStore.save).
    await rt.drafts.save(draft);
    pages.keepDraftCookie(reply, p, service.definition.id, draft.id);
    return reply.redirect(`${p.base}/${service.definition.id}/${step.id}${req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : ''}`, 303);
  });
}
