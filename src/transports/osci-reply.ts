import type { ReturnPath } from './answer-token.js';
import { OSCI_MEDIA_TYPE, OSCI_NS } from './osci.js';
import { child } from './xml.js';
import { xmlAnswerEnvelope, xmlEscape, xmlFiles } from './xml-answer.js';

/**
 * OSCI's way back: a response message to the runtime as addressee, its content container holding
 * the authority's signed answer token (the Laufzettel of the answer) and each file as base64.
 */
export const osciReturn: ReturnPath = {
  channel: 'osci',
  mediaTypes: [OSCI_MEDIA_TYPE, 'text/xml'],
  read(body) {
    return xmlAnswerEnvelope(body, (root) => {
      const container = child(root, 'ResponseMessage', 'ContentContainer');
      return { token: child(container, 'SignedAnswer'), container };
    }, 'Attachment');
  },
};

/** The authority's response message (demo receiver, tests). */
export function osciAnswerMessage(a: { authorityId: string; submissionId: string; answerId: string; token: string; attachments: Array<{ filename: string; mediaType: string; bytes: Buffer }> }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<osci:ResponseMessage xmlns:osci="${OSCI_NS}" MessageId="${xmlEscape(a.answerId)}" Originator="${xmlEscape(a.authorityId)}" CaseReference="${xmlEscape(a.submissionId)}">
<osci:ContentContainer><osci:SignedAnswer>${a.token}</osci:SignedAnswer>${xmlFiles('osci', 'Attachment', a.attachments)}</osci:ContentContainer>
</osci:ResponseMessage>`;
}
