/**
 * "Entfernen" next to an uploaded file (the GOV.UK file upload pattern): a small form of its own
 * (step.hbs), so Enter in a text field never removes a file and the step's other answers are not
 * posted half-typed. Only the draft's own files can be removed; the page is shown again.
 */
import type { FastifyReply } from 'fastify';
import type { ApplicantPages, Req } from './request.js';

/** Handles the removal post of a step or row page; false when the post is something else. */
export async function removeFileAction(pages: ApplicantPages, req: Req, reply: FastifyReply): Promise<boolean> {
  const body = req.body as Record<string, unknown> | undefined;
  if (body?.aktion !== 'datei-entfernen') return false;
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return true;
  const id = typeof body.datei === 'string' ? body.datei : '';
  const stored = await pages.rt.attachments.draftFiles(ctx.draft.id);
  if (stored.has(id)) {
    ctx.draft.data = withoutFile(ctx.draft.data, id);
    // The file itself goes in the save's transaction, as when a step drops it (DraftStore.save).
    await pages.rt.drafts.save(ctx.draft);
    pages.keepDraftCookie(reply, ctx.p, ctx.service.definition.id, ctx.draft.id);
  }
  // Back to the page the button was on: the step, or the row (its number checked by the route's pattern below).
  const row = /^[1-9][0-9]{0,5}$/.test(req.params.row ?? '') ? `/${req.params.row}` : '';
  await reply.redirect(`${ctx.p.base}/${ctx.service.definition.id}/${encodeURIComponent(req.params.step ?? '')}${row}${req.query.zurueck === 'pruefen' ? '?zurueck=pruefen' : ''}`, 303);
  return true;
}

/** The answers without the file reference `id`, wherever it is (a field, a list of files, a row). */
export function withoutFile(data: Record<string, unknown>, id: string): Record<string, unknown> {
  const isRef = (v: unknown) => typeof v === 'object' && v !== null && (v as { id?: unknown }).id === id && 'sha512' in v;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.filter((v) => !isRef(v)).map(walk);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (isRef(value)) continue;
      const next = walk(value);
      // A list of files left empty is no answer, as when the step is posted without files.
      if (Array.isArray(value) && Array.isArray(next) && next.length === 0 && value.length > 0) continue;
      out[key] = next;
    }
    return out;
  };
  return walk(data) as Record<string, unknown>;
}
