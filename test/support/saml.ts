import { inflateRawSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AuthAdapter, LoginResult, TrustLevel } from '../../src/accounts/types.js';
import { DEMO_IDP_CERT, DEMO_IDP_KEY, DEMO_SP_CERT, DEMO_SP_KEY } from '../../src/demo/saml-keys.js';
import { startSamlIdp, type KnownServiceProvider } from '../../src/demo/saml-idp.js';

/**
 * The SAML tests' parts over real HTTP: the local IdP (src/demo/saml-idp.ts), a service provider's
 * assertion consumer that hands what the browser posts to the adapter, and a "browser" that
 * follows the IdP's pages (HTML forms) from the AuthnRequest to the posted Response.
 */

export const IDP_ENTITY = 'https://idp.demo.invalid/bundid';
export const SP_ENTITY = 'https://efa.demo.invalid/sh/saml';

export function unescapeHtml(value: string): string {
  // Handlebars writes = and ` as numeric references.
  return value.replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16))).replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export interface HtmlForm {
  action: string;
  fields: Record<string, string>;
}

export function formsOf(html: string, base: string): HtmlForm[] {
  return [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => ({
    action: new URL(unescapeHtml(m[1] ?? ''), base).href,
    fields: Object.fromEntries([...(m[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((f) => [f[1] ?? '', unescapeHtml(f[2] ?? '')])),
  }));
}

export async function postForm(form: HtmlForm): Promise<Response> {
  return fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form.fields).toString(), redirect: 'manual' });
}

export interface SamlEnvironment {
  idp: Awaited<ReturnType<typeof startSamlIdp>>;
  sp: KnownServiceProvider;
  close(): Promise<void>;
}

export async function startIdp(sp: KnownServiceProvider = { signingCert: DEMO_SP_CERT }): Promise<SamlEnvironment> {
  const idp = await startSamlIdp({ entityId: IDP_ENTITY, signer: { key: DEMO_IDP_KEY, cert: DEMO_IDP_CERT }, serviceProvider: (id) => (id === SP_ENTITY ? sp : undefined) });
  return { idp, sp, close: () => idp.app.close() };
}

/** The tenant configuration of the adapter under test, with its secrets. */
export function spConfig(idpUrl: string, extra: Record<string, unknown> = {}): { config: Record<string, unknown>; env: Record<string, string> } {
  return {
    config: {
      adapter: 'saml', entityId: SP_ENTITY,
      // The IdP's address from the environment, as `npm start` gives the local IdP's.
      idp: { entityId: IDP_ENTITY, ssoUrl: '${IDP_URL}/sso', cert: DEMO_IDP_CERT },
      signingKeyEnv: 'SP_KEY', signingCertEnv: 'SP_CERT', ...extra,
    },
    env: { IDP_URL: idpUrl, SP_KEY: DEMO_SP_KEY.replace(/\n/g, '\\n'), SP_CERT: DEMO_SP_CERT, ENC_KEY: DEMO_SP_KEY, ENC_CERT: DEMO_SP_CERT },
  };
}

/** The service provider's assertion consumer: what is posted goes to `adapter.complete` with the browser's pending state. */
export interface Acs {
  url: string;
  app: FastifyInstance;
  /** Set by the test before the browser posts: the adapter and what `begin` returned. */
  expect(adapter: AuthAdapter, pending: Record<string, unknown>): void;
}

export async function startAcs(): Promise<Acs> {
  const app = Fastify();
  let current: { adapter: AuthAdapter; pending: Record<string, unknown> } | undefined;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.post('/sh/_efa/login/saml/acs', async (req, reply) => {
    if (!current) return reply.code(500).send({ error: 'no login expected' });
    try {
      const result = await current.adapter.complete({ url: `${acs.url}`, method: 'POST', body: req.body as Record<string, string>, pending: current.pending });
      return reply.send(result);
    } catch (err) {
      return reply.code(400).send({ code: (err as { code?: string }).code, message: (err as Error).message });
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const acs: Acs = { url: `http://127.0.0.1:${port}/sh/_efa/login/saml/acs`, app, expect: (adapter, pending) => { current = { adapter, pending }; } };
  return acs;
}

/** The AuthnRequest inside a redirect URL, as XML. */
export function authnRequestOf(redirectUrl: string): string {
  const encoded = new URL(redirectUrl).searchParams.get('SAMLRequest') ?? '';
  return inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
}

/** The browser's way from `begin` to the IdP's auto-submitting Response form, choosing `person`. */
export async function throughIdp(adapter: AuthAdapter, acs: Acs, person: string, level: TrustLevel): Promise<{ response: HtmlForm; pending: Record<string, unknown>; redirectUrl: string }> {
  const start = await adapter.begin({ tenantId: 'sh', serviceId: 'demo', trustLevel: level, callbackUrl: acs.url, returnTo: '/sh/demo' });
  const choice = start.form ? await postForm(start.form) : await fetch(start.redirectUrl);
  const choiceHtml = await choice.text();
  if (choice.status !== 200) throw new Error(`IdP refused the request: ${choice.status} ${choiceHtml}`);
  const form = formsOf(choiceHtml, choice.url || start.redirectUrl).find((f) => f.fields['person'] === person);
  if (!form) throw new Error(`no test person ${person} on the IdP's page`);
  const answered = await postForm(form);
  const [response] = formsOf(await answered.text(), form.action);
  if (!response) throw new Error('the IdP answered without a form');
  return { response, pending: start.pending, redirectUrl: start.redirectUrl };
}

export async function postResponse(acs: Acs, adapter: AuthAdapter, pending: Record<string, unknown>, form: HtmlForm): Promise<{ status: number; body: LoginResult & { code?: string; message?: string } }> {
  acs.expect(adapter, pending);
  const res = await postForm(form);
  return { status: res.status, body: await res.json() as LoginResult & { code?: string; message?: string } };
}

/** The Response XML of a form, to read or to tamper with. */
export function responseXml(form: HtmlForm): string {
  return Buffer.from(form.fields['SAMLResponse'] ?? '', 'base64').toString('utf8');
}

export function withResponseXml(form: HtmlForm, xml: string): HtmlForm {
  return { action: form.action, fields: { ...form.fields, SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') } };
}
