/**
 * The applicant's Postfach below the status page (/<tenant>/status/<key>/postfach): the answers of
 * the responsible authority with their files, the status history in the ZBP vocabulary, and where
 * the authority asks for something, the form to send a document (./postfach-reply.ts). Whoever may
 * see the status page (./access.ts: the status key, or the browser that submitted) sees it; nobody
 * else, whatever id they guess.
 */
import type { FastifyReply } from 'fastify';
import { markAnswersRead } from '../../postfach/accounts.js';
import { answerFile, answersOf, type PostfachAnswer } from '../../postfach/answers.js';
import { statusHistory, type HistoryEntry } from '../../postfach/history.js';
import { repliesOf, type ApplicantReply } from '../../postfach/replies.js';
import type { Runtime } from '../../runtime.js';
import { keyNeededView, statusAccess, type StatusAccess } from './access.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinDateTime, number, uiOf, type PageEnv, type PageView } from './view.js';

export const POSTFACH_SEGMENT = 'postfach';
export const REPLY_SEGMENT = 'nachreichen';

export interface HistoryRow {
  date: string;
  status: string;
  text: string;
}

export function historyRows(p: PageEnv, history: HistoryEntry[]): HistoryRow[] {
  const ui = uiOf(p) as unknown as Record<string, string>;
  return history.map((h) => ({ date: berlinDateTime(h.at, p.lang), status: h.status, text: ui[`zbp${h.status}`] ?? h.status }));
}

/** The authority asks for something and has not said otherwise since. */
export function actionRequired(history: HistoryEntry[]): boolean {
  return history.at(-1)?.status === 'ACTION_REQUIRED';
}

export function postfachHref(p: PageEnv, key: string): string {
  return `${p.base}/status/${key}/${POSTFACH_SEGMENT}`;
}

export interface PostfachInput {
  access: StatusAccess;
  answers: PostfachAnswer[];
  replies: ApplicantReply[];
  history: HistoryEntry[];
  mailOn: boolean;
  csrf: string;
  /** After a reply was sent (?gesendet) or refused (the error, naming the field). */
  sent?: boolean;
  error?: { field: 'dokument' | 'nachricht'; message: string };
  /** The message as posted, shown again with an error. */
  message?: string;
}

export function postfachView(p: PageEnv, input: PostfachInput): PageView {
  const ui = uiOf(p);
  const { access, answers } = input;
  const base = postfachHref(p, access.key);
  const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
  return {
    template: 'postfach', title: ui.postfachTitle, status: input.error ? 400 : 200,
    context: {
      reference: access.row.reference, statusHref: `${p.base}/status/${access.key}?lang=${p.lang}`, mailOn: input.mailOn, sent: input.sent === true,
      history: historyRows(p, input.history),
      // Newest first: the one that asks for something is on top.
      answers: [...answers].reverse().map((a) => ({
        id: a.id, heading: fill(ui.postfachMessage, { date: berlinDateTime(a.receivedAt, p.lang) }), purged: a.purged,
        paragraphs: (a.text ?? '').split(/\r?\n\s*\r?\n/).map((para) => para.split(/\r?\n/)).filter((lines) => lines.some((l) => l.trim() !== '')),
        statusText: a.status ? (ui as unknown as Record<string, string>)[`zbp${a.status}`] : undefined, status: a.status,
        attachments: a.attachments.map((f) => ({ filename: f.filename, href: `${base}/${a.id}/${f.index}`, mediaType: f.mediaType, size: number(f.size, p.lang) })),
      })),
      replies: input.replies.map((r) => ({ text: fill(ui.replySentAt, { date: berlinDateTime(r.submittedAt, p.lang) }), files: r.files })),
      reply: actionRequired(input.history) ? replyForm(p, base, input) : undefined,
    },
  };
}

function replyForm(p: PageEnv, base: string, input: PostfachInput): Record<string, unknown> {
  const error = input.error;
  const own = (field: 'dokument' | 'nachricht') => (error?.field === field ? error.message : undefined);
  return {
    action: `${base}/${REPLY_SEGMENT}?lang=${p.lang}`, csrf: input.csrf, message: input.message ?? '',
    errorSummary: error ? [{ href: error.field, message: error.message }] : undefined,
    messageError: own('nachricht'), messageDescribedBy: own('nachricht') ? 'nachricht-error' : undefined,
    fileError: own('dokument'), fileDescribedBy: own('dokument') ? 'dokument-error' : undefined,
  };
}

export async function postfachInput(rt: Runtime, access: StatusAccess, csrf: string): Promise<PostfachInput> {
  const id = access.row.id;
  const [answers, replies, history] = await Promise.all([answersOf(rt.db, rt.drafts, id), repliesOf(rt.db, id), statusHistory(rt.db, id)]);
  return { access, answers, replies, history, mailOn: rt.mailer !== undefined, csrf };
}

/** What the status page shows of the Postfach: the history and a link with the number of messages. */
export async function statusPageExtras(rt: Runtime, p: PageEnv, access: StatusAccess): Promise<Record<string, unknown>> {
  const [history, count] = await Promise.all([
    statusHistory(rt.db, access.row.id),
    rt.db.query<{ n: string | number }>('SELECT count(*) AS n FROM submission_answers WHERE submission_id = $1', [access.row.id]).then((r) => Number(r.rows[0]?.n ?? 0)),
  ]);
  const ui = uiOf(p);
  return { history: historyRows(p, history), postfach: { href: `${postfachHref(p, access.key)}?lang=${p.lang}`, count: ui.postfachCount.replace('{n}', number(count, p.lang)), actionRequired: actionRequired(history) } };
}

const SAFE_INLINE = new Set(['application/pdf', 'image/png', 'image/jpeg']);

async function sendFile(rt: Runtime, reply: FastifyReply, access: StatusAccess, answerId: string, index: number): Promise<FastifyReply | undefined> {
  const file = await answerFile(rt.db, rt.drafts, access.row.id, answerId, index);
  if (!file) return undefined;
  const ascii = file.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  // The authority's file, only ever a download: it must never run as a page on this origin.
  return reply.code(200).type(SAFE_INLINE.has(file.mediaType) ? file.mediaType : 'application/octet-stream')
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
    .header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'; sandbox")
    .header('x-robots-tag', 'noindex').header('digest', `sha-512=${Buffer.from(file.sha512, 'hex').toString('base64')}`).send(file.bytes);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function registerPostfach(pages: ApplicantPages): void {
  const { app, rt } = pages;
  app.get<RouteTypes>(`/:tenant/status/:key/${POSTFACH_SEGMENT}`, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const access = await statusAccess(rt, req, p);
    if (!access) return pages.notFound(reply, p);
    if (access === 'key-needed') return pages.send(reply, p, keyNeededView(p));
    void reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex');
    const input = await postfachInput(rt, access, reply.generateCsrf());
    // Shown now: the overview after login no longer marks these answers as new.
    await markAnswersRead(rt.db, access.row.id);
    return pages.send(reply, p, postfachView(p, { ...input, sent: req.query.gesendet !== undefined }));
  });

  app.get<RouteTypes>(`/:tenant/status/:key/${POSTFACH_SEGMENT}/:answer/:index`, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const access = await statusAccess(rt, req, p);
    if (access === 'key-needed') return pages.send(reply, p, keyNeededView(p));
    const answer = req.params.answer ?? '';
    const index = req.params.index ?? '';
    if (!access || !UUID.test(answer) || !/^\d{1,2}$/.test(index)) return pages.notFound(reply, p);
    return (await sendFile(rt, reply, access, answer, Number(index))) ?? pages.notFound(reply, p);
  });
}
