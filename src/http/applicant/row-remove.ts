/**
 * Removing a group's row asks first (the GOV.UK "add another" pattern): "Entfernen" in the list
 * leads to /<row>/entfernen, which names the row and shows its answers; only its POST (with the
 * CSRF token) removes it. The list then says so in a notification banner ("Hund 2 wurde entfernt.").
 */
import type { FastifyReply } from 'fastify';
import { rowLines, rowName, rowsOf, segmentOf, specOf } from '../../forms/fields/group.js';
import { getAt } from '../../forms/pointer.js';
import { t } from '../../forms/text.js';
import { removeRow } from '../../forms/validate.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { rowContext, saveRow, type RowContext } from './row.js';
import { serviceTitle, uiOf, type PageView } from './view.js';

function removeView(ctx: RowContext, fromCheck: boolean, csrf: string): PageView {
  const { p, service, step, target } = ctx;
  const ui = uiOf(p);
  const row = rowsOf(getAt(ctx.draft.data, target.group.pointer))[target.index] ?? {};
  const name = rowName(target.group, target.index, row, p.lang);
  const question = ui.removeQuestion.replace('{row}', name);
  const query = fromCheck ? '?zurueck=pruefen' : '';
  const back = fromCheck ? `${p.base}/${service.definition.id}/pruefen` : target.listHref;
  return {
    template: 'remove-row', title: `${question} – ${t(step.title, p.lang)} – ${serviceTitle(p, service.definition.id)}`, status: 200,
    context: {
      serviceTitle: serviceTitle(p, service.definition.id), stepTitle: t(step.title, p.lang), question, lines: rowLines(specOf(target.group), row, p.lang),
      backHref: back, action: `${target.href}/entfernen${query}`, csrf,
    },
  };
}

async function remove(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const ctx = await rowContext(pages, req, reply, 'remove');
  if (!ctx) return;
  const { target } = ctx;
  await saveRow(pages, reply, ctx, removeRow(target.group, target.index, ctx.draft.data));
  // The banner names the row by its number, read back from the address; the list checks it (fields.ts removedNotice).
  const removed = target.group.row ? `${segmentOf(target.group)}.${target.index + 1}` : String(target.index + 1);
  const query = req.query.zurueck === 'pruefen' ? '&zurueck=pruefen' : '';
  return reply.redirect(`${target.listHref}?entfernt=${removed}${query}`, 303);
}

export function registerRowRemoval(pages: ApplicantPages): void {
  const { app } = pages;
  for (const path of ['/:tenant/:service/:step/:row/entfernen', '/:tenant/:service/:step/:row/:sub/:subrow/entfernen']) {
    app.get<RouteTypes>(path, async (req: Req, reply) => {
      const ctx = await rowContext(pages, req, reply, 'remove');
      if (!ctx) return;
      return pages.send(reply, ctx.p, removeView(ctx, req.query.zurueck === 'pruefen', reply.generateCsrf()));
    });
    app.post<RouteTypes>(path, { preHandler: app.csrfProtection }, async (req: Req, reply) => remove(pages, req, reply));
  }
}
