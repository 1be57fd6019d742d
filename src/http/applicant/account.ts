/**
 * What the applicant pages need to know of a login (src/accounts/): the service's declared login,
 * this browser's session, and the pages that refuse (trust level too low, another account's draft).
 * The login's routes are in ./login.ts.
 */
import type { FastifyRequest } from 'fastify';
import type { AccountSession } from '../../accounts/sessions.js';
import type { TrustLevel } from '../../accounts/types.js';
import type { Lang } from '../../forms/text.js';
import type { Runtime } from '../../runtime.js';
import type { LoadedService, ServiceLogin } from '../../services/registry.js';
import { serviceTitle, type PageEnv, type PageView } from './view.js';

const LEVEL_NAMES: Record<Lang, Record<TrustLevel, string>> = {
  de: { low: 'niedrig (Benutzername und Passwort)', substantial: 'substanziell (zum Beispiel ELSTER-Zertifikat)', high: 'hoch (Online-Ausweis)' },
  en: { low: 'low (user name and password)', substantial: 'substantial (for example an ELSTER certificate)', high: 'high (online ID card)' },
};

export const TEXTS = {
  de: {
    levelTitle: 'Höheres Vertrauensniveau nötig', levelNeeded: (service: string, needed: string, reached?: string) => `Für „${service}“ brauchen Sie eine Anmeldung mit dem Vertrauensniveau ${needed}. ${reached ? `Ihre Anmeldung hatte das Niveau ${reached}.` : 'Mit der gewählten Anmeldeart ist das nicht möglich.'}`,
    levelHow: 'So melden Sie sich mit einem höheren Niveau an:', levelWays: ['mit dem Online-Ausweis: Personalausweis, elektronischer Aufenthaltstitel oder eID-Karte mit der App AusweisApp (Niveau hoch),', 'mit einem ELSTER-Zertifikat, wie Sie es für die Steuererklärung nutzen (Niveau substanziell).'],
    retry: 'Erneut anmelden', toStart: 'Zur Startseite der Leistung',
    failedTitle: 'Anmeldung fehlgeschlagen', failed: 'Die Anmeldung konnte nicht abgeschlossen werden oder hat zu lange gedauert. Bitte melden Sie sich erneut an.',
    otherTitle: 'Antrag gehört zu einem anderen Nutzerkonto', other: 'Dieser Antrag wurde mit einem anderen Nutzerkonto begonnen. Sie können ihn mit Ihrem Nutzerkonto nicht öffnen.',
    loggedOutTitle: 'Sie sind abgemeldet', loggedOut: 'Sie wurden von diesem Portal und von Ihrem Nutzerkonto abgemeldet.',
    toLoginTitle: 'Anmelden mit Ihrem Nutzerkonto', toLogin: 'Sie werden jetzt zu Ihrem Nutzerkonto weitergeleitet und kommen nach der Anmeldung hierher zurück.', toLoginButton: 'Weiter zum Nutzerkonto',
    toLogoutTitle: 'Abmelden beim Nutzerkonto', toLogout: 'Sie sind von diesem Portal abgemeldet. Sie werden jetzt auch bei Ihrem Nutzerkonto abgemeldet.', toLogoutButton: 'Weiter zum Nutzerkonto',
  },
  en: {
    levelTitle: 'A higher level of assurance is needed', levelNeeded: (service: string, needed: string, reached?: string) => `“${service}” needs a login at the level of assurance ${needed}. ${reached ? `Your login had the level ${reached}.` : 'The way you chose to log in cannot reach it.'}`,
    levelHow: 'How to log in at a higher level:', levelWays: ['with the online ID function of your identity card, electronic residence permit or eID card and the AusweisApp (level high),', 'with an ELSTER certificate, as used for tax returns (level substantial).'],
    retry: 'Log in again', toStart: 'To the service’s start page',
    failedTitle: 'Login failed', failed: 'The login could not be completed or took too long. Please log in again.',
    otherTitle: 'This application belongs to another account', other: 'This application was started with another user account. You cannot open it with yours.',
    loggedOutTitle: 'You are logged out', loggedOut: 'You were logged out of this portal and of your user account.',
    toLoginTitle: 'Log in with your user account', toLogin: 'You are now taken to your user account and come back here after the login.', toLoginButton: 'Continue to the user account',
    toLogoutTitle: 'Log out at the user account', toLogout: 'You are logged out of this portal. You are now logged out of your user account too.', toLogoutButton: 'Continue to the user account',
  },
} as const;

export const textsOf = (p: PageEnv) => TEXTS[p.lang];

export function accountView(p: PageEnv, status: number, context: { heading: string; paragraphs: string[]; items?: readonly string[]; actionHref?: string; actionLabel?: string; homeHref?: string; homeLabel?: string }): PageView {
  return { template: 'account', title: context.heading, status, context };
}

/**
 * A page that goes on to the account service at once (an instant client-side redirect, WCAG
 * technique G110), with a link for the same. A redirect would not do: the pages' CSP allows forms
 * to go to this origin only (form-action 'self'), and browsers hold the redirects after a form to
 * that too, so "Antrag starten", a step posted after the session ended, or "Abmelden" would stop
 * at the redirect to the account service.
 */
export function continueView(p: PageEnv, to: 'login' | 'logout', href: string): PageView {
  const x = textsOf(p);
  const [heading, text, label] = to === 'login' ? [x.toLoginTitle, x.toLogin, x.toLoginButton] : [x.toLogoutTitle, x.toLogout, x.toLogoutButton];
  return { template: 'account', title: heading, status: 200, context: { heading, paragraphs: [text], actionHref: href, actionLabel: label, refreshTo: href } };
}

/** The service's declared login, or undefined when it has none (or `off`). */
export function loginOf(service: LoadedService): ServiceLogin | undefined {
  const login = service.definition.login;
  return login && login.mode !== 'off' ? login : undefined;
}

export const neededLevel = (login: ServiceLogin): TrustLevel => login.trustLevel ?? 'low';

/** `reached` is absent when the account service refused the level itself (SAML NoAuthnContext). */
export function levelRefusedView(p: PageEnv, service: LoadedService, needed: TrustLevel, reached?: TrustLevel): PageView {
  const x = textsOf(p);
  const id = service.definition.id;
  return accountView(p, 403, {
    heading: x.levelTitle, paragraphs: [x.levelNeeded(serviceTitle(p, id), LEVEL_NAMES[p.lang][needed], reached && LEVEL_NAMES[p.lang][reached]), x.levelHow], items: x.levelWays,
    actionHref: `${p.base}/${id}/anmelden`, actionLabel: x.retry, homeHref: `${p.base}/${id}`, homeLabel: x.toStart,
  });
}

export function otherAccountView(p: PageEnv, service: LoadedService): PageView {
  const x = textsOf(p);
  return accountView(p, 403, { heading: x.otherTitle, paragraphs: [x.other], homeHref: `${p.base}/${service.definition.id}`, homeLabel: x.toStart });
}

export const sessionCookie = (serviceId: string) => `efa_session_${serviceId}`;

/** The path segment below a tenant for the account service's callbacks (one URL to register per tenant). */
export const LOGIN_SEGMENT = 'anmeldung';
export const LOGIN_COOKIE = 'efa_login';

/**
 * The Postfach after login is a login of its own at the Land's account service, not at a service:
 * its sessions carry this in place of a service id (no service id can take it, they start with a
 * letter), and its cookie goes to the whole Land's pages, so the status and Postfach pages of the
 * account's applications open for it (./access.ts).
 */
export const OVERVIEW_SESSION = '_postfach';
export const OVERVIEW_COOKIE = 'efa_session_postfach';
export const overviewCookiePath = (p: PageEnv) => p.base || '/';

/** This browser's Postfach login in this Land, if any (no database read without its cookie). */
export async function overviewSessionOf(rt: Runtime, req: FastifyRequest, p: PageEnv): Promise<{ id: string; session: AccountSession } | undefined> {
  const id = unsigned(req, OVERVIEW_COOKIE);
  if (!id) return undefined;
  const session = await rt.accounts.sessions.find(id, p.tenant.id, OVERVIEW_SESSION);
  return session && { id, session };
}

export function cookieOptions(rt: Runtime, path: string, maxAge?: number) {
  return { signed: true, httpOnly: true, sameSite: 'lax' as const, secure: rt.config.production ? true : 'auto' as const, path, ...(maxAge ? { maxAge } : {}) };
}

export function unsigned(req: FastifyRequest, name: string): string | undefined {
  const raw = req.cookies[name];
  if (!raw) return undefined;
  const value = req.unsignCookie(raw);
  return value.valid && value.value ? value.value : undefined;
}

/** The logged-in session of this browser for the service, if any (no database read without its cookie). */
export async function sessionOf(rt: Runtime, req: FastifyRequest, p: PageEnv, serviceId: string): Promise<{ id: string; session: AccountSession } | undefined> {
  const id = unsigned(req, sessionCookie(serviceId));
  if (!id) return undefined;
  const session = await rt.accounts.sessions.find(id, p.tenant.id, serviceId);
  return session && { id, session };
}

