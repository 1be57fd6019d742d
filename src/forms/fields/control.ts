import type { LocalText } from '../../services/contract.js';
import { t } from '../text.js';
import type { ParseResult } from './kind.js';

/**
 * Characters nobody types and the authority's XML cannot carry (XML 1.0 forbids C0 controls other
 * than tab, line feed and carriage return, and U+FFFE/U+FFFF; strict parsers refuse the whole
 * document): C0 controls, DEL, C1 controls and those two non-characters. Single-line fields take
 * none of them (a browser never sends a line break from one); a textarea keeps tab, LF and CR,
 * which browsers send for its line breaks.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
// eslint-disable-next-line no-control-regex -- as above
const MULTI_LINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;

export const CONTROL_CHARACTER = 'control-character';

/** The text without those characters: what the field shows again next to the error. */
export function withoutControlCharacters(value: string, multiLine = false): string {
  return value.replace(multiLine ? MULTI_LINE : SINGLE_LINE, '');
}

/** A field error naming the field (or address part) and the character, or undefined when the text is clean. */
export function controlCharacterError(value: string, label: LocalText | undefined, opts: { multiLine?: boolean; pointer?: string } = {}): ParseResult['error'] {
  const found = value.match(opts.multiLine ? MULTI_LINE : SINGLE_LINE);
  if (!found) return undefined;
  const code = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return {
    code: CONTROL_CHARACTER,
    ...(opts.pointer ? { pointer: opts.pointer } : {}),
    message: {
      de: `„${t(label, 'de')}“ enthält ein unsichtbares Steuerzeichen (${code}), zum Beispiel aus kopiertem Text. Wir haben es im Feld entfernt; bitte prüfen Sie die Angabe und senden Sie sie erneut.`,
      en: `“${t(label, 'en')}” contains an invisible control character (${code}), for example from copied text. We removed it from the field; please check your entry and send it again.`,
    },
  };
}
