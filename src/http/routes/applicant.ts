import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fastifyMultipart, { type Multipart } from '@fastify/multipart';
import { fileRefsIn } from '../../attachments/references.js';
import { clientWindow, StorageQuotas, type DraftLimits } from '../../attachments/quotas.js';
import { declaredLimits } from '../../forms/upload-limits.js';
import { asClientError, partsFailure, readUploadParts, refusalStatus, type PartsResult } from '../upload-parts.js';
import { allowUpload, contentLengthOf, uploadDeadlineMs } from '../upload-timeouts.js';
import { placeElsewhere } from '../place-view.js';
import { fileRulesOf, type FieldFileRules } from '../../forms/fields/file.js';
import { schemaThroughArrays } from '../../forms/pointer.js';
import { NoEndpointError, NoResponsibleAuthorityError } from '../../core/errors.js';
import { conditionHolds, visibleSteps, type FormStep } from '../../forms/definition.js';
import type { ConditionEnv } from '../../forms/conditions.js';
import { groupMessage, rowsOf } from '../../forms/fields/group.js';
import type { Body, FormField, StepFiles } from '../../forms/fields/kind.js';
import { getAt } from '../../forms/pointer.js';
import type { Renderer } from '../../forms/render.js';
import { isLang, negotiateLang, t, type Lang } from '../../forms/text.js';
import { processRow, processStep, pruneHidden, removeRow, validateAll } from '../../forms/validate.js';
import type { Runtime } from '../../runtime.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { resolveResponsible, storeSubmission, DraftGoneError } from '../../submissions/submit.js';
import { cookieWithKey, isStatusKey, keysInCookie, matchesStatusKey, newStatusKey, statusKeyHash, STATUS_COOKIE } from '../../submissions/status-key.js';
import type { Tenant, TenantAsset } from '../../tenants/registry.js';
import type { Authority } from '../../routing/types.js';
import {
  checkSections, checkView, confirmationView, draftExpiredView, draftExpiry, errorView, formOf, homeView, LEGAL_PAGES, legalView, renderPage, rowView, saveForLaterView,
  startView, statusView, stepContext, stepView, NEUTRAL_FAVICON, authorityName, type AuthorityView, type PageEnv, type PageView, type StepState, type SubmissionFacts, uiOf,
} from '../pages.js';
import type { ReceiptInput, ReceiptSection } from '../receipt-pdf.js';

/** The receipt's path below a status page (/<tenant>/status/<key>/…). */
export const RECEIPT_FILE = 'eingangsbestaetigung.pdf';

/** Set by the app's URL rewrite when the request's host selected the tenant. */
export const TENANT_OF_HOST = Symbol('efa.tenantOfHost');

interface Options {
  rt: Runtime;
  renderer: Renderer;
  receiverUrl?: string;
}

type Page = PageEnv;

type RouteTypes = { Params: Record<string, string>; Querystring: Record<string, string>; Body: Body };
type Req = FastifyRequest<RouteTypes>;

const RESERVED = new Set(['status', ...LEGAL_PAGES.map((p) => p.slug), 'theme.css', 'logo.svg', 'favicon.ico']);
/** The theme may change with a deploy; browsers revalidate after this (cheaply: 304 by ETag). */
const ASSET_MAX_AGE = 300;

export async function applicantRoutes(app: FastifyInstance, { rt, renderer, receiverUrl }: Options): Promise<void> {
  // Only the applicant pages take multipart (step forms with file fields); the APIs keep refusing it.
  // Files stream into the attachment store, never whole in memory. Busboy stops passing a file's
  // bytes one past the ceiling; each field's own limit is checked while it streams.
  await app.register(fastifyMultipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: rt.config.uploads.maxBytes + 1, files: 100, fields: 1000, fieldSize: 64 * 1024, parts: 1100, headerPairs: 100 },
  });
  // Upload quotas (docs/operations.md, "Uploads: scanner and limits"): checked before a file's first byte is stored.
  const storageQuotas = new StorageQuotas(rt.db, rt.config.uploads);
  const uploadWindow = clientWindow(rt.config.uploads, { url: rt.config.redisUrl, prefix: rt.config.delivery.queuePrefix, connectTimeoutMs: rt.config.ops.redisConnectTimeoutMs }, app.log);
  app.addHook('onClose', async () => uploadWindow.close());
  const draftLimits = new Map<string, DraftLimits>();

  // ---- page helpers -------------------------------------------------------------------------
  function page(req: Req, reply: FastifyReply): Page | undefined {
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    if (!tenant) return undefined;
    const byHost = (req.raw as { [TENANT_OF_HOST]?: string })[TENANT_OF_HOST];
    return { tenant, base: byHost ? '' : `/${tenant.id}`, lang: languageOf(req, reply, tenant), url: req.url };
  }

  /**
   * ?lang= switches and is remembered in a cookie; without either, the browser's Accept-Language
   * decides among the tenant's languages; German otherwise.
   */
  function languageOf(req: Req, reply: FastifyReply, tenant: Tenant): Lang {
    const offered = tenant.languages;
    const requested = req.query.lang;
    if (isLang(requested) && offered.includes(requested)) {
      void reply.setCookie('efa_lang', requested, { path: '/', httpOnly: true, sameSite: 'lax', secure: rt.config.production, maxAge: 365 * 86400 });
      return requested;
    }
    const remembered = req.cookies.efa_lang;
    if (isLang(remembered) && offered.includes(remembered)) return remembered;
    return negotiateLang(req.headers['accept-language'], offered) ?? 'de';
  }

  function send(reply: FastifyReply, p: Page, view: PageView) {
    return reply.code(view.status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-language', p.lang).header('vary', 'Accept-Language, Cookie')
      .send(renderPage(renderer, p, view));
  }

  function notFound(reply: FastifyReply, p: Page | undefined) {
    // No such Land: the app's not-found handler answers (a neutral text, or JSON under /_efa/).
    if (!p) return reply.callNotFound();
    return send(reply, p, errorView(p, 'notFound', `${p.base}/`, 404));
  }

  function serviceOf(p: Page, id: string | undefined): LoadedService | undefined {
    if (!id || !(id in p.tenant.services)) return undefined;
    return rt.services.get(id);
  }

  const cookieName = (serviceId: string) => `efa_draft_${serviceId}`;
  const cookiePath = (p: Page, serviceId: string) => `${p.base}/${serviceId}`;
  const authorityOf = (service: LoadedService) => (data: Record<string, unknown>) => resolveResponsible(rt.routing, service, data).authority;

  /** The draft cookie lives as long as the draft: each save extends both by the TTL. */
  function keepDraftCookie(reply: FastifyReply, p: Page, serviceId: string, draftId: string): void {
    void reply.setCookie(cookieName(serviceId), draftId, { signed: true, httpOnly: true, sameSite: 'lax', secure: rt.config.production ? true : 'auto', path: cookiePath(p, serviceId), maxAge: rt.config.draftTtlDays * 86400 });
  }

  async function draftOf(req: Req, p: Page, serviceId: string): Promise<Draft | undefined> {
    const raw = req.cookies[cookieName(serviceId)];
    if (!raw) return undefined;
    const unsigned = req.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    return rt.drafts.find(unsigned.value, p.tenant.id, serviceId);
  }

  /** Serves a tenant asset with an ETag, so a revalidation costs a 304 and no body. */
  function sendAsset(req: Req, reply: FastifyReply, asset: TenantAsset | undefined, type: string) {
    if (!asset) return reply.code(404).send();
    void reply.header('etag', asset.etag).header('cache-control', `public, max-age=${ASSET_MAX_AGE}`);
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(type).send(asset.body);
  }

  // ---- tenant-wide pages --------------------------------------------------------------------
  app.get<RouteTypes>('/', async (req: Req, reply) => {
    if (!rt.config.pathTenants) return reply.code(404).send('404');
    const tenants = [...rt.tenants.values()].map((tn) => ({
      name: t(tn.name, 'de'), href: `/${tn.id}/`,
      services: [...tn.serviceTexts].map(([id, texts]) => ({ title: t(texts.title, 'de'), href: `/${tn.id}/${id}` })),
    }));
    const first = [...rt.tenants.values()][0] as Tenant;
    return send(reply, { tenant: first, base: `/${first.id}`, lang: 'de', url: req.url }, { template: 'index', title: 'efa-runtime', context: { tenants, receiverUrl }, status: 200 });
  });

  app.all('/_efa/unknown-host/*', async (_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 – unbekannter Host / unknown host'));

  for (const path of ['/:tenant', '/:tenant/']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const p = page(req, reply);
      if (!p) return notFound(reply, p);
      return send(reply, p, homeView(p));
    });
  }

  app.get<RouteTypes>('/:tenant/theme.css', async (req: Req, reply) => sendAsset(req, reply, rt.tenants.get(req.params.tenant ?? '')?.stylesheet, 'text/css; charset=utf-8'));
  app.get<RouteTypes>('/:tenant/logo.svg', async (req: Req, reply) => sendAsset(req, reply, rt.tenants.get(req.params.tenant ?? '')?.logoSvg, 'image/svg+xml'));
  // Browsers ask a host for /favicon.ico without reading the page: the Land's logo, else the neutral mark.
  app.get<RouteTypes>('/:tenant/favicon.ico', async (req: Req, reply) => {
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    if (tenant?.logoSvg) return sendAsset(req, reply, tenant.logoSvg, 'image/svg+xml');
    return tenant ? reply.redirect(NEUTRAL_FAVICON, 302) : reply.callNotFound();
  });

  for (const { slug, key } of LEGAL_PAGES) {
    app.get<RouteTypes>(`/:tenant/${slug}`, async (req: Req, reply) => {
      const p = page(req, reply);
      if (!p) return notFound(reply, p);
      return send(reply, p, legalView(p, key));
    });
  }

  // The status page and the receipt are for the holder of the status key (the link from the
  // confirmation page) or for the browser that submitted (its cookie holds the key). A submission id
  // alone (an old status link, a message id, an idempotency key) gets a page saying so, for any id.
  app.get<RouteTypes>('/:tenant/status/:key', async (req: Req, reply) => {
    const p = page(req, reply);
    if (!p) return notFound(reply, p);
    const access = await statusAccess(req, p);
    if (!access) return notFound(reply, p);
    if (access === 'key-needed') return send(reply, p, keyNeededView(p));
    const { row, key } = access;
    return send(reply, p, withProgress(p, statusView(p, applicantFacts(p, row, key)), row, rt.routing.authorities.get(row.authority_id)?.contact));
  });

  app.get<RouteTypes>(`/:tenant/status/:key/${RECEIPT_FILE}`, async (req: Req, reply) => {
    const p = page(req, reply);
    if (!p) return notFound(reply, p);
    const access = await statusAccess(req, p);
    if (access === 'key-needed') return send(reply, p, keyNeededView(p));
    const service = access && rt.services.get(access.row.service_id);
    if (!access || !service) return notFound(reply, p);
    const { row, key } = access;
    // PDFKit, fontkit and the fonts load on the first receipt, not at every start of the API.
    const { receiptPdf } = await import('../receipt-pdf.js');
    const pdf = await receiptPdf(receiptInput(p, service, row, key, row.payload_purged_at ? undefined : await applicantCopyOf(row.id)));
    const name = `${p.lang === 'en' ? 'Receipt' : 'Eingangsbestaetigung'}-${row.reference.replace(/[^A-Za-z0-9-]/g, '')}.pdf`;
    return reply.code(200).type('application/pdf').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store')
      .header('content-language', p.lang).header('vary', 'Accept-Language, Cookie').header('x-robots-tag', 'noindex').send(pdf);
  });

  // ---- one service ---------------------------------------------------------------------------
  for (const path of ['/:tenant/:service', '/:tenant/:service/']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const p = page(req, reply);
      const service = p && serviceOf(p, req.params.service);
      if (!p || !service) return notFound(reply, p);
      const id = service.definition.id;
      const draft = await draftOf(req, p, id);
      const resumeStep = draft ? (draft.currentStep ?? formOf(p.tenant, id).steps[0]?.id) : undefined;
      return send(reply, p, startView(p, service, { today: berlinToday(), resumeHref: resumeStep ? `${p.base}/${id}/${resumeStep}` : undefined, csrf: reply.generateCsrf() }));
    });
  }

  app.post<RouteTypes>('/:tenant/:service/start', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const p = page(req, reply);
    const service = p && serviceOf(p, req.params.service);
    if (!p || !service) return notFound(reply, p);
    const id = service.definition.id;
    const draft = await rt.drafts.create(p.tenant.id, id, service.definition.version);
    keepDraftCookie(reply, p, id, draft.id);
    const first = formOf(p.tenant, id).steps[0] as FormStep;
    return reply.redirect(`${p.base}/${id}/${first.id}`, 303);
  });

  app.get<RouteTypes>('/:tenant/:service/speichern', async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const { p, service, draft } = ctx;
    const id = service.definition.id;
    const resume = draft.currentStep ?? (formOf(p.tenant, id).steps[0] as FormStep).id;
    return send(reply, p, saveForLaterView(p, service, { expiresAt: draft.expiresAt, startUrl: `${req.protocol}://${req.host}${p.base}/${id}`, backHref: `${p.base}/${id}/${resume}` }));
  });

  app.get<RouteTypes>('/:tenant/:service/pruefen', async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    return renderCheck(reply, ctx.p, ctx.service, ctx.draft);
  });

  app.post<RouteTypes>('/:tenant/:service/absenden', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const { p, service, draft } = ctx;
    const id = service.definition.id;
    const form = formOf(p.tenant, id);
    const stepCtx = stepContext(p, rt.places, service, berlinToday(), draft.data);
    const data = pruneHidden(form, draft.data, stepCtx.conditions);
    // A place this portal does not take: the page that says where to apply, whatever else is missing.
    if (placeElsewhere(p.tenant, service, data)) return renderCheck(reply, p, service, draft);
    const problem = validateAll(service, form, data, stepCtx);
    if (problem) return send(reply, p, stepView(p, service, problem.step, data, { errors: problem.errors, parsed: new Map() }, { fromCheck: false, csrf: reply.generateCsrf(), status: 400, conditions: stepCtx.conditions }));
    let responsible;
    try {
      responsible = resolveResponsible(rt.routing, service, data);
    } catch (err) {
      if (err instanceof NoResponsibleAuthorityError || err instanceof NoEndpointError) return renderCheck(reply, p, service, draft, 422);
      throw err;
    }
    let record;
    const statusKey = newStatusKey();
    try {
      // The applicant's copy for the receipt: the check page's rows in every language of the Land.
      const sections = Object.fromEntries(p.tenant.languages.map((lang) => [lang, checkSections({ ...p, lang }, service, data, stepCtx.conditions).map((s) => ({ title: s.title, rows: s.rows.map(({ changeHref: _, ...row }) => row) }))]));
      const applicantCopy = (submissionId: string) => rt.drafts.sealApplicantCopy(submissionId, { sections });
      record = await storeSubmission(rt.db, { tenant: p.tenant.id, service, data, logicCtx: stepCtx.logic, responsible, draftId: draft.id, attachments: rt.attachments, applicantCopy, statusKeySha256: statusKey.sha256 });
    } catch (err) {
      if (err instanceof DraftGoneError) return send(reply, p, errorView(p, 'expired', `${p.base}/${id}`, 409));
      throw err;
    }
    rt.metrics.submissions.inc({ tenant: p.tenant.id, service: id });
    if (record.deliveryMode === 'push') rt.dispatch(record.id);
    void reply.clearCookie(cookieName(id), { path: cookiePath(p, id) });
    keepStatusCookie(req, reply, p, statusKey.key);
    return reply.redirect(`${p.base}/${id}/bestaetigung/${record.id}`, 303);
  });

  app.get<RouteTypes>('/:tenant/:service/bestaetigung/:id', async (req: Req, reply) => {
    const p = page(req, reply);
    const service = p && serviceOf(p, req.params.service);
    if (!p || !service) return notFound(reply, p);
    // Only in the browser that submitted: the id in this address is no secret.
    const access = await accessByCookie(req, p, req.params.id ?? '');
    if (!access) return send(reply, p, keyNeededView(p));
    const { row, key } = access;
    if (row.service_id !== service.definition.id) return notFound(reply, p);
    return send(reply, p, withoutFactsOncePurged(row, confirmationView(p, service, { ...applicantFacts(p, row, key), statusHref: `${p.base}/status/${key}` })));
  });

  app.get<RouteTypes>('/:tenant/:service/:step', async (req: Req, reply) => {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const conditions = stepContext(ctx.p, rt.places, ctx.service, berlinToday(), ctx.draft.data).conditions;
    const step = visibleSteps(formOf(ctx.p.tenant, ctx.service.definition.id), ctx.draft.data, conditions).find((s) => s.id === req.params.step);
    if (!step) return notFound(reply, ctx.p);
    const group = groupOf(step, ctx.draft.data, conditions);
    // "Add another" starts with the first row's questions while a group needs rows and has none.
    if (group && group.group && group.group.minItems > 0 && rowsOf(getAt(ctx.draft.data, group.pointer)).length === 0) {
      return renderRow(req, reply, ctx.draft, ctx.p, ctx.service, step, group, 0, ctx.draft.data, { errors: new Map(), parsed: new Map() });
    }
    return renderStep(req, reply, ctx.draft, ctx.p, ctx.service, step, ctx.draft.data, { errors: new Map(), parsed: new Map() });
  });

  // A multipart post (a step or row with file fields) is checked for CSRF in the handler, from its
  // first part, before any file is read; every other post before the handler, as usual.
  const csrfUnlessMultipart: preHandlerHookHandler = function (req, reply, done) {
    if (req.isMultipart()) return done();
    return app.csrfProtection.call(this, req, reply, done);
  };

  // ---- rows of a repeatable group (fields/group.ts): /<step>/<n>, n = 1 … rows + 1 ------------
  app.get<RouteTypes>('/:tenant/:service/:step/:row', async (req: Req, reply) => {
    const ctx = await rowContext(req, reply, 'edit');
    if (!ctx) return;
    return renderRow(req, reply, ctx.draft, ctx.p, ctx.service, ctx.step, ctx.group, ctx.index, ctx.draft.data, { errors: new Map(), parsed: new Map() });
  });

  app.post<RouteTypes>('/:tenant/:service/:step/:row', { preHandler: csrfUnlessMultipart }, async (req: Req, reply) => {
    const deadline = req.isMultipart() ? uploadDeadline(req, reply) : undefined;
    const parts = req.isMultipart() ? multipartAfterCsrf(req, reply) : undefined;
    if (parts && !(await parts)) return reply;
    const ctx = await rowContext(req, reply, 'edit');
    if (!ctx) return;
    const { p, service, draft, step, group, index } = ctx;
    // A row may hold file fields (a dog's certificate): uploaded like a step's, named by the row.
    let upload: PartsResult | undefined;
    try {
      upload = parts ? await readParts(req, (await parts) as AsyncIterableIterator<Multipart>, p.tenant, service, step, draft, deadline as AbortSignal) : undefined;
    } catch (err) {
      const failed = partsFailure(err, step);
      if (!failed) throw err;
      return renderRow(req, failedReply(reply, failed.status), draft, p, service, step, group, index, draft.data, { errors: new Map([[failed.pointer, t(failed.message, p.lang)]]), parsed: new Map() }, failed.status);
    }
    const files: StepFiles | undefined = upload ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: upload.uploaded }
      : group.group?.items.some((f) => f.kind.name === 'file') ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: new Map() } : undefined;
    const outcome = processRow(service, group, index, draft.data, upload?.body ?? req.body ?? {}, { ...stepContext(p, rt.places, service, berlinToday(), draft.data), files });
    if (outcome.errors.size > 0) {
      if (upload) await rt.attachments.discard(upload.fresh.filter((f) => !referenced(outcome.data).has(f)));
      return renderRow(req, reply, draft, p, service, step, group, index, outcome.data, outcome, refusedStatus(reply, upload));
    }
    draft.data = outcome.data;
    draft.currentStep = step.id;
    await rt.drafts.save(draft);
    keepDraftCookie(reply, p, service.definition.id, draft.id);
    const fromCheck = req.query.zurueck === 'pruefen';
    return reply.redirect(fromCheck ? `${p.base}/${service.definition.id}/pruefen` : `${p.base}/${service.definition.id}/${step.id}`, 303);
  });

  app.post<RouteTypes>('/:tenant/:service/:step/:row/entfernen', { preHandler: app.csrfProtection }, async (req: Req, reply) => {
    const ctx = await rowContext(req, reply, 'remove');
    if (!ctx) return;
    const { p, service, draft, step, group, index } = ctx;
    draft.data = removeRow(group, index, draft.data);
    draft.currentStep = step.id;
    // A removed row's files go with it, in the save (DraftStore.save).
    await rt.drafts.save(draft);
    keepDraftCookie(reply, p, service.definition.id, draft.id);
    return reply.redirect(`${p.base}/${service.definition.id}/${step.id}${req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : ''}`, 303);
  });

  app.post<RouteTypes>('/:tenant/:service/:step', { preHandler: csrfUnlessMultipart }, async (req: Req, reply) => {
    const deadline = req.isMultipart() ? uploadDeadline(req, reply) : undefined;
    const parts = req.isMultipart() ? multipartAfterCsrf(req, reply) : undefined;
    if (parts && !(await parts)) return reply;
    const ctx = await serviceContext(req, reply);
    if (!ctx) return;
    const { p, service, draft } = ctx;
    const id = service.definition.id;
    const form = formOf(p.tenant, id);
    const stepCtx = stepContext(p, rt.places, service, berlinToday(), draft.data);
    const step = visibleSteps(form, draft.data, stepCtx.conditions).find((s) => s.id === req.params.step);
    if (!step) return notFound(reply, p);
    const group = groupOf(step, draft.data, stepCtx.conditions);
    if (group?.group && !parts && req.body?.aktion === 'hinzufuegen') {
      const count = rowsOf(getAt(draft.data, group.pointer)).length;
      if (count < group.group.maxItems) return reply.redirect(`${p.base}/${id}/${step.id}/${count + 1}${req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : ''}`, 303);
      const errors = new Map([[group.pointer, t(groupMessage(group, 'maxItems'), p.lang)]]);
      return renderStep(req, reply, draft, p, service, step, draft.data, { errors, parsed: new Map() }, 400);
    }
    let upload: PartsResult | undefined;
    try {
      upload = parts ? await readParts(req, (await parts) as AsyncIterableIterator<Multipart>, p.tenant, service, step, draft, deadline as AbortSignal) : undefined;
    } catch (err) {
      const failed = partsFailure(err, step);
      if (!failed) throw err;
      return renderStep(req, failedReply(reply, failed.status), draft, p, service, step, draft.data, { errors: new Map([[failed.pointer, t(failed.message, p.lang)]]), parsed: new Map() }, failed.status);
    }
    const files: StepFiles | undefined = upload ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: upload.uploaded }
      : step.fields.some((f) => f.kind.name === 'file') ? { stored: await rt.attachments.draftFiles(draft.id), uploaded: new Map() } : undefined;
    const outcome = processStep(service, step, draft.data, upload?.body ?? req.body ?? {}, { ...stepCtx, files });
    if (outcome.errors.size > 0) {
      // Uploads of this post that the answer does not keep (refused, one too many) are not stored.
      if (upload) await rt.attachments.discard(upload.fresh.filter((f) => !referenced(outcome.data).has(f)));
      return renderStep(req, reply, draft, p, service, step, outcome.data, outcome, refusedStatus(reply, upload));
    }
    // Only valid answers are saved, so a resumed draft never holds what the applicant was told is wrong.
    draft.data = outcome.data;
    const steps = visibleSteps(form, draft.data, stepContext(p, rt.places, service, berlinToday(), draft.data).conditions);
    const next = steps[steps.findIndex((s) => s.id === step.id) + 1];
    // A place the service does not take here: straight to the check page, which says where to apply.
    draft.currentStep = next && req.query.zurueck !== 'pruefen' && !placeElsewhere(p.tenant, service, draft.data) ? next.id : 'pruefen';
    // Removed and replaced files go at once, in the save's transaction (DraftStore.save).
    await rt.drafts.save(draft);
    keepDraftCookie(reply, p, service.definition.id, draft.id);
    return reply.redirect(`${p.base}/${id}/${draft.currentStep}`, 303);
  });

  /**
   * The `_csrf` field must be the first part (the step form renders it first, and browsers send
   * parts in document order); it is checked before anything else of the body is read.
   */
  async function multipartAfterCsrf(req: Req, reply: FastifyReply): Promise<AsyncIterableIterator<Multipart> | undefined> {
    const parts = req.parts();
    // A body that says multipart and is not: a 400 page (MalformedFormError), not a 500.
    const first = await parts.next().catch((err: unknown) => {
      throw asClientError(err);
    });
    const token = !first.done && first.value.type === 'field' && first.value.fieldname === '_csrf' ? String(first.value.value) : '';
    (req as { body: unknown }).body = { _csrf: token };
    let ok = false;
    app.csrfProtection.call(app, req, reply, () => { ok = true; });
    return ok ? parts : undefined;
  }

  /** Reads the remaining parts: fields into a body, files through the quotas and the attachment store as they stream. */
  async function readParts(req: Req, parts: AsyncIterableIterator<Multipart>, tenant: Tenant, service: LoadedService, step: FormStep, draft: Draft, deadline: AbortSignal): Promise<PartsResult> {
    const id = service.definition.id;
    const key = `${tenant.id}/${id}`;
    let draftLimit = draftLimits.get(key);
    if (!draftLimit) {
      draftLimit = declaredLimits(formOf(tenant, id).steps.flatMap((s) => s.fields), rt.config.uploads.maxBytes);
      draftLimits.set(key, draftLimit);
    }
    const own = step.fields.map((f) => f.pointer);
    const replaceable = fileRefsIn(draft.data).filter((r) => own.some((o) => r.pointer === o || r.pointer.startsWith(`${o}/`))).map((r) => r.id);
    return readUploadParts(parts, {
      attachments: rt.attachments, storage: storageQuotas, window: uploadWindow, draftId: draft.id, client: req.ip,
      target: (name) => fileTarget(service, step, name), draft: draftLimit, replaceable, contentLength: contentLengthOf(req), deadline,
    });
  }

  /**
   * A multipart step post may take as long as its declared upload needs at EFA_UPLOAD_MIN_RATE (see
   * upload-timeouts.ts). The step is looked up without the draft: this only bounds the time.
   */
  function uploadDeadline(req: Req, reply: FastifyReply): AbortSignal {
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    const form = tenant && req.params.service && req.params.service in tenant.services ? tenant.forms.get(req.params.service) : undefined;
    const step = form?.steps.find((s) => s.id === req.params.step);
    const declared = step ? declaredLimits(step.fields, rt.config.uploads.maxBytes, false).bytes : 0;
    return allowUpload(req, reply, uploadDeadlineMs(rt.config.ops.httpRequestTimeoutMs, declared, contentLengthOf(req), rt.config.uploads.minRateKbit));
  }

  /** A quota refusal answers 413 (no room) or 429 (too much from this client, with Retry-After); other refusals 400. */
  function refusedStatus(reply: FastifyReply, upload: PartsResult | undefined): number {
    if (!upload) return 400;
    const { status, retryAfterMs } = refusalStatus(upload.uploaded);
    if (retryAfterMs !== undefined) void reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    return status;
  }

  /** The body was not read to its end (timeout, too much text): the connection cannot carry another request. */
  function failedReply(reply: FastifyReply, status: number): FastifyReply {
    return status === 408 ? reply.header('connection', 'close') : reply;
  }

  // ---- submitted applications ------------------------------------------------------------------
  function applicantFacts(p: Page, row: SubmissionView, key: string): SubmissionFacts {
    // The stored name is the German one; the English name comes from the routing data in force.
    const known = rt.routing.authorities.get(row.authority_id);
    const authorityName_ = known ? authorityName({ name: row.authority_name, nameEn: known.nameEn }, p.lang) : row.authority_name;
    return { ...factsOf(row), authorityName: authorityName_, authority: known, receiptHref: `${p.base}/status/${key}/${RECEIPT_FILE}?lang=${p.lang}` };
  }

  /**
   * Who may see a submission through /status/<param>: the holder of its status key, or, for a
   * submission id, the browser whose status cookie holds that submission's key. 'key-needed': an id
   * without that cookie (the same answer whether or not the id exists).
   */
  async function statusAccess(req: Req, p: Page): Promise<StatusAccess | 'key-needed' | undefined> {
    const param = req.params.key ?? '';
    if (isStatusKey(param)) {
      const row = await submissionWhere(rt, p.tenant.id, 'k.key_sha256 = $2', statusKeyHash(param));
      return row ? { row, key: param } : undefined;
    }
    if (!UUID.test(param)) return undefined;
    return (await accessByCookie(req, p, param)) ?? 'key-needed';
  }

  async function accessByCookie(req: Req, p: Page, id: string): Promise<StatusAccess | undefined> {
    const keys = keysInCookie(req.cookies[STATUS_COOKIE]);
    if (keys.length === 0 || !UUID.test(id)) return undefined;
    const row = await submissionWhere(rt, p.tenant.id, 's.id = $2', id);
    const key = row && keys.find((k) => matchesStatusKey(k, row.key_sha256));
    return row && key ? { row, key } : undefined;
  }

  /** The browser that submitted keeps the key in an HttpOnly cookie for this Land's pages only. */
  function keepStatusCookie(req: Req, reply: FastifyReply, p: Page, key: string): void {
    void reply.setCookie(STATUS_COOKIE, cookieWithKey(req.cookies[STATUS_COOKIE], key), {
      httpOnly: true, sameSite: 'lax', secure: rt.config.production ? true : 'auto', path: p.base || '/', maxAge: rt.config.draftTtlDays * 86400,
    });
  }

  function keyNeededView(p: Page): PageView {
    const ui = uiOf(p);
    return { template: 'error', title: ui.statusLinkNeededTitle, context: { message: ui.statusLinkNeeded, homeHref: `${p.base}/` }, status: 404 };
  }

  /** The sections of the applicant's copy, undefined once purged (or unreadable after a key was removed). */
  async function applicantCopyOf(id: string): Promise<Partial<Record<Lang, ReceiptSection[]>> | undefined> {
    const { rows } = await rt.db.query<{ applicant_copy: Uint8Array | null }>('SELECT applicant_copy FROM submissions WHERE id = $1', [id]);
    const blob = rows[0]?.applicant_copy;
    if (!blob || blob.length === 0) return undefined;
    return rt.drafts.openApplicantCopy(id, blob)?.sections as Partial<Record<Lang, ReceiptSection[]>> | undefined;
  }

  function receiptInput(p: Page, service: LoadedService, row: SubmissionView, key: string, copy: Partial<Record<Lang, ReceiptSection[]>> | undefined): ReceiptInput {
    const view = withoutFactsOncePurged(row, confirmationView(p, service, { ...applicantFacts(p, row, key), statusHref: '' }));
    const logo = p.tenant.logoSvg?.body;
    return {
      lang: p.lang, ui: uiOf(p), landName: t(p.tenant.name, p.lang), portalName: t(p.tenant.portalName, p.lang), logoSvg: logo === undefined ? undefined : logo.toString(),
      reference: row.reference, serviceTitle: view.context.serviceTitle as string, submittedAt: view.context.submittedAt as string,
      authority: view.context.authority as AuthorityView, facts: view.context.facts as ReceiptInput['facts'],
      // A Land that added a language after the submission: the copy in German.
      sections: copy?.[p.lang] ?? copy?.de,
    };
  }

  // ---- flow helpers --------------------------------------------------------------------------
  async function serviceContext(req: Req, reply: FastifyReply): Promise<{ p: Page; service: LoadedService; draft: Draft } | undefined> {
    const p = page(req, reply);
    const service = p && serviceOf(p, req.params.service);
    if (!p || !service || RESERVED.has(req.params.service ?? '')) {
      await notFound(reply, p);
      return undefined;
    }
    const draft = await draftOf(req, p, service.definition.id);
    if (!draft) {
      // A cookie that finds no draft (expired, purged, submitted meanwhile) is of no further use.
      if (req.cookies[cookieName(service.definition.id)]) void reply.clearCookie(cookieName(service.definition.id), { path: cookiePath(p, service.definition.id) });
      await send(reply, p, draftExpiredView(p, service, { ttlDays: rt.config.draftTtlDays, csrf: reply.generateCsrf(), status: 410 }));
      return undefined;
    }
    return { p, service, draft };
  }

  /**
   * The draft, step and group of a row page. `edit` accepts rows 1 … rows + 1 (the next one adds a
   * row) up to maxItems; `remove` only existing rows. Anything else is not found.
   */
  async function rowContext(req: Req, reply: FastifyReply, use: 'edit' | 'remove') {
    const ctx = await serviceContext(req, reply);
    if (!ctx) return undefined;
    const conditions = stepContext(ctx.p, rt.places, ctx.service, berlinToday(), ctx.draft.data).conditions;
    const step = visibleSteps(formOf(ctx.p.tenant, ctx.service.definition.id), ctx.draft.data, conditions).find((s) => s.id === req.params.step);
    const group = step && groupOf(step, ctx.draft.data, conditions);
    const number = /^[1-9][0-9]{0,5}$/.test(req.params.row ?? '') ? Number(req.params.row) : 0;
    const count = group ? rowsOf(getAt(ctx.draft.data, group.pointer)).length : 0;
    const limit = use === 'remove' ? count : Math.min(count + 1, group?.group?.maxItems ?? 0);
    if (!step || !group || number < 1 || number > limit) {
      await notFound(reply, ctx.p);
      return undefined;
    }
    return { ...ctx, step, group, index: number - 1 };
  }

  function renderRow(req: Req, reply: FastifyReply, draft: Draft, p: Page, service: LoadedService, step: FormStep, group: FormField, index: number, data: Record<string, unknown>, state: StepState, status = 200) {
    const conditions = stepContext(p, rt.places, service, berlinToday(), data).conditions;
    const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
    return send(reply, p, rowView(p, service, step, group, index, data, state, { fromCheck: req.query.zurueck === 'pruefen', csrf: reply.generateCsrf(), status, conditions, draftExpiry: expiry }));
  }

  function renderStep(req: Req, reply: FastifyReply, draft: Draft, p: Page, service: LoadedService, step: FormStep, data: Record<string, unknown>, state: StepState, status = 200) {
    const conditions = stepContext(p, rt.places, service, berlinToday(), data).conditions;
    const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
    return send(reply, p, stepView(p, service, step, data, state, { fromCheck: req.query.zurueck === 'pruefen', csrf: reply.generateCsrf(), status, conditions, draftExpiry: expiry }));
  }

  function renderCheck(reply: FastifyReply, p: Page, service: LoadedService, draft: Draft, status = 200) {
    const ctx = stepContext(p, rt.places, service, berlinToday(), draft.data);
    const expiry = draftExpiry(p, service.definition.id, draft.expiresAt);
    return send(reply, p, checkView(p, service, draft.data, ctx, { authorityOf: authorityOf(service), csrf: reply.generateCsrf(), status, draftExpiry: expiry }));
  }
}

/** The step's group, when it has one that its condition shows. */
function groupOf(step: FormStep, data: Record<string, unknown>, conditions: ConditionEnv): FormField | undefined {
  return step.fields.find((f) => f.group && conditionHolds(f.showIf, data, conditions));
}

function referenced(data: unknown): Set<string> {
  return new Set(fileRefsIn(data).map((r) => r.id));
}

/**
 * The limits of the file control a part was posted for: a file field of this step, or a file field
 * inside one of its fields (a repeatable group's row, "hunde.2.nachweis"), found through the schema.
 */
function fileTarget(service: LoadedService, step: FormStep, name: string): FieldFileRules | undefined {
  const direct = step.fields.find((f) => f.name === name);
  if (direct && direct.kind.name !== 'file') return undefined;
  const pointer = `/${name.split('.').join('/')}`;
  if (!direct && !step.fields.some((f) => pointer.startsWith(`${f.pointer}/`))) return undefined;
  const schema = direct?.schema ?? schemaThroughArrays(service.schema, pointer);
  const rules = schema ? fileRulesOf(schema) : undefined;
  return typeof rules === 'object' ? rules : undefined;
}

function factsOf(row: SubmissionView) {
  return { reference: row.reference, serviceId: row.service_id, authorityName: row.authority_name, status: row.status, feeCents: row.fee_cents, submittedAt: row.submitted_at, shown: row.shown };
}

interface SubmissionView {
  id: string;
  reference: string;
  service_id: string;
  authority_name: string;
  status: string;
  fee_cents: number;
  /** The declared facts of the logic at submission (service.json "display"). */
  shown: Record<string, unknown> | null;
  submitted_at: Date | string;
  /** 'pull': the authority collects the submission itself over the pull API. */
  delivery_mode: string;
  /** When the authority accepted or rejected it. */
  decided_at: Date | string | null;
  authority_id: string;
  /** The delivered attempt's receipt was signed by the authority and checked. */
  confirmed: boolean;
  /** Handed over to an authority that decides later (FIT-Connect); its decision is being followed. */
  awaiting_decision: boolean;
  /** When the retention purge removed the payload and the applicant's copy (null: not yet). */
  payload_purged_at: Date | string | null;
  /** SHA-256 of the status key; null for submissions from before status keys. */
  key_sha256: Uint8Array | null;
}

interface StatusAccess {
  row: SubmissionView;
  /** The status key the request proved (in its path or its cookie): the links on the page carry it. */
  key: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A submission as its own tenant may show it: another Land's is simply not found. */
async function submissionWhere(rt: Runtime, tenant: string, where: 's.id = $2' | 'k.key_sha256 = $2', value: string | Buffer): Promise<SubmissionView | undefined> {
  const { rows } = await rt.db.query<SubmissionView>(
    `SELECT s.id, s.reference, s.service_id, s.authority_name, s.status, s.fee_cents, s.shown, s.submitted_at, s.delivery_mode, d.decided_at, s.authority_id, s.payload_purged_at, k.key_sha256,
            s.delivery_mode = 'pull' OR EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.submission_id = s.id AND a.outcome = 'delivered' AND a.receipt->>'verified' = 'true') AS confirmed,
            EXISTS (SELECT 1 FROM delivery_followups f WHERE f.submission_id = s.id) AS awaiting_decision
       FROM submissions s LEFT JOIN submission_decisions d ON d.submission_id = s.id LEFT JOIN submission_status_keys k ON k.submission_id = s.id
      WHERE s.tenant = $1 AND ${where}`,
    [tenant, value],
  );
  return rows[0];
}

/** The declared facts are computed from the answers: they go when the retention purge takes those. */
function withoutFactsOncePurged(row: SubmissionView, view: PageView): PageView {
  return row.payload_purged_at ? { ...view, context: { ...view.context, facts: [] } } : view;
}

/**
 * What the shared status view does not know: a submission for a pull authority is not "being
 * delivered" but waits until the authority collects it; a delivery without the authority's signed
 * receipt is only "handed over", never "confirmed"; a dead letter says what happens next and whom
 * to ask (the authority's contact from the routing data); a decision has a date.
 */
function withProgress(p: Page, view: PageView, row: SubmissionView, contact: Authority['contact']): PageView {
  const ui = uiOf(p);
  const awaitingPickup = row.delivery_mode === 'pull' && row.status === 'submitted';
  const handedOver = row.status === 'delivered' && !row.confirmed;
  const failed = row.status === 'failed';
  const decidedAt = row.decided_at === null ? undefined
    : new Date(row.decided_at).toLocaleString(p.lang === 'en' ? 'en-GB' : 'de-DE', { timeZone: 'Europe/Berlin', dateStyle: 'long', timeStyle: 'short' });
  return {
    ...view,
    context: {
      ...view.context,
      ...(awaitingPickup ? { statusText: ui.statusAwaitingPickup, statusExplanation: ui.explainAwaitingPickup } : {}),
      ...(handedOver ? { statusText: ui.statusHandedOver, statusExplanation: row.awaiting_decision ? ui.explainAwaitingDecision : ui.explainHandedOver } : {}),
      confirmed: row.status === 'delivered' ? String(row.confirmed) : undefined,
      ...(failed && contact && Object.keys(contact).length > 0 ? { contact: { ...contact, web: contact.web && /^https?:\/\//i.test(contact.web) ? contact.web : undefined } } : {}),
      ...(decidedAt ? { decidedAt } : {}),
    },
  };
}

function berlinToday(): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date());
}
