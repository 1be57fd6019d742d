/**
 * Posting a step or a group's row with file fields (multipart): the CSRF token from the first part,
 * the request's deadline from the declared upload, and the files through the quotas into the
 * attachment store as they stream (the parts themselves are read in ../upload-parts.ts).
 */
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import fastifyMultipart, { type Multipart } from '@fastify/multipart';
import { clientWindow, StorageQuotas, type DraftLimits } from '../../attachments/quotas.js';
import { declaredLimits } from '../../forms/upload-limits.js';
import { fileRefsIn } from '../../attachments/references.js';
import type { FormStep } from '../../forms/definition.js';
import { fileRulesOf, type FieldFileRules } from '../../forms/fields/file.js';
import { schemaThroughArrays } from '../../forms/pointer.js';
import type { Runtime } from '../../runtime.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import type { Tenant } from '../../tenants/registry.js';
import { asClientError, readUploadParts, refusalStatus, type PartsResult } from '../upload-parts.js';
import { allowUpload, contentLengthOf, uploadDeadlineMs } from '../upload-timeouts.js';
import type { Req } from './request.js';
import { formOf } from './view.js';

/** A multipart post past its CSRF check: the parts still to read, and the request's deadline. */
export interface MultipartPost {
  parts: AsyncIterableIterator<Multipart>;
  deadline: AbortSignal;
}

export class StepUploads {
  private readonly draftLimits = new Map<string, DraftLimits>();

  private constructor(private readonly app: FastifyInstance, private readonly rt: Runtime, private readonly storageQuotas: StorageQuotas, private readonly uploadWindow: ReturnType<typeof clientWindow>) {}

  static async register(app: FastifyInstance, rt: Runtime): Promise<StepUploads> {
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
    return new StepUploads(app, rt, storageQuotas, uploadWindow);
  }

  /**
   * A multipart post (a step or row with file fields) is checked for CSRF in the handler, from its
   * first part, before any file is read; every other post before the handler, as usual.
   */
  readonly csrfUnlessMultipart: preHandlerHookHandler = (req, reply, done) => {
    if (req.isMultipart()) return done();
    return this.app.csrfProtection.call(this.app, req, reply, done);
  };

  /**
   * For a multipart post: its deadline, then its CSRF check. `false`: the token was refused (the
   * reply is sent); undefined: no multipart post. `declaredBytes`: what a post that is no step may
   * hold (else the step's declared files).
   */
  async begin(req: Req, reply: FastifyReply, declaredBytes?: number): Promise<MultipartPost | false | undefined> {
    if (!req.isMultipart()) return undefined;
    const deadline = this.uploadDeadline(req, reply, declaredBytes);
    const parts = await this.multipartAfterCsrf(req, reply);
    return parts ? { parts, deadline } : false;
  }

  /**
   * The `_csrf` field must be the first part (the step form renders it first, and browsers send
   * parts in document order); it is checked before anything else of the body is read.
   */
  private async multipartAfterCsrf(req: Req, reply: FastifyReply): Promise<AsyncIterableIterator<Multipart> | undefined> {
    const parts = req.parts();
    // A body that says multipart and is not: a 400 page (MalformedFormError), not a 500.
    const first = await parts.next().catch((err: unknown) => {
      throw asClientError(err);
    });
    const token = !first.done && first.value.type === 'field' && first.value.fieldname === '_csrf' ? String(first.value.value) : '';
    (req as { body: unknown }).body = { _csrf: token };
    let ok = false;
    this.app.csrfProtection.call(this.app, req, reply, () => { ok = true; });
    return ok ? parts : undefined;
  }

  /** Reads the remaining parts: fields into a body, files through the quotas and the attachment store as they stream. */
  async read(req: Req, post: MultipartPost, tenant: Tenant, service: LoadedService, step: FormStep, draft: Draft): Promise<PartsResult> {
    const id = service.definition.id;
    const key = `${tenant.id}/${id}`;
    let draftLimit = this.draftLimits.get(key);
    if (!draftLimit) {
      draftLimit = declaredLimits(formOf(tenant, id).steps.flatMap((s) => s.fields), this.rt.config.uploads.maxBytes);
      this.draftLimits.set(key, draftLimit);
    }
    const own = step.fields.map((f) => f.pointer);
    const replaceable = fileRefsIn(draft.data).filter((r) => own.some((o) => r.pointer === o || r.pointer.startsWith(`${o}/`))).map((r) => r.id);
    return readUploadParts(post.parts, {
      attachments: this.rt.attachments, storage: this.storageQuotas, window: this.uploadWindow, draftId: draft.id, client: req.ip,
      target: (name) => fileTarget(service, step, name), draft: draftLimit, replaceable, contentLength: contentLengthOf(req), deadline: post.deadline,
    });
  }

  /**
   * Reads a post whose only file control is `field` (the Postfach reply): through the same per-draft,
   * store and per-client quotas and the same deadline as a step's upload.
   */
  async readSingle(req: Req, post: MultipartPost, draftId: string, field: string, rules: FieldFileRules): Promise<PartsResult> {
    return readUploadParts(post.parts, {
      attachments: this.rt.attachments, storage: this.storageQuotas, window: this.uploadWindow, draftId, client: req.ip,
      target: (name) => (name === field ? rules : undefined), draft: { bytes: rules.maxBytes * rules.maxFiles, files: rules.maxFiles }, replaceable: [], contentLength: contentLengthOf(req), deadline: post.deadline,
    });
  }

  /**
   * A multipart step post may take as long as its declared upload needs at EFA_UPLOAD_MIN_RATE (see
   * upload-timeouts.ts). The step is looked up without the draft: this only bounds the time.
   */
  private uploadDeadline(req: Req, reply: FastifyReply, declaredBytes: number | undefined): AbortSignal {
    const { rt } = this;
    const tenant = rt.tenants.get(req.params.tenant ?? '');
    const form = tenant && req.params.service && req.params.service in tenant.services ? tenant.forms.get(req.params.service) : undefined;
    const step = form?.steps.find((s) => s.id === req.params.step);
    // A post that is no step (the Postfach reply) names what it may hold itself.
    const declared = declaredBytes ?? (step ? declaredLimits(step.fields, rt.config.uploads.maxBytes, false).bytes : 0);
    return allowUpload(req, reply, uploadDeadlineMs(rt.config.ops.httpRequestTimeoutMs, declared, contentLengthOf(req), rt.config.uploads.minRateKbit));
  }
}

/** A quota refusal answers 413 (no room) or 429 (too much from this client, with Retry-After); other refusals 400. */
export function refusedStatus(reply: FastifyReply, upload: PartsResult | undefined): number {
  if (!upload) return 400;
  const { status, retryAfterMs } = refusalStatus(upload.uploaded);
  if (retryAfterMs !== undefined) void reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  return status;
}

/** The body was not read to its end (timeout, too much text): the connection cannot carry another request. */
export function failedReply(reply: FastifyReply, status: number): FastifyReply {
  return status === 408 ? reply.header('connection', 'close') : reply;
}

/** The attachments an answer refers to. */
export function referenced(data: unknown): Set<string> {
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
