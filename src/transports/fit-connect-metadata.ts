/** The FIT-Connect metadata document (schema v1.0.0) this runtime writes and its receiver reads. */
import { cleanFileName } from '../attachments/file-name.js';
import type { OutboundAttachment, OutboundMessage } from './types.js';
import { LEIKA_URN_PREFIX } from './vocabulary.js';

export const METADATA_SCHEMA_ID = 'https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json';

/** The part of the FIT-Connect metadata (schema v1.0.0) this runtime writes and its receiver reads. */
export interface FitConnectMetadata {
  $schema?: string;
  contentStructure: {
    data?: { hash: { type: 'sha512'; content: string }; submissionSchema: { schemaUri: string; mimeType: string } };
    attachments: FitConnectAttachment[];
  };
  publicServiceType?: { name?: string; identifier: string };
  additionalReferenceInfo?: { senderReference?: string; applicationDate?: string };
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

/** The metadata document (FIT-Connect metadata schema v1.0.0) that binds the data by its hash. */
export function metadataFor(message: OutboundMessage): FitConnectMetadata {
  return {
    $schema: METADATA_SCHEMA_ID,
    contentStructure: {
      data: {
        hash: { type: 'sha512', content: message.payload.sha512 },
        submissionSchema: { schemaUri: message.payload.schemaUri, mimeType: message.payload.mediaType },
      },
      attachments: message.attachments.map(attachmentEntry),
    },
    publicServiceType: { name: message.service.title, identifier: `${LEIKA_URN_PREFIX}${message.service.leikaKey}` },
    // The schema's one field for the sender's own reference; it carries the stable message id, so
    // the destination can recognise a redelivery inside the end-to-end encrypted part.
    additionalReferenceInfo: { senderReference: message.messageId, applicationDate: message.submittedAt.slice(0, 10) },
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
