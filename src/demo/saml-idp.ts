import { createSign, createVerify } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { SignedXml } from 'xml-crypto';
import { AKDB_NS, storkLevelsFrom, type StorkLevel } from '../accounts/saml-vocabulary.js';
import { TEST_PERSONS, testPerson, type TestPerson } from './saml-idp-persons.js';
import { escapeXml, noAuthnContextResponse, samlId, successResponse, type Addressing, type SigningKey } from './saml-idp-response.js';

/**
 * A local SAML 2.0 identity provider standing in for BundID in development and tests. It takes a
 * signed AuthnRequest over HTTP-Redirect (GET) or HTTP-POST, checks the service provider's
 * signature, shows the test persons, and answers over HTTP-POST with a signed (and, when the
 * service provider has an encryption certificate, encrypted) assertion at the person's STORK-QAA
 * level, releasing only the attributes requested in the AKDB extension. A person below the
 * requested minimum gets the signed `NoAuthnContext` refusal BundID sends.
 *
 * Routes, under the prefix it is registered with: `GET metadata`, `GET|POST sso`, `POST login`,
 * `GET slo` (single logout over HTTP-Redirect, answered with a signed LogoutResponse).
 */

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'RSA-SHA256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'RSA-SHA512',
};

/** A service provider the IdP knows: its request signing certificate and, optionally, where to encrypt to. */
export interface KnownServiceProvider {
  signingCert: string;
  encryptionCert?: string;
  /** Where single logout answers; absent: the LogoutRequest's RelayState (the local IdP's convenience). */
  logoutUrl?: string;
}

/**
 * Ways to make the IdP misbehave, for tests of the service provider's checks (never set by
 * `npm start`): another audience or recipient, a clock that is off, another signing key.
 */
export interface Misbehaviour {
  audience?: string;
  recipient?: string;
  clockOffsetMs?: number;
  signer?: SigningKey;
  ignoreMinimumLevel?: boolean;
}

export interface SamlIdpOptions {
  entityId: string;
  /** The absolute URL of the `sso` route, as metadata publishes it. */
  ssoUrl: string;
  signer: SigningKey;
  serviceProvider(entityId: string): KnownServiceProvider | undefined;
  lifetimeMs?: number;
  misbehave?: Misbehaviour;
}

/** What the IdP read from a verified AuthnRequest. */
export interface ParsedRequest {
  id: string;
  issuer: string;
  acsUrl: string;
  minimum?: StorkLevel;
  requestedOids: string[];
  relayState?: string;
}

export class SamlIdpRequestError extends Error {}

function firstNs(parent: Document | Element, ns: string, name: string): Element | undefined {
  return parent.getElementsByTagNameNS(ns, name)[0] ?? undefined;
}

export function parseAuthnRequest(xml: string, relayState: string | undefined): ParsedRequest {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (!root || root.localName !== 'AuthnRequest' || root.namespaceURI !== SAMLP) throw new SamlIdpRequestError('not a samlp:AuthnRequest');
  const issuer = firstNs(root, SAML, 'Issuer')?.textContent?.trim();
  const acsUrl = root.getAttribute('AssertionConsumerServiceURL');
  const id = root.getAttribute('ID');
  if (!issuer || !acsUrl || !id) throw new SamlIdpRequestError('the AuthnRequest lacks ID, Issuer or AssertionConsumerServiceURL');
  const context = firstNs(root, SAMLP, 'RequestedAuthnContext');
  if (context && context.getAttribute('Comparison') !== 'minimum') throw new SamlIdpRequestError('RequestedAuthnContext must use Comparison="minimum"');
  const minimum = context ? firstNs(context, SAML, 'AuthnContextClassRef')?.textContent?.trim() as StorkLevel | undefined : undefined;
  const requested = Array.from(root.getElementsByTagNameNS(AKDB_NS, 'RequestedAttribute')).map((e) => e.getAttribute('Name') ?? '').filter(Boolean);
  return { id, issuer, acsUrl, minimum, requestedOids: requested, relayState };
}

/** The raw `name=value` pairs of a query string, undecoded, as the redirect binding signs them. */
function rawParams(query: string): Map<string, string> {
  return new Map(query.split('&').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
  }));
}

/** HTTP-Redirect binding (SAML bindings §3.4.4.1): the signature covers the encoded parameters in order. */
function readRedirect<T extends { issuer: string }>(query: string, sp: (entityId: string) => KnownServiceProvider | undefined, parse: (xml: string, relayState: string | undefined) => T): T {
  const raw = rawParams(query);
  const encoded = raw.get('SAMLRequest');
  if (!encoded) throw new SamlIdpRequestError('SAMLRequest is missing');
  const xml = inflateRawSync(Buffer.from(decodeURIComponent(encoded), 'base64')).toString('utf8');
  const relay = raw.get('RelayState');
  const request = parse(xml, relay === undefined ? undefined : decodeURIComponent(relay));
  const known = sp(request.issuer);
  if (!known) throw new SamlIdpRequestError(`unknown service provider ${request.issuer}`);
  const sigAlg = raw.get('SigAlg');
  const signature = raw.get('Signature');
  const algorithm = sigAlg ? SIG_ALGS[decodeURIComponent(sigAlg)] : undefined;
  if (!algorithm || !signature) throw new SamlIdpRequestError('the request is not signed with RSA-SHA256 or RSA-SHA512');
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => `${k}=${raw.get(k)}`).join('&');
  const ok = createVerify(algorithm).update(signed).verify(known.signingCert, Buffer.from(decodeURIComponent(signature), 'base64'));
  if (!ok) throw new SamlIdpRequestError('the request signature does not verify');
  return request;
}

export function readRedirectRequest(query: string, sp: (entityId: string) => KnownServiceProvider | undefined): ParsedRequest {
  return readRedirect(query, sp, parseAuthnRequest);
}

/** What the IdP reads from a LogoutRequest (single logout). */
export interface ParsedLogout {
  id: string;
  issuer: string;
  nameId: string;
  sessionIndex?: string;
  relayState?: string;
}

export function parseLogoutRequest(xml: string, relayState: string | undefined): ParsedLogout {
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (!root || root.localName !== 'LogoutRequest' || root.namespaceURI !== SAMLP) throw new SamlIdpRequestError('not a samlp:LogoutRequest');
  const issuer = firstNs(root, SAML, 'Issuer')?.textContent?.trim();
  const nameId = firstNs(root, SAML, 'NameID')?.textContent?.trim();
  const id = root.getAttribute('ID');
  if (!issuer || !nameId || !id) throw new SamlIdpRequestError('the LogoutRequest lacks ID, Issuer or NameID');
  return { id, issuer, nameId, sessionIndex: firstNs(root, SAMLP, 'SessionIndex')?.textContent?.trim(), relayState };
}

/** The signed LogoutResponse over HTTP-Redirect, to the service provider's logout URL. */
export function logoutResponseUrl(opts: SamlIdpOptions, request: ParsedLogout, target: string): string {
  const xml = `<samlp:LogoutResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${samlId()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${escapeXml(target)}" InResponseTo="${escapeXml(request.id)}">`
    + `<saml:Issuer>${escapeXml(opts.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
  const params = [['SAMLResponse', deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64')], ...(request.relayState ? [['RelayState', request.relayState]] : []), ['SigAlg', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256']]
    .map(([k, v]) => `${k}=${encodeURIComponent(v ?? '')}`).join('&');
  const signature = createSign('RSA-SHA256').update(params).sign(opts.signer.key, 'base64');
  const url = new URL(target);
  return `${url.origin}${url.pathname}${url.search ? `${url.search}&` : '?'}${params}&Signature=${encodeURIComponent(signature)}`;
}

/** HTTP-POST binding: the request carries an enveloped XML signature. */
export function readPostRequest(body: Record<string, string>, sp: (entityId: string) => KnownServiceProvider | undefined): ParsedRequest {
  if (!body.SAMLRequest) throw new SamlIdpRequestError('SAMLRequest is missing');
  const xml = Buffer.from(body.SAMLRequest, 'base64').toString('utf8');
  const request = parseAuthnRequest(xml, body.RelayState);
  const known = sp(request.issuer);
  if (!known) throw new SamlIdpRequestError(`unknown service provider ${request.issuer}`);
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
  if (!signature) throw new SamlIdpRequestError('the AuthnRequest is not signed');
  const verifier = new SignedXml({ publicCert: known.signingCert });
  verifier.loadSignature(signature);
  if (!verifier.checkSignature(xml) || verifier.getSignedReferences().length !== 1) throw new SamlIdpRequestError('the AuthnRequest signature does not verify');
  return request;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>`
    + '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
    + `<body><main><h1>${escapeXml(title)}</h1>${body}</main></body></html>`;
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${escapeXml(value)}">`;
}

/** The choice of test persons; each button posts the original, signed request back with the person. */
function choicePage(binding: 'redirect' | 'post', original: string, request: ParsedRequest): string {
  const allowed = new Set(storkLevelsFrom(request.minimum ?? 'STORK-QAA-Level-1'));
  const forms = TEST_PERSONS.map((p) => `<form method="post" action="login">${hidden('binding', binding)}${hidden('original', original)}${hidden('person', p.id)}`
    + `<button type="submit">${escapeXml(p.label)}: ${escapeXml(p.method)} (${p.stork})</button>`
    + `${allowed.has(p.stork) ? '' : ' <span>reicht für diesen Dienst nicht aus</span>'}</form>`).join('');
  return page('Lokaler SAML-IdP (BundID-Ersatz): Testperson wählen', `<p>Angefordert: mindestens ${escapeXml(request.minimum ?? 'keine Stufe')}.</p>${forms}`);
}

/** The HTTP-POST binding's answer: a form the browser submits to the service provider. */
export function postForm(action: string, response: string, relayState: string | undefined): string {
  const fields = hidden('SAMLResponse', Buffer.from(response, 'utf8').toString('base64')) + (relayState === undefined ? '' : hidden('RelayState', relayState));
  return page('Weiterleitung zum Dienst', `<form id="saml" method="post" action="${escapeXml(action)}">${fields}<button type="submit">Weiter</button></form>`
    + '<script>document.getElementById("saml").submit()</script>');
}

function addressing(opts: SamlIdpOptions, request: ParsedRequest): Addressing {
  const m = opts.misbehave ?? {};
  return {
    idpEntityId: opts.entityId, requestId: request.id, audience: m.audience ?? request.issuer, recipient: m.recipient ?? request.acsUrl,
    requestedOids: request.requestedOids, now: new Date(Date.now() + (m.clockOffsetMs ?? 0)), lifetimeMs: opts.lifetimeMs ?? 5 * 60_000,
  };
}

export async function answer(opts: SamlIdpOptions, request: ParsedRequest, person: TestPerson): Promise<string> {
  const a = addressing(opts, request);
  const signer = opts.misbehave?.signer ?? opts.signer;
  const reaches = storkLevelsFrom(request.minimum ?? 'STORK-QAA-Level-1').includes(person.stork);
  if (!reaches && !opts.misbehave?.ignoreMinimumLevel) return noAuthnContextResponse(a, signer, `${person.stork} erreicht ${request.minimum ?? ''} nicht`);
  return successResponse(person, a, signer, opts.serviceProvider(request.issuer)?.encryptionCert);
}

export function idpMetadata(opts: SamlIdpOptions): string {
  const cert = opts.signer.cert.replace(/-----[^-]+-----|\s/g, '');
  return `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(opts.entityId)}">`
    + `<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="${SAMLP}">`
    + `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
    + '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>'
    + `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escapeXml(opts.ssoUrl.replace(/sso$/, 'slo'))}"/>`
    + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escapeXml(opts.ssoUrl)}"/>`
    + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escapeXml(opts.ssoUrl)}"/>`
    + '</md:IDPSSODescriptor></md:EntityDescriptor>';
}

function refuse(reply: FastifyReply, err: unknown): FastifyReply {
  const message = err instanceof SamlIdpRequestError ? err.message : 'the AuthnRequest cannot be read';
  return reply.code(400).type('text/html; charset=utf-8').send(page('Anfrage abgelehnt', `<p>${escapeXml(message)}</p>`));
}

function readOriginal(binding: string, original: string, opts: SamlIdpOptions): ParsedRequest {
  const sp = opts.serviceProvider.bind(opts);
  if (binding === 'post') return readPostRequest(JSON.parse(original) as Record<string, string>, sp);
  return readRedirectRequest(original, sp);
}

/** Registers the IdP's routes on `app` (use a prefix, e.g. `/saml-idp`). */
export function samlIdpRoutes(opts: SamlIdpOptions) {
  return async function routes(app: FastifyInstance): Promise<void> {
    const sp = opts.serviceProvider.bind(opts);
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    }
    app.get('/metadata', async (_req, reply) => reply.type('application/samlmetadata+xml').send(idpMetadata(opts)));
    app.get('/sso', async (req, reply) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      try {
        return reply.type('text/html; charset=utf-8').send(choicePage('redirect', query, readRedirectRequest(query, sp)));
      } catch (err) { return refuse(reply, err); }
    });
    app.post('/sso', async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, string>;
      try {
        return reply.type('text/html; charset=utf-8').send(choicePage('post', JSON.stringify({ SAMLRequest: body.SAMLRequest, RelayState: body.RelayState }), readPostRequest(body, sp)));
      } catch (err) { return refuse(reply, err); }
    });
    app.get('/slo', async (req, reply) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      try {
        const request = readRedirect(query, sp, parseLogoutRequest);
        const target = sp(request.issuer)?.logoutUrl ?? request.relayState;
        if (!target || !URL.canParse(target)) throw new SamlIdpRequestError('no logout URL for this service provider');
        return reply.redirect(logoutResponseUrl(opts, request, target), 302);
      } catch (err) { return refuse(reply, err); }
    });
    app.post('/login', async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, string>;
      const person = testPerson(body.person ?? '');
      let request: ParsedRequest;
      try {
        request = readOriginal(body.binding ?? '', body.original ?? '', opts);
      } catch (err) { return refuse(reply, err); }
      if (!person) return refuse(reply, new SamlIdpRequestError('no such test person'));
      return reply.type('text/html; charset=utf-8').send(postForm(request.acsUrl, await answer(opts, request, person), request.relayState));
    });
  };
}

/** The IdP on a server of its own (tests): its routes under `/saml-idp/`. */
export async function startSamlIdp(opts: Omit<SamlIdpOptions, 'ssoUrl'> & { host?: string }): Promise<{ app: FastifyInstance; url: string; options: SamlIdpOptions }> {
  const app = Fastify();
  const options: SamlIdpOptions = { ...opts, ssoUrl: '' };
  await app.register(samlIdpRoutes(options), { prefix: '/saml-idp' });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}/saml-idp`;
  options.ssoUrl = `${url}/sso`;
  return { app, url, options };
}

/** The variables a tenant's SAML configuration names to use the local IdP under `npm start` (docs/basisdienste.md). */
export const DEMO_SAML_ENV = { spKey: 'EFA_DEMO_SAML_SP_KEY', spCert: 'EFA_DEMO_SAML_SP_CERT' } as const;

/** The local IdP's entity ID, the same wherever the receiver listens. */
export const DEMO_IDP_ENTITY_ID = 'urn:efa:demo:saml-idp';

/**
 * The IdP as `npm start` runs it on the demo receiver: it trusts every service provider that signs
 * with the published demo SP key (any entity ID, so each Land may name its own).
 */
export function demoSamlIdp(baseUrl: string, signer: SigningKey, spCert: string) {
  const options: SamlIdpOptions = {
    entityId: DEMO_IDP_ENTITY_ID, ssoUrl: `${baseUrl}/saml-idp/sso`, signer,
    serviceProvider: () => ({ signingCert: spCert }),
  };
  return samlIdpRoutes(options);
}
