/**
 * The one sanitiser for every file name that leaves the applicant: applied where an upload is
 * stored, and again wherever a stored name goes out (pages, receipts, transports, the pull API),
 * so a name stored before a rule existed is cleaned on its way out too.
 *
 * A name is shown to people (check page, receipt, an authority's inbox) and written into XML, HTTP
 * headers and file systems. So it keeps what a person reads and drops what deceives or breaks:
 * invisible characters (format characters, among them the bidi controls that make "gpj.exe" look
 * like "exe.jpg"), characters XML 1.0 forbids (controls, non-characters, lone surrogates), path
 * separators and characters Windows refuses in a name.
 */

/** Bytes of UTF-8 a name may take: below the 255 of common file systems, with room for a suffix. */
export const FILE_NAME_MAX_BYTES = 200;
/** An extension longer than this is no extension but part of the name. */
const MAX_EXTENSION = 16;
/** The name when nothing readable is left. */
export const FALLBACK_STEM = 'Anhang';

/**
 * Dropped without a trace: format characters (Cf: bidi controls U+202A–U+202E, U+2066–U+2069,
 * U+200E/U+200F, zero-width space, soft hyphen), lone surrogates and non-characters. The zero-width
 * joiner and non-joiner stay (KEEP): emoji sequences and some scripts need them, and they reorder nothing.
 */
const INVISIBLE = /[\p{Cf}\p{Cs}\uFDD0-\uFDEF\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{FFFFE}\u{FFFFF}\u{10FFFE}\u{10FFFF}]/gu;
const KEEP = new Set(['\u200C', '\u200D']);
/** Replaced by "_": controls (C0, DEL, C1), line and paragraph separators, and what Windows refuses. */
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}"<>|*?:]/gu;

const graphemes = new Intl.Segmenter('de', { granularity: 'grapheme' });
const encoder = new TextEncoder();

/**
 * The applicant's file name made safe: last path segment only, NFC, no invisible or XML-forbidden
 * characters, no leading or trailing dots and spaces, at most FILE_NAME_MAX_BYTES bytes with the
 * extension kept, and "Anhang" (plus the extension, if one survived) when nothing else is left.
 */
export function cleanFileName(raw: string): string {
  // Invisible characters go first, so that NFC composes what they stood between.
  const base = raw.replace(INVISIBLE, (c) => (KEEP.has(c) ? c : '')).normalize('NFC').split(/[\\/]/).pop() ?? '';
  // Tabs, line breaks and other spaces become one space first; other controls then an underscore.
  const clean = base.replace(/\s+/gu, ' ').replace(UNSAFE, '_').trim();
  const dot = clean.lastIndexOf('.');
  const extension = dot >= 0 && clean.length - dot - 1 <= MAX_EXTENSION && /^[\p{L}\p{N}_-]+$/u.test(clean.slice(dot + 1)) ? clean.slice(dot + 1) : '';
  const stem = trimEnds(extension ? clean.slice(0, dot) : clean);
  const suffix = extension ? `.${extension}` : '';
  const kept = shorten(stem, FILE_NAME_MAX_BYTES - encoder.encode(suffix).length);
  return `${trimEnds(kept) || FALLBACK_STEM}${suffix}`;
}

/** Windows drops trailing dots and spaces, and a leading dot hides a file: neither stays. */
function trimEnds(text: string): string {
  return text.replace(/^[\s.]+|[\s.]+$/gu, '');
}

/** At most `maxBytes` of UTF-8, cut between graphemes so no letter loses its accent. */
function shorten(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    bytes += encoder.encode(segment).length;
    if (bytes > maxBytes) break;
    out += segment;
  }
  return out;
}
