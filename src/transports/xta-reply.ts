import type { ReturnPath } from './answer-token.js';
import { child } from './xml.js';
import { xmlAnswerEnvelope, xmlEscape, xmlFiles } from './xml-answer.js';
import { SEND_ACTION, SOAP_MEDIA_TYPE, XTA_NS } from './xta.js';

/**
 * XTA's way back: the authority's Fachverfahren sends a SOAP 1.2 message as it would send any XTA
 * message (MessageMetaData with its own message id = the answer id, and the case as reference),
 * whose GenericContentContainer holds the signed answer token and each file as base64. The token's
 * signature (directory entry's verificationKey) proves origin, its hashes the files.
 */
export const xtaReturn: ReturnPath = {
  channel: 'xta',
  mediaTypes: [SOAP_MEDIA_TYPE, 'application/xml', 'text/xml'],
  read(body) {
    return xmlAnswerEnvelope(body, (root) => {
      const container = child(root, 'Envelope', 'Body', 'GenericContentContainer');
      return { token: child(container, 'AnswerToken'), container };
    }, 'Attachment');
  },
};

/** The authority's message (demo receiver, tests). */
export function xtaAnswerMessage(a: { authorityId: string; submissionId: string; answerId: string; token: string; attachments: Array<{ filename: string; mediaType: string; bytes: Buffer }> }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="${XTA_NS.env}" xmlns:wsa="${XTA_NS.wsa}" xmlns:meta="${XTA_NS.meta}" xmlns:xta="${XTA_NS.xta}" xmlns:efa="${XTA_NS.efa}">
<env:Header><wsa:Action>${SEND_ACTION}</wsa:Action><meta:MessageMetaData><meta:MessageId>${xmlEscape(a.answerId)}</meta:MessageId><meta:Originators><meta:Author><meta:Identifier>${xmlEscape(a.authorityId)}</meta:Identifier></meta:Author></meta:Originators><efa:CaseReference>${xmlEscape(a.submissionId)}</efa:CaseReference></meta:MessageMetaData></env:Header>
<env:Body><xta:GenericContentContainer><efa:AnswerToken>${a.token}</efa:AnswerToken>${xmlFiles('xta', 'Attachment', a.attachments)}</xta:GenericContentContainer></env:Body>
</env:Envelope>`;
}
