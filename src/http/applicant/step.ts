/**
 * A step of the form: its fields with the answers so far, and saving a posted step (with its
 * files) to the draft before leading on to the next visible step or back to the check page.
 */
import type { FastifyReply } from 'fastify';
import { revealedStep, visibleSteps, type FormStep } from '../../forms/definition.js';
import type { ConditionEnv } from '../../forms/conditions.js';
import { groupMessage, rowsOf } from '../../forms/fields/group.js';
import type { StepFiles } from '../../forms/fields/kind.js';
import { getAt, setAt } from '../../forms/pointer.js';
import { t } from '../../forms/text.js';
import { processStep, summarise } from '../../forms/validate.js';
import { regionOf } from '../../services/region.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { partsFailure, type PartsResult } from '../upload-parts.js';
import { draftExpiry, type DraftExpiry } from './draft.js';
import { removeFileAction } from './file-removal.js';
import { fieldViews, groupOf, onPage, previousHref, removedNotice, REVEAL_SCRIPTS, stepTotal, type Prefilled, type StepState } from './fields.js';
import { stepContext } from './logic.js';
import { gapAfterStep, NO_OFFICE_SEGMENT } from './no-office.js';
import { placeElsewhere } from './place-view.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { renderRow, topRow } from './row.js';
import { failedReply, referenced, refusedStatus, type StepUploads } from './uploads.js';
import { berlinToday, formOf, serviceTitle, type PageEnv, type PageView } from './view.js';

export function stepView(env: PageEnv, service: LoadedService, step: FormStep, data: Record<string, unknown>, state: StepState, opts: { fromCheck: boolean; csrf: string; status?: number; conditions: ConditionEnv; draftExpiry?: DraftExpiry; prefilled?: Prefilled; logoutAction?: string; removed?: string }): PageView {
  const id = service.definition.id;
  const steps = visibleSteps(formOf(env.tenant, id), data, opts.conditions);
  const index = steps.findIndex((s) => s.id === step.id);
  const stepHref = `${env.base}/${id}/${step.id}`;
  const query = opts.fromCheck ? '?zurueck=pruefen' : '';
  // A field whose condition reads this step's own answers is always rendered (explained in its hint)
  // and revealed by the browser; one that reads only earlier answers is decided here.
  const shown = step.fields.filter((f) => onPage(f, step.fields, data, opts.conditions));
  const fields = fieldViews(env, shown, data, state, { stepHref, query }, opts.conditions, opts.prefilled);
  // Errors inside a group's row link to the control on that row's page.
  const errorSummary = summarise(step.fields, state.errors).map((e) => (e.row ? { ...e, url: `${stepHref}/${e.row}${query}#${e.href}` } : e));
  return {
    template: 'step', title: `${t(step.title, env.lang)} – ${serviceTitle(env, id)}`, status: opts.status ?? 200,
    context: {
      serviceTitle: serviceTitle(env, id), stepTitle: t(step.title, env.lang), stepIntro: t(step.intro, env.lang), stepNumber: index + 1, stepCount: stepTotal(formOf(env.tenant, id), steps),
      fields, multipart: fields.some((f) => f.multipart === true), errorSummary: errorSummary.length > 0 ? errorSummary : undefined, backHref: previousHref(env, id, steps, index, opts.fromCheck),
      action: `${stepHref}${query}`, csrf: opts.csrf, draftExpiry: opts.draftExpiry, notice: removedNotice(env, shown.filter((f) => f.group), opts.removed), logoutAction: opts.logoutAction, logoutLabel: opts.logoutAction ? (env.lang === 'en' ? 'Log out' : 'Abmelden') : undefined,
      scripts: fields.some((f) => f.reveal) ? REVEAL_SCRIPTS : undefined,
    },
  };
}

function renderStep(pages: ApplicantPages, req: Req, reply: FastifyReply, draft: Draft, p: PageEnv, service: LoadedService, step: FormStep, data: Record<string, unknown>, state: StepState, status = 200) {
  const conditions = stepContext(p, pages.rt.places, service, berlinToday(), data).conditions;
  const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
  const account = draft.account ? { prefilled: draft.accountMeta?.prefilled, logoutAction: `${p.base}/${service.definition.id}/abmelden` } : {};
  return pages.send(reply, p, stepView(p, service, step, data, state, { fromCheck: req.query.zurueck === 'pruefen', csrf: reply.generateCsrf(), status, conditions, draftExpiry: expiry, removed: req.query.entfernt, ...account }));
}

async function showStep(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return;
  const conditions = stepContext(ctx.p, pages.rt.places, ctx.service, berlinToday(), ctx.draft.data).conditions;
  const step = visibleSteps(formOf(ctx.p.tenant, ctx.service.definition.id), ctx.draft.data, conditions).find((s) => s.id === req.params.step);
  if (!step) return pages.notFound(reply, ctx.p);
  const group = groupOf(step, ctx.draft.data, conditions);
  // "Add another" starts with the first row's questions while a group needs rows and has none.
  if (group && group.group && group.group.minItems > 0 && rowsOf(getAt(ctx.draft.data, group.pointer)).length === 0) {
    return renderRow(pages, req, reply, ctx.draft, ctx.p, ctx.service, step, topRow(ctx.p, ctx.service.definition.id, step, group, 0), ctx.draft.data, { errors: new Map(), parsed: new Map() }, 200, true);
  }
  return renderStep(pages, req, reply, ctx.draft, ctx.p, ctx.service, step, ctx.draft.data, { errors: new Map(), parsed: new Map() });
}

async function postStep(pages: ApplicantPages, uploads: StepUploads, req: Req, reply: FastifyReply) {
  const { rt } = pages;
  const post = await uploads.begin(req, reply);
  if (post === false) return reply;
  if (!post && await removeFileAction(pages, req, reply)) return reply;
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return;
  const { p, service, draft } = ctx;
  const id = service.definition.id;
  const form = formOf(p.tenant, id);
  const stepCtx = stepContext(p, rt.places, service, berlinToday(), draft.data);
  const step = visibleSteps(form, draft.data, stepCtx.conditions).find((s) => s.id === req.params.step);
  if (!step) return pages.notFound(reply, p);
  const group = groupOf(step, draft.data, stepCtx.conditions);
  if (group?.group && !post && req.body?.aktion === 'hinzufuegen') {
    const count = rowsOf(getAt(draft.data, group.pointer)).length;
    if (count < group.group.maxItems) return reply.redirect(`${p.base}/${id}/${step.id}/${count + 1}${req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : ''}`, 303);
    const errors = new Map([[group.pointer, t(groupMessage(group, 'maxItems'), p.lang)]]);
    return renderStep(pages, req, reply, draft, p, service, step, draft.data, { errors, parsed: new Map() }, 400);
  }
  let upload: PartsResult | undefined;
  try {
    upload = post ? await uploads.read(req, post, p.tenant, service, step, draft) : undefined;
  } catch (err) {
    const failed = partsFailure(err, step);
    if (!failed) throw err;
    return renderStep(pages, req, failedReply(reply, failed.status), draft, p, service, step, draft.data, { errors: new Map([[failed.pointer, t(failed.message, p.lang)]]), parsed: new Map() }, failed.status);
  }
  const files: StepFiles | undefined = upload ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: upload.uploaded }
    : step.fields.some((f) => f.kind.name === 'file') ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: new Map() } : undefined;
  const outcome = processStep(service, step, draft.data, upload?.body ?? req.body ?? {}, { ...stepCtx, files });
  const regionBefore = regionOf(service, draft.data);
  keepLocked(draft, outcome.data);
  if (outcome.errors.size > 0) {
    // Uploads of this post that the answer does not keep (refused, one too many) are not stored.
    if (upload) await rt.attachments.discard(upload.fresh.filter((f) => !referenced(outcome.data).has(f)));
    return renderStep(pages, req, reply, draft, p, service, step, outcome.data, outcome, refusedStatus(reply, upload));
  }
  // Only valid answers are saved, so a resumed draft never holds what the applicant was told is wrong.
  draft.data = outcome.data;
  const conditions = stepContext(p, rt.places, service, berlinToday(), draft.data).conditions;
  const steps = visibleSteps(form, draft.data, conditions);
  const next = steps[steps.findIndex((s) => s.id === step.id) + 1];
  // From the check page: through the steps this change revealed first (forms/definition.ts revealedStep).
  const revealed = req.query.zurueck === 'pruefen' ? revealedStep(form, step.id, draft.data, conditions) : undefined;
  // A place the service does not take here: straight to the check page, which says where to apply.
  draft.currentStep = revealed ? revealed.id : next && req.query.zurueck !== 'pruefen' && !placeElsewhere(p.tenant, service, draft.data) ? next.id : 'pruefen';
  // Removed and replaced files go at once, in the save's transaction (DraftStore.save).
  await rt.drafts.save(draft);
  pages.keepDraftCookie(reply, p, service.definition.id, draft.id);
  // The answers just named a place with no office connected: said now, not after every other step.
  if (regionOf(service, draft.data) !== regionBefore && gapAfterStep(pages, p, service, draft.data)) return reply.redirect(`${p.base}/${id}/${NO_OFFICE_SEGMENT}`, 303);
  return reply.redirect(`${p.base}/${id}/${draft.currentStep}${revealed ? '?zurueck=pruefen' : ''}`, 303);
}

/** Answers the account vouches for stay as they were, whatever a (forged) post says. */
function keepLocked(draft: Draft, data: Record<string, unknown>): void {
  for (const [pointer, entry] of Object.entries(draft.accountMeta?.prefilled ?? {})) {
    if (!entry.editable) setAt(data, pointer, getAt(draft.data, pointer));
  }
}

export function registerStep(pages: ApplicantPages, uploads: StepUploads): void {
  pages.app.get<RouteTypes>('/:tenant/:service/:step', async (req: Req, reply) => showStep(pages, req, reply));
  pages.app.post<RouteTypes>('/:tenant/:service/:step', { preHandler: uploads.csrfUnlessMultipart }, async (req: Req, reply) => postStep(pages, uploads, req, reply));
}
