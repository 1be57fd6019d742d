/**
 * The applicant pages as one Fastify plugin (registered by src/http/app.ts): one module per page
 * kind, each with its routes and its view model, sharing ./request.ts (tenant, language, draft
 * cookie, sending a page) and ./view.ts (the layout and what every view needs).
 */
import type { FastifyInstance } from 'fastify';
import type { Renderer } from '../../forms/render.js';
import type { Runtime } from '../../runtime.js';
import { ASSET_FILES, registerAssets } from './assets.js';
import { registerCheck } from './check.js';
import { registerConfirmation } from './confirmation.js';
import { FIGURES_SEGMENT, registerFigures } from './figures.js';
import { registerHome } from './home.js';
import { LEGAL_PAGES, registerLegal } from './legal.js';
import { LOGIN_SEGMENT, registerLogin } from './login.js';
import { registerNoOffice } from './no-office.js';
import { registerPayment } from './payment.js';
import { ApplicantPages } from './request.js';
import { registerRowRemoval } from './row-remove.js';
import { registerResume } from './resume.js';
import { registerRows } from './row.js';
import { registerStart } from './start.js';
import { registerStatus } from './status.js';
import { registerPostfach } from './postfach.js';
import { OVERVIEW_SEGMENT, registerPostfachAccount } from './postfach-account.js';
import { registerPostfachReply } from './postfach-reply.js';
import { registerStep } from './step.js';
import { registerSubmit } from './submit.js';
import { StepUploads } from './uploads.js';

interface Options {
  rt: Runtime;
  renderer: Renderer;
  receiverUrl?: string;
}

/** Path segments below a tenant that are pages of their own, never a service. */
const RESERVED = new Set(['status', FIGURES_SEGMENT, LOGIN_SEGMENT, OVERVIEW_SEGMENT, ...LEGAL_PAGES.map((p) => p.slug), ...ASSET_FILES]);

export async function applicantRoutes(app: FastifyInstance, { rt, renderer, receiverUrl }: Options): Promise<void> {
  const uploads = await StepUploads.register(app, rt);
  const pages = new ApplicantPages(app, rt, renderer, RESERVED);
  registerHome(pages, receiverUrl);
  registerAssets(pages);
  registerLegal(pages);
  registerFigures(pages);
  registerStatus(pages);
  registerPostfach(pages);
  registerPostfachAccount(pages);
  registerPostfachReply(pages, uploads);
  registerStart(pages);
  registerLogin(pages);
  registerCheck(pages);
  registerSubmit(pages);
  registerPayment(pages);
  registerConfirmation(pages);
  registerNoOffice(pages);
  registerResume(pages);
  registerStep(pages, uploads);
  registerRows(pages, uploads);
  registerRowRemoval(pages);
}
