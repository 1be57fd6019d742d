import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saml } from '../src/accounts/saml.js';
import type { AuthAdapter } from '../src/accounts/types.js';
import { authAdapterNamed } from '../src/accounts/registry.js';
import { DEFAULT_ATTRIBUTE_OIDS } from '../src/accounts/saml-vocabulary.js';
import { openDatabase, type Database } from '../src/storage/db.js';
import { validateDeclaration } from '../src/core/declarations.js';
import { readFileSync } from 'node:fs';
import { DEMO_IDP_CERT, DEMO_SP_CERT } from '../src/demo/saml-keys.js';
import { createVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { freshPostgres } from './support/database.js';
import { STRANGER_CERT, STRANGER_KEY } from './support/saml-stranger.js';
import {
  IDP_ENTITY, SP_ENTITY, authnRequestOf, postResponse, responseXml, spConfig, startAcs, startIdp, throughIdp, withResponseXml,
  type Acs, type SamlEnvironment,
} from './support/saml.js';

let pgdb: Awaited<ReturnType<typeof freshPostgres>>;
let db: Database;
let env: SamlEnvironment;
let acs: Acs;

async function adapterWith(extra: Record<string, unknown> = {}, database: Database = db): Promise<AuthAdapter> {
  const { config, env: secrets } = spConfig(env.idp.url, extra);
  return await saml({
    tenantId: 'sh', config: config as { adapter: string }, db: database,
    secret: (name) => { const v = secrets[name]; if (!v) throw new Error(`unset ${name}`); return v; },
  });
}

before(async () => {
  pgdb = await freshPostgres();
  db = await openDatabase({ databaseUrl: pgdb.url, dataDir: mkdtempSync(join(tmpdir(), 'efa-saml-')) });
  env = await startIdp();
  acs = await startAcs();
});

after(async () => {
  await acs.app.close();
  await env.close();
  await db.close();
  await pgdb.drop();
});

describe('SAML adapter against the local IdP over HTTP', () => {
  test('the signed AuthnRequest asks for the minimum STORK level and the attributes by OID', async () => {
    const adapter = await adapterWith({ requiredAttributes: ['givenName', 'familyName'] });
    const start = await adapter.begin({ tenantId: 'sh', serviceId: 'demo', trustLevel: 'substantial', callbackUrl: acs.url, returnTo: '/sh/demo' });
    const url = new URL(start.redirectUrl);
    assert.ok(url.searchParams.get('Signature'), 'the redirect binding carries a signature');
    assert.equal(url.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const xml = authnRequestOf(start.redirectUrl);
    assert.match(xml, /<samlp:RequestedAuthnContext[^>]*Comparison="minimum"[^>]*><saml:AuthnContextClassRef[^>]*>STORK-QAA-Level-3<\/saml:AuthnContextClassRef>/);
    assert.match(xml, /<akdb:RequestedAttribute Name="urn:oid:2\.5\.4\.42" RequiredAttribute="true"\/>/);
    assert.match(xml, new RegExp(`<akdb:RequestedAttribute Name="${DEFAULT_ATTRIBUTE_OIDS.birthDate.replace(/\./g, '\\.')}" RequiredAttribute="false"/>`));
    assert.match(xml, new RegExp(`AssertionConsumerServiceURL="${acs.url}"`));
  });

  test('a login with the online ID card reaches "high" with the person\'s attributes', async () => {
    const adapter = await adapterWith();
    const { response, pending } = await throughIdp(adapter, acs, 'eid', 'substantial');
    const { status, body } = await postResponse(acs, adapter, pending, response);
    assert.equal(status, 200, body.message);
    assert.equal(body.trustLevel, 'high');
    assert.equal(body.subject, 'bPK2-demo-eid', 'the BundID pseudonym is the subject');
    assert.deepEqual(body.attributes, {
      givenName: 'Max', familyName: 'Mustermann', birthDate: '1970-01-01', email: 'max.mustermann@example.org',
      address: { street: 'Rathausplatz', houseNumber: '1', postalCode: '24103', city: 'Kiel', country: 'DE' },
    });
    assert.equal(body.idpSessionRef?.['nameId'], 'demo-eid-7f3c9a');
  });

  test('each test person\'s STORK level maps to its eIDAS level', async () => {
    const adapter = await adapterWith();
    for (const [person, level] of [['basis', 'low'], ['elster', 'substantial']] as const) {
      const { response, pending } = await throughIdp(adapter, acs, person, 'low');
      const { status, body } = await postResponse(acs, adapter, pending, response);
      assert.equal(status, 200, body.message);
      assert.equal(body.trustLevel, level, person);
    }
  });

  test('a person below the requested minimum is refused by the IdP (NoAuthnContext), and the login fails', async () => {
    const adapter = await adapterWith();
    const { response, pending } = await throughIdp(adapter, acs, 'basis', 'substantial');
    const { status, body } = await postResponse(acs, adapter, pending, response);
    assert.equal(status, 400);
    assert.equal(body.code, 'EFA_LOGIN_LEVEL', 'the pages explain the level instead of a failure');
    assert.match(body.message ?? '', /NoAuthnContext/);
  });

  test('an IdP answering below the minimum anyway reports the lower level it reached', async () => {
    const adapter = await adapterWith();
    env.idp.options.misbehave = { ignoreMinimumLevel: true };
    try {
      const { response, pending } = await throughIdp(adapter, acs, 'basis', 'substantial');
      const { body } = await postResponse(acs, adapter, pending, response);
      assert.equal(body.trustLevel, 'low', 'the core compares it with the service\'s level and explains');
    } finally { env.idp.options.misbehave = undefined; }
  });

  test('the AuthnRequest over the HTTP-POST binding, signed in the XML, works as well', async () => {
    const adapter = await adapterWith({ binding: 'post' });
    const { response, pending, redirectUrl } = await throughIdp(adapter, acs, 'elster', 'substantial');
    assert.equal(redirectUrl, `${env.idp.url}/sso`);
    const { status, body } = await postResponse(acs, adapter, pending, response);
    assert.equal(status, 200, body.message);
    assert.equal(body.trustLevel, 'substantial');
  });

  test('encrypted assertions are decrypted with the tenant\'s key', async () => {
    const encrypting = await startIdp({ signingCert: DEMO_SP_CERT, encryptionCert: DEMO_SP_CERT });
    try {
      const { config, env: secrets } = spConfig(encrypting.idp.url, { decryptionKeyEnv: 'ENC_KEY', decryptionCertEnv: 'ENC_CERT' });
      const adapter = await saml({ tenantId: 'sh', config: config as { adapter: string }, db, secret: (n) => secrets[n] ?? '' });
      const { response, pending } = await throughIdp(adapter, acs, 'eid', 'high');
      assert.match(responseXml(response), /<saml:EncryptedAssertion/);
      assert.doesNotMatch(responseXml(response), /Mustermann/, 'nothing of the person travels in clear');
      const { status, body } = await postResponse(acs, adapter, pending, response);
      assert.equal(status, 200, body.message);
      assert.equal(body.attributes.givenName, 'Max');
    } finally { await encrypting.close(); }
  });
});

describe('SAML single logout', () => {
  test('a signed LogoutRequest names the NameID and SessionIndex; the IdP answers with a signed LogoutResponse at the portal', async () => {
    const adapter = await adapterWith({ idp: { entityId: IDP_ENTITY, ssoUrl: '${IDP_URL}/sso', sloUrl: '${IDP_URL}/slo', cert: DEMO_IDP_CERT } });
    const { response, pending } = await throughIdp(adapter, acs, 'elster', 'low');
    const { body } = await postResponse(acs, adapter, pending, response);
    const postLogoutUrl = 'http://127.0.0.1:9/sh/abgemeldet';
    const url = await adapter.logout({ tenantId: 'sh', subject: body.subject, idpSessionRef: body.idpSessionRef, postLogoutUrl }) ?? '';
    assert.ok(url.startsWith(`${env.idp.url}/slo?`), url);
    const request = inflateRawSync(Buffer.from(new URL(url).searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    assert.match(request, /<saml:NameID[^>]*>demo-elster-7f3c9a<\/saml:NameID>/);
    assert.match(request, new RegExp(`SessionIndex[^>]*>${body.idpSessionRef?.['sessionIndex'] ?? 'missing'}<`));

    const answer = await fetch(url, { redirect: 'manual' });
    assert.equal(answer.status, 302, await answer.text());
    const back = answer.headers.get('location') ?? '';
    assert.ok(back.startsWith(`${postLogoutUrl}?SAMLResponse=`), back);
    const query = back.slice(back.indexOf('?') + 1);
    const signed = query.slice(0, query.indexOf('&Signature='));
    const signature = decodeURIComponent(query.slice(query.indexOf('&Signature=') + '&Signature='.length));
    assert.ok(createVerify('RSA-SHA256').update(signed).verify(DEMO_IDP_CERT, Buffer.from(signature, 'base64')), 'signed by the IdP');
    const logoutResponse = inflateRawSync(Buffer.from(new URL(back).searchParams.get('SAMLResponse') ?? '', 'base64')).toString('utf8');
    const requestId = /ID="([^"]+)"/.exec(request)?.[1];
    assert.match(logoutResponse, new RegExp(`InResponseTo="${requestId}"`));
    assert.match(logoutResponse, /status:Success/);
  });

  test('without a logout URL at the IdP there is no single logout (the session ends locally only)', async () => {
    const adapter = await adapterWith();
    assert.equal(await adapter.logout({ tenantId: 'sh', subject: 's', idpSessionRef: { nameId: 'n' }, postLogoutUrl: 'http://127.0.0.1:9/' }), undefined);
  });
});

describe('SAML adapter refuses', () => {
  async function refused(setup: () => void, person = 'eid', change?: (xml: string) => string): Promise<string> {
    const adapter = await adapterWith();
    setup();
    try {
      const { response, pending } = await throughIdp(adapter, acs, person, 'low');
      const form = change ? withResponseXml(response, change(responseXml(response))) : response;
      const { status, body } = await postResponse(acs, adapter, pending, form);
      assert.equal(status, 400, 'refused');
      assert.equal(body.code, 'EFA_LOGIN_FAILED');
      return body.message ?? '';
    } finally { env.idp.options.misbehave = undefined; }
  }

  test('a tampered assertion (an attribute changed after signing)', async () => {
    const message = await refused(() => undefined, 'eid', (xml) => xml.replace('>Max<', '>Mallory<'));
    assert.match(message, /signature/i);
  });

  test('an assertion signed by another key than the IdP\'s', async () => {
    const message = await refused(() => { env.idp.options.misbehave = { signer: { key: STRANGER_KEY, cert: STRANGER_CERT } }; });
    assert.match(message, /signature/i);
  });

  test('an expired assertion', async () => {
    const message = await refused(() => { env.idp.options.misbehave = { clockOffsetMs: -10 * 60_000 }; });
    assert.match(message, /expired|NotOnOrAfter|subject confirmation/i);
  });

  test('an assertion for another audience', async () => {
    const message = await refused(() => { env.idp.options.misbehave = { audience: 'https://other.example/sp' }; });
    assert.match(message, /audience/i);
  });

  test('an assertion for another recipient', async () => {
    const message = await refused(() => { env.idp.options.misbehave = { recipient: 'https://other.example/acs' }; });
    assert.match(message, /recipient|destination/i);
  });

  test('an answer to another browser\'s request (InResponseTo)', async () => {
    const adapter = await adapterWith();
    const first = await throughIdp(adapter, acs, 'eid', 'low');
    const second = await throughIdp(adapter, acs, 'eid', 'low');
    const { status, body } = await postResponse(acs, adapter, second.pending, first.response);
    assert.equal(status, 400);
    assert.match(body.message ?? '', /InResponseTo/);
  });

  test('a replayed assertion, also at another replica sharing the database', async () => {
    const replicaA = await adapterWith();
    const replicaB = await adapterWith();
    const { response, pending } = await throughIdp(replicaA, acs, 'eid', 'low');
    assert.equal((await postResponse(acs, replicaA, pending, response)).status, 200);
    const again = await postResponse(acs, replicaB, pending, response);
    assert.equal(again.status, 400);
    assert.match(again.body.message ?? '', /replay/);
  });
});

describe('SAML configuration and metadata', () => {
  test('SP metadata names the entity, the assertion consumer and the signing certificate, and is signed', async () => {
    const adapter = await adapterWith({ decryptionKeyEnv: 'ENC_KEY', decryptionCertEnv: 'ENC_CERT' });
    const xml = await adapter.metadata?.({ callbackUrl: acs.url }) ?? '';
    assert.match(xml, new RegExp(`entityID="${SP_ENTITY}"`));
    assert.match(xml, new RegExp(`<AssertionConsumerService[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="${acs.url}"`));
    assert.match(xml, /<KeyDescriptor use="signing">/);
    assert.match(xml, /<KeyDescriptor use="encryption">/);
    assert.match(xml, /WantAssertionsSigned="true"/);
    assert.match(xml, /<(ds:)?Signature/);
  });

  test('the registry knows the adapter; a configuration without the IdP is refused with what is missing', async () => {
    assert.equal(authAdapterNamed('saml'), saml);
    await assert.rejects(saml({ tenantId: 'sh', config: { adapter: 'saml', entityId: SP_ENTITY }, db, secret: () => '' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'EFA_ACCOUNT_CONFIG');
      assert.match(err.message, /tenant sh: accounts \(saml\): idp/);
      return true;
    });
  });

  test('a tenant file declares a SAML account service in the tenant schema; a missing IdP is named', () => {
    const tenant = JSON.parse(readFileSync('tenants/sh.json', 'utf8')) as Record<string, unknown>;
    const schema = join('schemas', 'tenant.schema.json');
    const accounts = {
      adapter: 'saml', entityId: SP_ENTITY, binding: 'post', requiredAttributes: ['givenName'],
      idp: { entityId: 'urn:efa:demo:saml-idp', ssoUrl: '${EFA_DEMO_RECEIVER_URL}/saml-idp/sso', cert: ['MIIB', 'MIIC'] },
      signingKeyEnv: 'EFA_SAML_SH_KEY', signingCertEnv: 'EFA_SAML_SH_CERT',
    };
    assert.doesNotThrow(() => validateDeclaration('tenants/sh.json', { ...tenant, accounts }, schema));
    const { idp: _idp, ...withoutIdp } = accounts;
    assert.throws(() => validateDeclaration('tenants/sh.json', { ...tenant, accounts: withoutIdp }, schema), /idp/);
  });
});
