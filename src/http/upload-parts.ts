import type { Multipart, MultipartFile } from '@fastify/multipart';
import { EfaError } from '../core/errors.js';
import type { ClientWindow, DraftLimits, StorageQuotas } from '../attachments/quotas.js';
import type { AttachmentStore, IntakeResult, Refusal } from '../attachments/store.js';
import type { FormStep } from '../forms/definition.js';
import type { FieldFileRules } from '../forms/fields/file.js';
import type { Body, FormField } from '../forms/fields/kind.js';
import { t } from '../forms/text.js';
import type { LocalText } from '../services/contract.js';
import { FORM_TEXT_LIMIT } from './upload-timeouts.js';

/** The upload's deadline passed while `field` (a control name, if a file was streaming) was read. */
export class UploadTimeoutError extends EfaError {
  readonly statusCode = 408;
  constructor(readonly field: string | undefined) {
    super('EFA_UPLOAD_TIMEOUT', `the upload did not arrive in time${field ? ` (field ${field})` : ''}`, 408);
  }
}

/** The text fields of a multipart post are together larger than an ordinary form post may be. */
export class FormTextTooLargeError extends EfaError {
  readonly statusCode = 413;
  constructor(readonly field: string) {
    super('EFA_FORM_TEXT_TOO_LARGE', `the text fields of the form exceed ${FORM_TEXT_LIMIT} bytes together (at field ${field})`, 413);
  }
}

/** A body that says it is multipart and is not (or breaks off): the applicant gets a 400 page. */
export class MalformedFormError extends EfaError {
  readonly statusCode = 400;
  constructor(cause: unknown) {
    super('EFA_FORM_MALFORMED', `the multipart body could not be read: ${cause instanceof Error ? cause.message : String(cause)}`, 400, { cause });
  }
}

/** Multipart's own limit errors are the client's fault too; anything else is ours. */
export function asClientError(err: unknown): unknown {
  if (err instanceof EfaError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  const parserFault = typeof e?.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number' && e.statusCode < 500;
  // busboy's own errors carry no code: "Malformed part header", "Unexpected end of form", …
  const busboy = err instanceof Error && e.code === undefined && /multipart|part header|end of form|boundary/i.test(err.message);
  return parserFault || busboy ? new MalformedFormError(err) : err;
}

export interface PartsContext {
  attachments: AttachmentStore;
  storage: StorageQuotas;
  window: ClientWindow;
  draftId: string;
  /** The client address the per-client allowance is counted for (req.ip). */
  client: string;
  /** The file control's limits, or undefined for a name this step has no file control for. */
  target: (name: string) => FieldFileRules | undefined;
  draft: DraftLimits;
  /** Stored files this post decides anew (the step's own): they do not count against the draft's limit. */
  replaceable: readonly string[];
  contentLength: number | undefined;
  deadline: AbortSignal;
}

export interface PartsResult {
  body: Body;
  uploaded: Map<string, IntakeResult[]>;
  fresh: string[];
}

/**
 * Reads a multipart step post: text fields into a body (64 KiB together), files through the quotas
 * and the attachment store as they stream. Each file is checked before its first byte is stored:
 * one too many for its field (counting the files the form keeps), the client's allowance, the
 * draft's and the store's room. On a timeout, a text overflow or a malformed body the files this
 * post stored are removed again before the error is thrown, so nothing half-written stays.
 */
export async function readUploadParts(parts: AsyncIterableIterator<Multipart>, ctx: PartsContext): Promise<PartsResult> {
  const fresh: string[] = [];
  try {
    return await readAll(parts, ctx, fresh);
  } catch (err) {
    await ctx.attachments.discard(fresh);
    throw asClientError(err);
  }
}

async function readAll(parts: AsyncIterableIterator<Multipart>, ctx: PartsContext, fresh: string[]): Promise<PartsResult> {
  const body: Record<string, string | string[]> = {};
  const uploaded = new Map<string, IntakeResult[]>();
  let textBytes = 0;
  let overflow: string | undefined;
  // What of the body was read so far: the rest of the Content-Length bounds what a file can still be.
  const read = { bytes: 0 };
  for (;;) {
    const next = await beforeDeadline(parts.next(), ctx.deadline, undefined);
    if (next.done) break;
    const part = next.value;
    if (part.type === 'field') {
      const size = Buffer.byteLength(part.fieldname) + Buffer.byteLength(String(part.value));
      textBytes += size;
      read.bytes += size;
      if (textBytes > FORM_TEXT_LIMIT) overflow ??= part.fieldname;
      if (overflow) continue;
      const value = String(part.value);
      const had = body[part.fieldname];
      body[part.fieldname] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
      continue;
    }
    const source = guarded(part, ctx.deadline, read);
    const rules = part.filename && !overflow ? ctx.target(part.fieldname) : undefined;
    if (!rules) {
      // No file chosen (an empty part), a control this step does not have, or the form is refused: read past it.
      for await (const _chunk of source) { /* discarded */ }
      continue;
    }
    const rest = ctx.contentLength === undefined ? undefined : Math.max(0, ctx.contentLength - read.bytes);
    const result = await intakeOne(part, source, rules, { ...ctx, contentLength: rest }, body, uploaded);
    if ('ref' in result) fresh.push(result.ref.id);
    uploaded.set(part.fieldname, [...(uploaded.get(part.fieldname) ?? []), result]);
  }
  if (overflow) throw new FormTextTooLargeError(overflow);
  return { body: body as Body, uploaded, fresh };
}

async function intakeOne(part: MultipartFile, source: AsyncIterable<Buffer>, rules: FieldFileRules, ctx: PartsContext, body: Record<string, string | string[]>, uploaded: Map<string, IntakeResult[]>): Promise<IntakeResult> {
  const earlier = (uploaded.get(part.fieldname) ?? []).filter((r) => 'ref' in r).length;
  const tooMany = earlier + (rules.multiple ? keptCount(body, part.fieldname) : 0) >= rules.maxFiles;
  // The reservation: the field's limit, or the rest of the request if that is smaller.
  const reserve = Math.max(1, Math.min(rules.maxBytes, ctx.attachments.maxBytes, ctx.contentLength ?? Number.MAX_SAFE_INTEGER));
  let taken = false;
  const admit = async (row: { id: string; draftId: string; filename: string; keyWrap: Buffer }): Promise<Refusal | undefined> => {
    if (tooMany) return { code: 'too-many', maxFiles: rules.maxFiles };
    if (!(await ctx.window.take(ctx.client, reserve, 1))) return { code: 'quota-client', retryAfterMs: ctx.window.retryAfterMs() };
    taken = true;
    const refused = await ctx.storage.admit({ ...row, reserve, draft: ctx.draft, replaceable: ctx.replaceable });
    if (refused) {
      taken = false;
      await ctx.window.give(ctx.client, reserve);
    }
    return refused;
  };
  const result = await ctx.attachments.intake(ctx.draftId, part.filename, source, rules, admit);
  // The allowance counts what was stored; the reservation's unused rest goes back.
  if (taken && 'ref' in result) await ctx.window.give(ctx.client, reserve - result.ref.size);
  return result;
}

/** Files the form keeps for this control (hidden inputs before the file input), less those ticked for removal. */
function keptCount(body: Record<string, string | string[]>, name: string): number {
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const removed = new Set(list(body[`${name}.remove`]));
  return new Set(list(body[`${name}.keep`]).filter((id) => id !== '' && !removed.has(id))).size;
}

/** The file's bytes until the deadline; then the stream is dropped and the read fails naming the field. */
async function* guarded(part: MultipartFile, deadline: AbortSignal, read: { bytes: number }): AsyncGenerator<Buffer> {
  const chunks = part.file[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const next = await beforeDeadline(chunks.next(), deadline, part.fieldname).catch((err: unknown) => {
      if (err instanceof UploadTimeoutError) part.file.destroy();
      throw err;
    });
    if (next.done) return;
    read.bytes += next.value.length;
    yield next.value;
  }
}

function beforeDeadline<T>(promise: Promise<T>, deadline: AbortSignal, field: string | undefined): Promise<T> {
  if (deadline.aborted) return Promise.reject(new UploadTimeoutError(field));
  let onAbort: (() => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new UploadTimeoutError(field));
    deadline.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, timedOut]).finally(() => deadline.removeEventListener('abort', onAbort as () => void));
}

/** What the step page says when a post could not be read to its end: the field, the status, the message. */
export interface PartsFailure {
  status: number;
  /** The field's pointer (a row's field with its row: /hunde/1/nachweis), where the message is shown. */
  pointer: string;
  message: LocalText;
}

/** The page's answer to a timed-out upload or too much text; undefined for any other error. */
export function partsFailure(err: unknown, step: FormStep): PartsFailure | undefined {
  if (err instanceof UploadTimeoutError) {
    const named = err.field === undefined ? undefined : fieldNamed(step, err.field);
    const field = named ?? firstFile(step.fields);
    if (!field) return undefined;
    const pointer = named && err.field ? pointerOf(err.field) : field.pointer;
    const de = t(field.label, 'de');
    const en = t(field.label, 'en');
    return {
      status: 408, pointer,
      message: {
        de: `„${de}“: Die Datei kam nicht rechtzeitig vollständig an, die Verbindung war zu langsam. Sie wurde nicht gespeichert. Versuchen Sie es mit einer schnelleren Verbindung oder einer kleineren Datei erneut.`,
        en: `“${en}”: the file did not arrive completely in time; the connection was too slow. It was not stored. Try again with a faster connection or a smaller file.`,
      },
    };
  }
  if (err instanceof FormTextTooLargeError) {
    const named = fieldNamed(step, err.field);
    const field = named ?? step.fields[0];
    if (!field) return undefined;
    const kb = FORM_TEXT_LIMIT / 1024;
    return {
      status: 413, pointer: named ? pointerOf(err.field) : field.pointer,
      message: {
        de: `„${t(field.label, 'de')}“: Ihre Angaben auf dieser Seite sind zusammen länger als ${kb} KB. Kürzen Sie sie und senden Sie die Seite erneut.`,
        en: `“${t(field.label, 'en')}”: your answers on this page are longer than ${kb} KB together. Shorten them and send the page again.`,
      },
    };
  }
  return undefined;
}

/** The HTTP status of a step whose uploads were refused by a quota (else the usual 400). */
export function refusalStatus(uploaded: ReadonlyMap<string, readonly IntakeResult[]>): { status: number; retryAfterMs?: number } {
  const refusals = [...uploaded.values()].flat().flatMap((r) => ('refused' in r ? [r.refused] : []));
  const client = refusals.find((r): r is Extract<Refusal, { code: 'quota-client' }> => r.code === 'quota-client');
  if (client) return { status: 429, retryAfterMs: client.retryAfterMs };
  if (refusals.some((r) => r.code === 'quota-draft' || r.code === 'quota-store')) return { status: 413 };
  return { status: 400 };
}

function pointerOf(name: string): string {
  return `/${name.split('.').join('/')}`;
}

/** The step's field a control name belongs to, also a row's field ("hunde.2.nachweis"). */
function fieldNamed(step: FormStep, name: string): FormField | undefined {
  const direct = step.fields.find((f) => f.name === name || (name.startsWith(`${f.name}.`) && !f.group));
  if (direct) return direct;
  for (const group of step.fields.filter((f) => f.group)) {
    const rest = name.startsWith(`${group.name}.`) ? name.slice(group.name.length + 1).replace(/^[0-9]+\./, '') : undefined;
    const item = rest === undefined ? undefined : group.group?.items.find((i) => i.name === rest);
    if (item) return item;
  }
  return undefined;
}

function firstFile(fields: readonly FormField[]): FormField | undefined {
  for (const f of fields) {
    if (f.kind.name === 'file') return f;
    const inner = f.group ? firstFile(f.group.items) : undefined;
    if (inner) return inner;
  }
  return undefined;
}
