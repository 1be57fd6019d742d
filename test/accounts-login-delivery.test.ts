/**
 * End to end: a real login over HTTP (the local OpenID provider, the local SAML IdP) at a trust
 * level, the application filled, submitted and delivered through the three push transports to the
 * demo receivers; the authority's side (what the receiver decrypted and verified) names that
 * login's level in each standard's own field, and which answers came from the account. A level
 * raised on the way is refused where the receiver can check it (XTA's signed envelope); one raised
 * in the IdP's answer is refused at the login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAjv } from '../src/core/declarations.js';
import { toMessage } from '../src/delivery/deliver.js';
import { startLocalOpenIdProvider, type LocalOpenIdProvider } from '../src/demo/oidc-provider.js';
import type { ReceivedMessage } from '../src/demo/receivers/inbox.js';
import type { SubmissionRow } from '../src/submissions/row.js';
import { trustLevelOf, type FitConnectMetadata } from '../src/transports/fit-connect-metadata.js';
import { buildRequest, SOAP_MEDIA_TYPE } from '../src/transports/xta.js';
import { makeAuthority, type TestAuthority } from './support/authorities.js';
import { Browser } from './support/browser.js';
import { editJson } from './support/declarations.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';
import { oidcLogin, samlPostBack, samlThroughIdp } from './support/login.js';
import { startStack, type TestStack } from './support/runtime.js';
import { responseXml, spConfig, startIdp, withResponseXml, type SamlEnvironment } from './support/saml.js';

/** A test service of its own, offered by a Land logging in over OIDC (sh) and one over SAML (hh). */
const SERVICE = 'kontozustellung';
const OIDC_TENANT = 'sh';
const SAML_TENANT = 'hh';
const SECRET_ENV = 'EFA_TEST_E2E_OIDC_SECRET';
const SECRET = 'a-client-secret-for-the-local-op-only';

const validMetadata = newAjv().compile(JSON.parse(readFileSync(new URL('../schemas/vendor/fit-connect/metadata.schema.v1.0.0.json', import.meta.url), 'utf8')) as Record<string, unknown>);

/** Three authorities of this test only, one per push transport, each with its own keys (payload encryption needs 4096-bit RSA). */
const xtaOffice = await makeAuthority('e2e-xta-kiel', 'Testamt Kiel (XTA)', 4096);
const osciOffice = await makeAuthority('e2e-osci-hamburg', 'Testamt Hamburg (OSCI)', 4096);
// FIT-Connect destinations sign their event tokens with PS512.
const fitOffice = await makeAuthority('e2e-fitc-luebeck', 'Testamt Lübeck (FIT-Connect)', 4096, 'PS512');

/** Writes the authorities, their directory entries (public keys) and the receiver's private keys into the test's root. */
function addOffices(root: string): void {
  const entry = (office: TestAuthority, transport: string, address: string, extra: Record<string, unknown>) => ({
    authorityId: office.id, serviceKey: '*', transport, address, payloadFormat: 'json',
    encryptionKey: office.encryption.publicJwk, verificationKey: office.signing.publicJwk, ...extra,
  });
  writeFileSync(join(root, 'routing', 'e2e-offices.json'), JSON.stringify({
    $schema: '../schemas/routing.schema.json',
    authorities: [xtaOffice, osciOffice, fitOffice].map((o) => ({ id: o.id, name: o.name })),
    directory: [
      entry(xtaOffice, 'xta', `\${EFA_DEMO_RECEIVER_URL}/xta/${xtaOffice.id}`, { identifiers: { readerId: `${xtaOffice.id}:fachverfahren` } }),
      entry(osciOffice, 'osci', `\${EFA_DEMO_RECEIVER_URL}/osci/${osciOffice.id}`, { identifiers: { readerId: `${osciOffice.id}:fachverfahren` } }),
      entry(fitOffice, 'fit-connect', '${EFA_DEMO_RECEIVER_URL}/fit-connect', { identifiers: { destinationId: fitOffice.id }, options: { clientId: 'efa-runtime', clientSecretEnv: 'EFA_DEMO_FIT_CONNECT_SECRET' } }),
    ],
  }, null, 2));
  const privateDir = join(root, 'routing', 'demo-private');
  mkdirSync(privateDir, { recursive: true });
  for (const office of [xtaOffice, osciOffice, fitOffice]) {
    writeFileSync(join(privateDir, `${office.id}.json`), JSON.stringify({ decryptionKey: office.encryption.privateJwk, signingKey: office.signing.privateJwk }));
  }
}

const ADDRESSES = {
  kiel: { strasse: 'Holstenstraße', hausnummer: '12a', plz: '24103', ort: 'Kiel' },
  luebeck: { strasse: 'Breite Straße', hausnummer: '62', plz: '23552', ort: 'Lübeck' },
  hamburg: { strasse: 'Rathausmarkt', hausnummer: '1', plz: '20095', ort: 'Hamburg' },
} as const;

/** The payload's own statement of the login, as the authority reads it after decrypting. */
interface DocumentMeta { meta: { authentication?: { trustLevel: string; prefilled: Array<{ pointer: string; source: string; editable: boolean }> } }; data: { halter: { name: string } } }

describe('a login at a trust level, the application delivered over FIT-Connect, XTA and OSCI: each receiver reads that level', () => {
  let temp: TempRoot;
  let op: LocalOpenIdProvider;
  let idp: SamlEnvironment;
  let stack: TestStack;
  before(async () => {
    op = await startLocalOpenIdProvider({ port: 0 });
    idp = await startIdp();
    temp = copyProjectRoot('efa-e2e-login-');
    addOffices(temp.root);
    await addExtraService(temp.root, {
      id: SERVICE, leikaKey: '99999999999023', tenants: [OIDC_TENANT, SAML_TENANT],
      routes: { '01002': xtaOffice.id, '01003': fitOffice.id, '02': osciOffice.id }, minItems: 1, maxItems: 3,
    });
    editJson(join(temp.root, 'services', SERVICE, 'service.json'), (doc) => {
      doc.login = { mode: 'required', trustLevel: 'substantial', prefill: [{ pointer: '/halter/name', attribute: 'fullName' }, { pointer: '/halter/anschrift', attribute: 'address', editable: true }] };
    });
    editJson(join(temp.root, 'tenants', `${OIDC_TENANT}.json`), (doc) => {
      doc.accounts = { adapter: 'oidc', issuer: op.issuer, clientId: 'efa-e2e', clientSecretEnv: SECRET_ENV };
    });
    const saml = spConfig(idp.idp.url);
    editJson(join(temp.root, 'tenants', `${SAML_TENANT}.json`), (doc) => { doc.accounts = saml.config; });
    stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, [SECRET_ENV]: SECRET, ...saml.env } });
    await op.register({ clientId: 'efa-e2e', clientSecret: SECRET, redirectUris: [`${stack.url}/${OIDC_TENANT}/anmeldung/rueckkehr`], postLogoutRedirectUris: [`${stack.url}/${OIDC_TENANT}/anmeldung/abgemeldet`] });
  });
  after(async () => {
    await stack?.close();
    await idp?.close();
    await op?.close();
    temp?.remove();
  });

  /** After the login's redirect: the prefilled name, an address in `place`, one pet, submitted; what the receiver got. */
  async function applyAndDeliver(b: Browser, tenant: string, back: { status: number; location?: string }, place: keyof typeof ADDRESSES, expectedName: string): Promise<ReceivedMessage> {
    assert.equal(back.status, 303, 'the login is accepted');
    const landed = await b.get(back.location as string);
    assert.equal(landed.location, `/${tenant}/${SERVICE}/halter`);
    const step = await b.get(landed.location);
    assert.match(step.html, new RegExp(`value="${expectedName}"[^>]*readonly`), 'the name from the account, locked');
    // As a browser posts the step: the locked name as shown, the address changed to `place`.
    const address = Object.fromEntries(Object.entries(ADDRESSES[place]).map(([k, v]) => [`halter.anschrift.${k}`, v]));
    assert.equal((await b.submit({ 'halter.name': expectedName, ...address }, '/halter')).status, 303, b.lastHtml.match(/kern-error[^]*?<\/[a-z]+>/g)?.join('\n'));
    await b.get(`/${tenant}/${SERVICE}/tiere`);
    await b.follow(await b.submit({ 'tiere.0.name': 'Bello', 'tiere.0.art': 'hund', 'tiere.0.geburtsdatum.day': '1', 'tiere.0.geburtsdatum.month': '5', 'tiere.0.geburtsdatum.year': '2020', 'tiere.0.gechippt': 'ja' }));
    assert.equal((await b.get(`/${tenant}/${SERVICE}/pruefen`)).status, 200);
    const submitted = await b.submit({}, '/absenden');
    assert.equal(submitted.status, 303, b.lastHtml.slice(0, 300));
    await stack.rt.delivery?.drain();
    const id = (submitted.location as string).split('/').pop() as string;
    const received = stack.inbox.get(id);
    assert.ok(received, `the receiver got submission ${id}`);
    return received;
  }

  function assertDocument(received: ReceivedMessage, trustLevel: string, name: string): void {
    const doc = JSON.parse(received.document) as DocumentMeta;
    assert.equal(doc.data.halter.name, name, 'the decrypted application holds the name the account gave');
    assert.deepEqual(doc.meta.authentication, {
      trustLevel,
      prefilled: [{ pointer: '/halter/name', source: 'account', editable: false }, { pointer: '/halter/anschrift', source: 'account', editable: true }],
    }, 'the payload says which answers came from the account, at which level');
  }

  test('OIDC with the online ID card (high) to a FIT-Connect destination: authenticationInformation in the official metadata', async () => {
    const b = new Browser(stack.url);
    const received = await applyAndDeliver(b, OIDC_TENANT, await oidcLogin(b, op.issuer, { tenant: OIDC_TENANT, service: SERVICE }, 'eid'), 'luebeck', 'Max Mustermann');
    assert.deepEqual([received.transport, received.authorityId], ['fit-connect', fitOffice.id]);
    const metadata = received.metadata.fitConnectMetadata as FitConnectMetadata & { authenticationInformation?: Array<{ type: string; content: string }> };
    assert.equal(validMetadata(metadata), true, JSON.stringify(validMetadata.errors));
    assert.equal(metadata.authenticationInformation?.length, 1);
    assert.equal(metadata.authenticationInformation?.[0]?.type, 'identificationReport');
    const report = JSON.parse(Buffer.from(metadata.authenticationInformation?.[0]?.content ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(report.levelOfAssurance, 'http://eidas.europa.eu/LoA/high');
    assert.equal(trustLevelOf(metadata), 'high');
    assertDocument(received, 'high', 'Max Mustermann');
  });

  test('OIDC with the ELSTER certificate (substantial) to an XTA reader: the level in the signed envelope; raised on the way, refused', async () => {
    const b = new Browser(stack.url);
    const received = await applyAndDeliver(b, OIDC_TENANT, await oidcLogin(b, op.issuer, { tenant: OIDC_TENANT, service: SERVICE }, 'elster'), 'kiel', 'Erika Mustermann');
    assert.deepEqual([received.transport, received.authorityId], ['xta', xtaOffice.id]);
    assert.equal(received.metadata.trustLevel, 'substantial', 'the receiver read the level from the verified envelope');
    assertDocument(received, 'substantial', 'Erika Mustermann');

    // The same submission sent again by the runtime's own key, its level raised in transit.
    const { rows: [row] } = await stack.rt.db.query<SubmissionRow>('SELECT * FROM submissions WHERE id = $1', [received.messageId]);
    assert.ok(row);
    const endpoint = [...stack.rt.routing.directory.values()].find((e) => e.authorityId === xtaOffice.id);
    assert.ok(endpoint);
    const xml = await buildRequest(toMessage(row, { serviceTitle: () => 'Test' }), { endpoint, sender: stack.rt.secrets.sender, timeoutMs: 10_000 });
    assert.match(xml, / trustLevel="substantial"/);
    const forged = await fetch(`${stack.receiverUrl}/xta/${xtaOffice.id}`, { method: 'POST', headers: { 'content-type': `${SOAP_MEDIA_TYPE}; charset=utf-8` }, body: xml.replace(' trustLevel="substantial"', ' trustLevel="high"') });
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /EFA_XTA_METADATA_CHANGED/);
    assert.equal(stack.inbox.get(received.messageId)?.metadata.trustLevel, 'substantial', 'the receiver keeps the level the login had');
  });

  test('SAML (BundID) with the ELSTER certificate (substantial) to an OSCI intermediary: the level in the signed content container', async () => {
    const b = new Browser(stack.url);
    const response = await samlThroughIdp(b, { idp: idp.idp.url, app: stack.url }, { tenant: SAML_TENANT, service: SERVICE }, 'elster');
    const received = await applyAndDeliver(b, SAML_TENANT, await samlPostBack(b, response), 'hamburg', 'Erika Mustermann');
    assert.deepEqual([received.transport, received.authorityId], ['osci', osciOffice.id]);
    assert.equal(received.metadata.trustLevel, 'substantial');
    assertDocument(received, 'substantial', 'Erika Mustermann');
  });

  test('a SAML answer whose level was raised (password login claimed as online ID card) is refused: no session, nothing to submit', async () => {
    const b = new Browser(stack.url);
    const response = await samlThroughIdp(b, { idp: idp.idp.url, app: stack.url }, { tenant: SAML_TENANT, service: SERVICE }, 'basis');
    const xml = responseXml(response);
    assert.match(xml, /STORK-QAA-Level-2/);
    const refused = await samlPostBack(b, withResponseXml(response, xml.replaceAll('STORK-QAA-Level-2', 'STORK-QAA-Level-4')));
    assert.equal(refused.status, 400);
    assert.match(refused.html, /Anmeldung fehlgeschlagen/);
    assert.equal(b.cookie(`efa_session_${SERVICE}`), undefined, 'no session');
    assert.equal(b.cookie(`efa_draft_${SERVICE}`), undefined);
    assert.equal((await b.get(`/${SAML_TENANT}/${SERVICE}/halter`)).status, 410, 'and no draft to fill');
  });
});
