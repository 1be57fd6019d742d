/** The FIT-Connect metadata document (schema v1.0.0 or v2.0.0) this runtime writes and its receiver reads. */
import { cleanFileName } from '../attachments/file-name.js';
import type { OutboundAttachment, OutboundMessage } from './types.js';
import { LEIKA_URN_PREFIX } from './vocabulary.js';

/** The metadata versions this runtime writes, each with its official schema vendored in schemas/vendor/fit-connect/. */
export const METADATA_VERSIONS = ['1.0.0', '2.0.0'] as const;
export type MetadataVersion = (typeof METADATA_VERSIONS)[number];

export function metadataSchemaId(version: MetadataVersion): string {
  return `https://schema.fitko.de/fit-connect/metadata/${version}/metadata.schema.json`;
}

export const METADATA_SCHEMA_ID = metadataSchemaId('1.0.0');

/**
 * The version to write for a destination, by the `metadataVersions` it declares: 2.0.0 when it
 * reads any 2.x (minor versions only add optional fields), else 1.0.0 when it reads any 1.x or
 * declares nothing (what every destination read before 2.x); undefined when it reads neither.
 */
export function chooseMetadataVersion(declared: unknown): MetadataVersion | undefined {
  if (!Array.isArray(declared)) return '1.0.0';
  const versions = declared.filter((v): v is string => typeof v === 'string');
  if (versions.some((v) => /^2\.\d+\.\d+$/.test(v))) return '2.0.0';
  if (versions.some((v) => /^1\.\d+\.\d+$/.test(v))) return '1.0.0';
  return undefined;
}

/** The part of the FIT-Connect metadata (schema v1.0.0 and v2.0.0) this runtime writes and its receiver reads. */
export interface FitConnectMetadata {
  $schema?: string;
  contentStructure: {
    data?: { hash: { type: 'sha512'; content: string }; submissionSchema: { schemaUri: string; mimeType: string } };
    attachments: FitConnectAttachment[];
  };
  publicServiceType?: { name?: string; identifier: string };
  additionalReferenceInfo?: { senderReference?: string; applicationDate?: string };
  authenticationInformation?: FitConnectAuthenticationInformation[];
  /** v2.0.0: the one reply channel the applicant chose (no entry: replies go by letter). */
  replyChannel?: { eMail: { address: string } };
  paymentInformation?: FitConnectPaymentInformation;
}

/** paymentInformation (metadata schemas v1.0.0 and v2.0.0, the same object): the payment service's booked transaction. */
export interface FitConnectPaymentInformation {
  transactionId: string;
  transactionReference: string;
  transactionUrl?: string;
  transactionTimestamp?: string;
  paymentMethod: 'GIROPAY' | 'PAYDIRECT' | 'CREDITCARD' | 'PAYPAL' | 'INVOICE' | 'OTHER';
  status: 'BOOKED';
  grossAmount?: number;
}

const PAYMENT_METHODS = new Set(['GIROPAY', 'PAYDIRECT', 'CREDITCARD', 'PAYPAL', 'INVOICE', 'OTHER']);

function paymentInformation(p: NonNullable<OutboundMessage['payment']>): FitConnectPaymentInformation {
  return {
    transactionId: p.transactionId, transactionReference: p.reference, ...(p.transactionUrl ? { transactionUrl: p.transactionUrl } : {}),
    ...(p.bookedAt ? { transactionTimestamp: p.bookedAt } : {}),
    paymentMethod: (PAYMENT_METHODS.has(p.method) ? p.method : 'OTHER') as FitConnectPaymentInformation['paymentMethod'], status: 'BOOKED',
    ...(p.amountCents > 0 ? { grossAmount: p.amountCents / 100 } : {}),
  };
}

/** One entry of authenticationInformation (metadata schema v1.0.0): an identification report, base64url. */
export interface FitConnectAuthenticationInformation {
  type: 'identificationReport';
  version: string;
  content: string;
}

/**
 * The identification report this runtime writes (the schema leaves the report's content open):
 * base64url of the JSON `{ "type": "efa-identification-report", "version": "1.0.0",
 * "trustLevel": "substantial", "levelOfAssurance": "http://eidas.europa.eu/LoA/substantial" }`.
 * It names only the eIDAS level the applicant logged in with, no identity data (those, where a
 * service prefills them, are in the encrypted data).
 */
export const IDENTIFICATION_REPORT_VERSION = '1.0.0';
export const IDENTIFICATION_REPORT_TYPE = 'efa-identification-report';
const LOA_URI = 'http://eidas.europa.eu/LoA/';

export interface IdentificationReport {
  type: typeof IDENTIFICATION_REPORT_TYPE;
  version: string;
  trustLevel: 'low' | 'substantial' | 'high';
  levelOfAssurance: string;
}

function authenticationInformation(auth: NonNullable<OutboundMessage['authentication']>): FitConnectAuthenticationInformation[] {
  const report: IdentificationReport = { type: IDENTIFICATION_REPORT_TYPE, version: IDENTIFICATION_REPORT_VERSION, trustLevel: auth.trustLevel, levelOfAssurance: `${LOA_URI}${auth.trustLevel}` };
  return [{ type: 'identificationReport', version: IDENTIFICATION_REPORT_VERSION, content: Buffer.from(JSON.stringify(report), 'utf8').toString('base64url') }];
}

/** The trust level of this runtime's identification report in the metadata, if it carries one. */
export function trustLevelOf(metadata: FitConnectMetadata): IdentificationReport['trustLevel'] | undefined {
  for (const entry of metadata.authenticationInformation ?? []) {
    if (entry.type !== 'identificationReport') continue;
    try {
      const report = JSON.parse(Buffer.from(entry.content, 'base64url').toString('utf8')) as Partial<IdentificationReport>;
      if (report.type === IDENTIFICATION_REPORT_TYPE && (report.trustLevel === 'low' || report.trustLevel === 'substantial' || report.trustLevel === 'high')) return report.trustLevel;
    } catch {
      // another sender's report format: not ours to read
    }
  }
  return undefined;
}

/** One entry of contentStructure.attachments (metadata schema v1.0.0). */
export interface FitConnectAttachment {
  hash: { type: 'sha512'; content: string };
  purpose: 'form' | 'attachment' | 'report';
  mimeType: string;
  filename?: string;
  description?: string;
  attachmentId: string;
}

/**
 * The metadata document that binds the data by its hash, in the version the destination reads.
 * 2.0.0 has no `publicServiceType` (the service travels in the announcement) and no
 * `authenticationInformation` (its identification reports moved to `dataSets` with schemas this
 * runtime does not write; the trust level stays in the payload's meta.authentication); it adds
 * the applicant's reply channel.
 */
export function metadataFor(message: OutboundMessage, version: MetadataVersion = '1.0.0'): FitConnectMetadata {
  const contentStructure: FitConnectMetadata['contentStructure'] = {
    data: {
      hash: { type: 'sha512', content: message.payload.sha512 },
      submissionSchema: { schemaUri: message.payload.schemaUri, mimeType: message.payload.mediaType },
    },
    attachments: message.attachments.map(attachmentEntry),
  };
  if (version === '2.0.0') {
    return {
      $schema: metadataSchemaId(version),
      contentStructure,
      additionalReferenceInfo: { senderReference: message.messageId, applicationDate: message.submittedAt.slice(0, 10) },
      ...(message.replyEmail ? { replyChannel: { eMail: { address: message.replyEmail } } } : {}),
      ...(message.payment ? { paymentInformation: paymentInformation(message.payment) } : {}),
    };
  }
  return {
    $schema: METADATA_SCHEMA_ID,
    contentStructure,
    publicServiceType: { name: message.service.title, identifier: `${LEIKA_URN_PREFIX}${message.service.leikaKey}` },
    // The schema's one field for the sender's own reference; it carries the stable message id, so
    // the destination can recognise a redelivery inside the end-to-end encrypted part.
    additionalReferenceInfo: { senderReference: message.messageId, applicationDate: message.submittedAt.slice(0, 10) },
    // The schema's field for identification reports; only a logged-in applicant has one (minItems 1).
    ...(message.authentication ? { authenticationInformation: authenticationInformation(message.authentication) } : {}),
    // The schema's field for the payment service's transaction; only an application paid online has one.
    ...(message.payment ? { paymentInformation: paymentInformation(message.payment) } : {}),
  };
}

/** The metadata entry of one uploaded file; the hash binds the file to the (encrypted, tag-checked) metadata. */
function attachmentEntry(a: OutboundAttachment): FitConnectAttachment {
  return {
    hash: { type: 'sha512', content: a.sha512 },
    purpose: 'attachment',
    // The schema allows type/subtype only; parameters (charset=…) would make the metadata invalid.
    mimeType: a.mediaType.split(';')[0]?.trim() ?? a.mediaType,
    filename: cleanFileName(a.filename),
    attachmentId: a.id,
  };
}
