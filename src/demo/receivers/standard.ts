import { STANDARD_FORMATS, XTA_ELEMENT_NAME_LIST } from '../../core/formats.js';
import { rootOf } from '../../transports/xml.js';

/** What XTA's Qualifier (and our OSCI header) says a message is. */
export interface NamedStandard {
  format: string;
  service: string;
  messageType: string;
  messageTypeList: string;
  payloadSchema: string;
}

/**
 * How an authority's system dispatches a standard message: the service names the standard's
 * version, the message type comes from XTA's element-name list with the standard's namespace as
 * payloadSchema, and the decrypted payload is that very element. Answers the problem, or undefined.
 */
export function standardProblem(named: NamedStandard, document?: string): string | undefined {
  const standard = STANDARD_FORMATS.get(named.format);
  if (!standard) return undefined;
  if (named.messageTypeList !== XTA_ELEMENT_NAME_LIST.uri || named.payloadSchema !== standard.namespace || named.service !== `${standard.standardUrn}_${standard.version}`) {
    return `the message is not named as ${standard.standard} ${standard.version} (service ${named.service}, payloadSchema ${named.payloadSchema})`;
  }
  if (document === undefined) return undefined;
  const root = rootOf(document);
  if (root?.name !== named.messageType || root.namespace !== named.payloadSchema) {
    return `named ${named.messageType} in ${named.payloadSchema}, the content is ${root?.name ?? '(no element)'} in ${root?.namespace ?? '(no namespace)'}`;
  }
  return undefined;
}
