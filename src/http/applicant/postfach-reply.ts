/**
 * The applicant's reply in the Postfach (POST /<tenant>/status/<key>/postfach/nachreichen): where
 * the authority's newest status is ACTION_REQUIRED, a document (and a short message) goes to the
 * authority as part of the same case (src/postfach/replies.ts). The document is streamed, sniffed
 * and scanned by the attachment store like any upload; the request is checked for CSRF first.
 */
import type { FastifyReply } from 'fastify';
import { statusHistory } from '../../postfach/history.js';
import { REPLY_MESSAGE_CHARS, storeReply } from '../../postfach/replies.js';
import type { Runtime } from '../../runtime.js';
import type { FileRef } from '../../attachments/references.js';
import { keyNeededView, statusAccess, type StatusAccess } from './access.js';
import { actionRequired, postfachHref, postfachInput, postfachView, POSTFACH_SEGMENT, REPLY_SEGMENT } from './postfach.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { refusedStatus, type MultipartPost, type StepUploads } from './uploads.js';
import { uiOf, type PageEnv } from './view.js';

const REPLY_RULES = { mediaTypes: ['application/pdf', 'image/jpeg', 'image/png'], maxBytes: 10 * 1024 * 1024, multiple: false, maxFiles: 1 };

interface ReadReply {
  message: string;
  file?: FileRef;
  tooLong: boolean;
  /** A quota refused the document: 413 (no room) or 429 (this client's allowance), with Retry-After. */
  quota?: number;
}

/**
 * The posted parts through the same quotas, deadline and text limit as a step's upload (the
 * per-draft, store and per-client limits): the message field and the first file of "dokument".
 */
async function readParts(uploads: StepUploads, req: Req, reply: FastifyReply, post: MultipartPost, draftId: string): Promise<ReadReply> {
  const result = await uploads.readSingle(req, post, draftId, 'dokument', REPLY_RULES);
  const posted = result.body.nachricht;
  const message = (Array.isArray(posted) ? posted[0] ?? '' : typeof posted === 'string' ? posted : '').trim();
  const file = result.uploaded.get('dokument')?.find((r): r is { ref: FileRef } => 'ref' in r)?.ref;
  const status = refusedStatus(reply, result);
  return { message, tooLong: message.length > REPLY_MESSAGE_CHARS, ...(file ? { file } : {}), ...(status !== 400 ? { quota: status } : {}) };
}

async function answerAsking(rt: Runtime, submissionId: string): Promise<string | undefined> {
  const { rows } = await rt.db.query<{ id: string }>(`SELECT id FROM submission_answers WHERE submission_id = $1 AND status = 'ACTION_REQUIRED' ORDER BY received_at DESC, id LIMIT 1`, [submissionId]);
  return rows[0]?.id;
}

async function refused(pages: ApplicantPages, reply: FastifyReply, p: PageEnv, access: StatusAccess, read: ReadReply) {
  const ui = uiOf(p);
  const error = read.tooLong ? { field: 'nachricht' as const, message: ui.replyErrorMessage } : { field: 'dokument' as const, message: read.quota ? ui.replyErrorQuota : ui.replyErrorFile };
  const view = postfachView(p, { ...(await postfachInput(pages.rt, access, reply.generateCsrf())), error, message: read.message.slice(0, REPLY_MESSAGE_CHARS) });
  return pages.send(reply, p, read.quota ? { ...view, status: read.quota } : view);
}

export function registerPostfachReply(pages: ApplicantPages, uploads: StepUploads): void {
  const { app, rt } = pages;
  app.post<RouteTypes>(`/:tenant/status/:key/${POSTFACH_SEGMENT}/${REPLY_SEGMENT}`, { preHandler: uploads.csrfUnlessMultipart }, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const access = await statusAccess(rt, req, p);
    if (!access) return pages.notFound(reply, p);
    if (access === 'key-needed') return pages.send(reply, p, keyNeededView(p));
    const back = `${postfachHref(p, access.key)}?lang=${p.lang}`;
    const asking = actionRequired(await statusHistory(rt.db, access.row.id)) ? await answerAsking(rt, access.row.id) : undefined;
    if (!asking) return reply.redirect(back, 303);
    const post = await uploads.begin(req, reply, REPLY_RULES.maxBytes);
    if (post === false) return reply;
    const service = rt.services.get(access.row.service_id);
    if (!post || !service) return refused(pages, reply, p, access, { message: '', tooLong: false });
    const draft = await rt.drafts.create(p.tenant.id, service.definition.id, service.definition.version);
    const read = await readParts(uploads, req, reply, post, draft.id);
    if (!read.file || read.tooLong) return refused(pages, reply, p, access, read);
    const stored = await storeReply({ db: rt.db, attachments: rt.attachments, routing: rt.routing }, { caseId: access.row.id, inReplyTo: asking, message: read.message, draftId: draft.id, files: [{ ...read.file, pointer: '/dokument/0' }] });
    if (stored.deliveryMode === 'push') rt.dispatch(stored.id);
    return reply.redirect(`${back}&gesendet`, 303);
  });
}
