/**
 * The status page of a submitted application and its PDF receipt, for whoever may see it
 * (./access.ts): where the application is, what happens next, and whom to ask.
 */
import type { FastifyReply } from 'fastify';
import { t, type Lang } from '../../forms/text.js';
import type { UiTexts } from '../../forms/ui-texts.js';
import type { Authority } from '../../routing/types.js';
import type { Runtime } from '../../runtime.js';
import type { LoadedService } from '../../services/registry.js';
import type { ReceiptInput, ReceiptSection } from '../receipt-pdf.js';
import { portalNameOf } from '../../tenants/portals.js';
import { applicantFacts, keyNeededView, RECEIPT_FILE, statusAccess, withoutFactsOncePurged, type StatusAccess, type SubmissionView } from './access.js';
import { confirmationView } from './confirmation.js';
import { statusPageExtras } from './postfach.js';
import { authorityView, type AuthorityView, type SubmissionFacts } from './facts.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinDateTime, serviceTitle, uiOf, type PageEnv, type PageView } from './view.js';

export function statusView(env: PageEnv, s: SubmissionFacts): PageView {
  const ui = uiOf(env);
  const key = s.status.charAt(0).toUpperCase() + s.status.slice(1);
  const tone = { submitted: 'info', delivered: 'success', accepted: 'success', failed: 'warning', rejected: 'danger' }[s.status] ?? 'info';
  return {
    template: 'status', title: ui.statusTitle, status: 200,
    context: {
      reference: s.reference, serviceTitle: serviceTitle(env, s.serviceId), submittedAt: berlinDateTime(s.submittedAt, env.lang), authorityName: s.authorityName, authority: authorityView(s.authority, env.lang, s.authorityName), receiptHref: s.receiptHref,
      status: s.status, statusTone: tone, statusText: ui[`status${key}` as keyof UiTexts], statusExplanation: ui[`explain${key}` as keyof UiTexts],
    },
  };
}

/**
 * What the shared status view does not know: a submission for a pull authority is not "being
 * delivered" but waits until the authority collects it; a delivery without the authority's signed
 * receipt is only "handed over", never "confirmed"; a dead letter says what happens next and whom
 * to ask (the authority's contact from the routing data); a decision has a date.
 */
function withProgress(p: PageEnv, view: PageView, row: SubmissionView, contact: Authority['contact']): PageView {
  const ui = uiOf(p);
  const awaitingPickup = row.delivery_mode === 'pull' && row.status === 'submitted';
  const handedOver = row.status === 'delivered' && !row.confirmed;
  const failed = row.status === 'failed';
  const decidedAt = row.decided_at === null ? undefined : berlinDateTime(row.decided_at, p.lang);
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

/** The sections of the applicant's copy, undefined once purged (or unreadable after a key was removed). */
async function applicantCopyOf(rt: Runtime, id: string): Promise<Partial<Record<Lang, ReceiptSection[]>> | undefined> {
  const { rows } = await rt.db.query<{ applicant_copy: Uint8Array | null }>('SELECT applicant_copy FROM submissions WHERE id = $1', [id]);
  const blob = rows[0]?.applicant_copy;
  if (!blob || blob.length === 0) return undefined;
  return rt.drafts.openApplicantCopy(id, blob)?.sections as Partial<Record<Lang, ReceiptSection[]>> | undefined;
}

function receiptInput(rt: Runtime, p: PageEnv, service: LoadedService, { row, key }: StatusAccess, copy: Partial<Record<Lang, ReceiptSection[]>> | undefined): ReceiptInput {
  const view = withoutFactsOncePurged(row, confirmationView(p, service, { ...applicantFacts(rt, p, row, key), statusHref: '' }));
  const logo = p.tenant.logoSvg?.body;
  return {
    lang: p.lang, ui: uiOf(p), landName: t(p.tenant.name, p.lang), portalName: t(portalNameOf(p.tenant, service.definition.id), p.lang), logoSvg: logo === undefined ? undefined : logo.toString(),
    reference: row.reference, serviceTitle: view.context.serviceTitle as string, submittedAt: view.context.submittedAt as string,
    authority: view.context.authority as AuthorityView, facts: view.context.facts as ReceiptInput['facts'], nextSteps: view.context.nextSteps as string[],
    // A Land that added a language after the submission: the copy in German.
    sections: copy?.[p.lang] ?? copy?.de,
  };
}

async function sendReceipt(rt: Runtime, reply: FastifyReply, p: PageEnv, service: LoadedService, access: StatusAccess) {
  const { row } = access;
  // PDFKit, fontkit and the fonts load on the first receipt, not at every start of the API.
  const { receiptPdf } = await import('../receipt-pdf.js');
  const pdf = await receiptPdf(receiptInput(rt, p, service, access, row.payload_purged_at ? undefined : await applicantCopyOf(rt, row.id)));
  const name = `${p.lang === 'en' ? 'Receipt' : 'Eingangsbestaetigung'}-${row.reference.replace(/[^A-Za-z0-9-]/g, '')}.pdf`;
  return reply.code(200).type('application/pdf').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store')
    .header('content-language', p.lang).header('vary', 'Accept-Language, Cookie').header('x-robots-tag', 'noindex').send(pdf);
}

export function registerStatus(pages: ApplicantPages): void {
  const { app, rt } = pages;
  app.get<RouteTypes>('/:tenant/status/:key', async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const access = await statusAccess(rt, req, p);
    if (!access) return pages.notFound(reply, p);
    if (access === 'key-needed') return pages.send(reply, p, keyNeededView(p));
    const { row, key } = access;
    p.serviceId = row.service_id;
    const view = withProgress(p, statusView(p, applicantFacts(rt, p, row, key)), row, rt.routing.authorities.get(row.authority_id)?.contact);
    return pages.send(reply, p, { ...view, context: { ...view.context, ...(await statusPageExtras(rt, p, access)) } });
  });

  app.get<RouteTypes>(`/:tenant/status/:key/${RECEIPT_FILE}`, async (req: Req, reply) => {
    const p = pages.page(req, reply);
    if (!p) return pages.notFound(reply, p);
    const access = await statusAccess(rt, req, p);
    if (access === 'key-needed') return pages.send(reply, p, keyNeededView(p));
    const service = access && rt.services.get(access.row.service_id);
    if (!access || !service) return pages.notFound(reply, p);
    return sendReceipt(rt, reply, p, service, access);
  });
}
