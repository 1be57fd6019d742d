/**
 * A place without a connected office, told as soon as the answers name the place (usually the
 * address step), not on the check page after every upload: which office is responsible where the
 * routing data knows it (with its contact), else the municipality to ask, and the answers so far
 * as a PDF to take along. Nothing is lost: the draft stays, and changing the place leads back.
 */
import type { FastifyReply } from 'fastify';
import { visibleSteps, type FormStep } from '../../forms/definition.js';
import { t } from '../../forms/text.js';
import { pruneHidden } from '../../forms/validate.js';
import { endpointFor, type RoutingData } from '../../routing/load.js';
import type { Authority } from '../../routing/types.js';
import { regionOf } from '../../services/region.js';
import type { LoadedService } from '../../services/registry.js';
import type { Draft } from '../../submissions/drafts.js';
import { checkSections } from './check.js';
import { authorityView } from './facts.js';
import { stepContext } from './logic.js';
import { placeElsewhere } from './place-view.js';
import type { ApplicantPages, Req, RouteTypes } from './request.js';
import { berlinDateTime, berlinToday, formOf, serviceTitle, uiOf, type PageEnv, type PageView } from './view.js';

/** The path segment of the page (reserved as a step id in src/forms/definition.ts). */
export const NO_OFFICE_SEGMENT = 'keine-stelle';
/** The answers so far as a PDF, for the applicant to take to the office. */
export const ANSWERS_PDF_SEGMENT = 'angaben.pdf';

export interface OfficeGap {
  ars: string;
  /** The responsible authority when the routing data knows one that has no endpoint for this service. */
  authority?: Authority;
}

/**
 * The place the answers name, when no office for this service is connected there; undefined while
 * the place is unknown or when an office is connected. Places in another Land are not gaps: the
 * applicant is sent to that Land's portal instead (./place-view.ts).
 */
export function officeGap(routing: RoutingData, service: LoadedService, data: Record<string, unknown>): OfficeGap | undefined {
  const ars = regionOf(service, data);
  if (!ars) return undefined;
  const leika = service.definition.leikaKey;
  const authorityId = routing.responsibility.resolve(leika, ars);
  if (authorityId && endpointFor(routing, authorityId, leika)) return undefined;
  return { ars, authority: authorityId ? routing.authorities.get(authorityId) : undefined };
}

/** Whether a posted step leads to the page below instead of the next step. */
export function gapAfterStep(pages: ApplicantPages, p: PageEnv, service: LoadedService, data: Record<string, unknown>): boolean {
  return !placeElsewhere(p.tenant, service, data) && officeGap(pages.rt.routing, service, data) !== undefined;
}

/** The step that asks for an address (most likely the place), else the first one. */
function placeStep(steps: readonly FormStep[]): FormStep | undefined {
  return steps.find((s) => s.fields.some((f) => f.kind.name === 'address')) ?? steps[0];
}

export function noOfficeView(env: PageEnv, service: LoadedService, gap: OfficeGap, opts: { placeName: string; steps: readonly FormStep[]; expiresAt: Date }): PageView {
  const ui = uiOf(env);
  const id = service.definition.id;
  const fill = (text: string) => text.replaceAll('{place}', opts.placeName).replaceAll('{service}', serviceTitle(env, id));
  const step = placeStep(opts.steps);
  return {
    template: 'no-office', title: fill(ui.noOfficeTitle), status: 200,
    context: {
      message: fill(ui.noOffice), authority: gap.authority ? authorityView(gap.authority, env.lang) : undefined, askMunicipality: gap.authority ? undefined : fill(ui.noOfficeAsk),
      contactHref: `${env.base}/kontakt`, pdfHref: `${env.base}/${id}/${ANSWERS_PDF_SEGMENT}`, changeHref: `${env.base}/${id}/${step?.id ?? ''}`,
      keptUntil: ui.draftKeptUntil.replace('{date}', berlinDateTime(opts.expiresAt, env.lang)),
    },
  };
}

function placeNameOf(pages: ApplicantPages, ars: string): string {
  return pages.rt.places?.municipalities.get(ars)?.name ?? ars;
}

async function showNoOffice(pages: ApplicantPages, req: Req, reply: FastifyReply) {
  const ctx = await pages.serviceContext(req, reply);
  if (!ctx) return;
  const { p, service, draft } = ctx;
  const gap = officeGap(pages.rt.routing, service, draft.data);
  // The place changed, or an office was connected meanwhile: on with the form.
  if (!gap) return reply.redirect(`${p.base}/${service.definition.id}/${draft.currentStep ?? 'pruefen'}`, 303);
  const conditions = stepContext(p, pages.rt.places, service, berlinToday(), draft.data).conditions;
  const steps = visibleSteps(formOf(p.tenant, service.definition.id), draft.data, conditions);
  return pages.send(reply, p, noOfficeView(p, service, gap, { placeName: placeNameOf(pages, gap.ars), steps, expiresAt: draft.expiresAt }));
}

/** The answers so far as a PDF: the check page's rows under the title "your answers, not submitted". */
async function sendAnswersPdf(pages: ApplicantPages, reply: FastifyReply, p: PageEnv, service: LoadedService, draft: Draft) {
  const ui = uiOf(p);
  const conditions = stepContext(p, pages.rt.places, service, berlinToday(), draft.data).conditions;
  const data = pruneHidden(formOf(p.tenant, service.definition.id), draft.data, conditions);
  const gap = officeGap(pages.rt.routing, service, draft.data);
  const { answersPdf } = await import('../receipt-pdf.js');
  const logo = p.tenant.logoSvg?.body;
  const pdf = await answersPdf({
    lang: p.lang, ui, landName: t(p.tenant.name, p.lang), portalName: t(p.tenant.portalName, p.lang), logoSvg: logo?.toString(),
    serviceTitle: serviceTitle(p, service.definition.id), createdAt: berlinDateTime(new Date(), p.lang),
    authority: gap?.authority ? authorityView(gap.authority, p.lang) : undefined,
    sections: checkSections(p, service, data, conditions, draft.account ? draft.accountMeta?.prefilled : undefined).map((s) => ({ title: s.title, rows: s.rows.map(({ changeHref: _href, note: _note, ...row }) => row) })),
  });
  return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${service.definition.id}-angaben.pdf"`).header('cache-control', 'no-store').send(pdf);
}

export function registerNoOffice(pages: ApplicantPages): void {
  pages.app.get<RouteTypes>(`/:tenant/:service/${NO_OFFICE_SEGMENT}`, async (req: Req, reply) => showNoOffice(pages, req, reply));
  pages.app.get<RouteTypes>(`/:tenant/:service/${ANSWERS_PDF_SEGMENT}`, async (req: Req, reply) => {
    const ctx = await pages.serviceContext(req, reply);
    if (!ctx) return;
    return sendAnswersPdf(pages, reply, ctx.p, ctx.service, ctx.draft);
  });
}
