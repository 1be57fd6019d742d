import { AnswerInvalidError, base64Bytes, tokenEnvelope, type ReturnEnvelope } from './answer-token.js';
import { children, hasDoctype, parseXml, text } from './xml.js';

/**
 * What the XML return paths (XTA-like, OSCI-like) share: the answer token in one element and each
 * file as base64 in an element of its own, in the order the token lists them.
 */
export function xmlAnswerEnvelope(xml: string, find: (root: Record<string, unknown>) => { token: unknown; container: unknown }, fileElement: string): ReturnEnvelope {
  if (hasDoctype(xml)) throw new AnswerInvalidError('a DTD is not allowed');
  let root: Record<string, unknown>;
  try {
    root = parseXml(xml);
  } catch {
    throw new AnswerInvalidError('the body is not well-formed XML');
  }
  const { token, container } = find(root);
  const jws = text(token);
  if (!jws) throw new AnswerInvalidError('the message holds no answer token');
  return tokenEnvelope(jws, () => children(container, fileElement).map((f, i) => base64Bytes(text(f) ?? '', `attachment ${i + 1}`)));
}

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** The files as the XML answers carry them (name and media type as attributes, for readers; the token signs them). */
export function xmlFiles(prefix: string, element: string, files: Array<{ filename: string; mediaType: string; bytes: Buffer }>): string {
  return files.map((f) => `<${prefix}:${element} filename="${xmlEscape(f.filename)}" mediaType="${xmlEscape(f.mediaType)}">${f.bytes.toString('base64')}</${prefix}:${element}>`).join('');
}


