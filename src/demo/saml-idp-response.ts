import { randomBytes } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';
import { AKDB_NS } from '../accounts/saml-vocabulary.js';
import type { TestPerson } from './saml-idp-persons.js';

/**
 * The SAML Response of the local IdP: an assertion about a test person, signed (RSA-SHA256,
 * exclusive C14N) and, when the service provider has an encryption certificate, encrypted
 * (AES-256-GCM, the key wrapped with RSA-OAEP), inside a Response that is signed again, the way
 * BundID answers over the HTTP-POST binding.
 */

const SIG_RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

export interface SigningKey {
  key: string;
  cert: string;
}

/** What the assertion is about and for whom, after the IdP checked the request. */
export interface Addressing {
  idpEntityId: string;
  requestId: string;
  audience: string;
  /** The ACS URL: the Response's Destination and the SubjectConfirmationData's Recipient. */
  recipient: string;
  /** The OIDs the service provider asked for; only these are released. */
  requestedOids: readonly string[];
  now: Date;
  lifetimeMs: number;
}

export function samlId(): string {
  // An xs:ID must not start with a digit.
  return `_${randomBytes(16).toString('hex')}`;
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const AKDB_TRUST: Record<string, string> = { low: 'NORMAL', substantial: 'SUBSTANTIELL', high: 'HOCH' };

function attributeStatement(person: TestPerson, requestedOids: readonly string[]): string {
  const released = Object.entries(person.attributes).filter(([oid]) => requestedOids.includes(oid));
  if (released.length === 0) return '';
  const attrs = released.map(([oid, value]) => `<saml:Attribute Name="${escapeXml(oid)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" akdb:TrustLevel="${AKDB_TRUST[person.level]}">`
    + `<saml:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`);
  return `<saml:AttributeStatement>${attrs.join('')}</saml:AttributeStatement>`;
}

export function assertionXml(id: string, person: TestPerson, a: Addressing): string {
  const now = a.now.toISOString();
  const until = new Date(a.now.getTime() + a.lifetimeMs).toISOString();
  return `<saml:Assertion xmlns:saml="${SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:akdb="${AKDB_NS}" ID="${id}" Version="2.0" IssueInstant="${now}">`
    + `<saml:Issuer>${escapeXml(a.idpEntityId)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${escapeXml(person.nameId)}</saml:NameID>`
    + '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
    + `<saml:SubjectConfirmationData InResponseTo="${escapeXml(a.requestId)}" NotOnOrAfter="${until}" Recipient="${escapeXml(a.recipient)}"/>`
    + '</saml:SubjectConfirmation></saml:Subject>'
    + `<saml:Conditions NotBefore="${now}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${escapeXml(a.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${now}" SessionIndex="${samlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>${person.stork}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + attributeStatement(person, a.requestedOids)
    + '</saml:Assertion>';
}

/** Enveloped signature placed after the element's Issuer, as the SAML schema orders it. */
export function signElement(xml: string, localName: string, signer: SigningKey): string {
  const sig = new SignedXml({ privateKey: signer.key, publicCert: signer.cert, signatureAlgorithm: SIG_RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  const element = `/*[local-name(.)='${localName}']`;
  sig.addReference({ xpath: element, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${element}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export function encryptAssertion(signedAssertion: string, encryptionCert: string): Promise<string> {
  const options: xmlenc.EncryptOptions = {
    rsa_pub: encryptionCert, pem: encryptionCert,
    encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
    keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    disallowEncryptionWithInsecureAlgorithm: true, warnInsecureAlgorithm: false,
  };
  return new Promise((resolve, reject) => {
    xmlenc.encrypt(signedAssertion, options, (err, encrypted) => {
      if (err) reject(err);
      else resolve(`<saml:EncryptedAssertion xmlns:saml="${SAML}">${encrypted}</saml:EncryptedAssertion>`);
    });
  });
}

function statusXml(code: string, second?: string, message?: string): string {
  const inner = second ? `<samlp:StatusCode Value="${second}"/>` : '';
  return `<samlp:Status><samlp:StatusCode Value="${code}">${inner}</samlp:StatusCode>${message ? `<samlp:StatusMessage>${escapeXml(message)}</samlp:StatusMessage>` : ''}</samlp:Status>`;
}

function responseXml(a: Addressing, status: string, body: string): string {
  return `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${samlId()}" Version="2.0" IssueInstant="${a.now.toISOString()}" Destination="${escapeXml(a.recipient)}" InResponseTo="${escapeXml(a.requestId)}">`
    + `<saml:Issuer>${escapeXml(a.idpEntityId)}</saml:Issuer>${status}${body}</samlp:Response>`;
}

/** A successful, signed (and maybe encrypted) Response about `person`. */
export async function successResponse(person: TestPerson, a: Addressing, signer: SigningKey, encryptionCert?: string): Promise<string> {
  const assertion = signElement(assertionXml(samlId(), person, a), 'Assertion', signer);
  const body = encryptionCert ? await encryptAssertion(assertion, encryptionCert) : assertion;
  return signElement(responseXml(a, statusXml('urn:oasis:names:tc:SAML:2.0:status:Success'), body), 'Response', signer);
}

/** The signed refusal BundID sends when the person cannot reach the requested level. */
export function noAuthnContextResponse(a: Addressing, signer: SigningKey, message: string): string {
  const status = statusXml('urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext', message);
  return signElement(responseXml(a, status, ''), 'Response', signer);
}
