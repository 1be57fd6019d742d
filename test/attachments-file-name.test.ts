import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FILE_NAME_MAX_BYTES, cleanFileName } from '../src/attachments/file-name.js';
import { parseStrictXml } from './support/strict-xml.js';

describe('file names: one sanitiser for every name that leaves the applicant', () => {
  test('bidi controls cannot disguise an extension: "Rechnung<RLO>fdp.exe" shows what it is', () => {
    assert.equal(cleanFileName('Rechnung\u202Efdp.exe'), 'Rechnungfdp.exe');
    for (const mark of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u200B', '\uFEFF', '\u00AD']) {
      assert.equal(cleanFileName(`a${mark}b.pdf`), 'ab.pdf', `U+${mark.codePointAt(0)?.toString(16).toUpperCase()}`);
    }
  });

  test('non-characters, lone surrogates, controls and separators leave nothing XML refuses', () => {
    assert.equal(cleanFileName('Scan\uFFFF\uFFFE\uFDD0\u{10FFFF}.pdf'), 'Scan.pdf');
    assert.equal(cleanFileName('Scan\uDFFF\uD800.pdf\uD800'), 'Scan.pdf', 'lone surrogates: a low before a high one, a high one at the end');
    assert.equal(cleanFileName('Bild 😀.png'), 'Bild 😀.png', 'a real surrogate pair stays');
    assert.equal(cleanFileName('a\u0000b\u0007c\u007Fd\u0085e\u009Ff.pdf'), 'a_b_c_d_e_f.pdf');
    assert.equal(cleanFileName('a\u2028b\u2029c\nd\r\ne.pdf'), 'a b c d e.pdf', 'line and paragraph breaks become one space');
    assert.equal(cleanFileName('a"b<c>d|e*f?g:h.pdf'), 'a_b_c_d_e_f_g_h.pdf');
    const name = cleanFileName('x\u202E\uFFFF\u0001\uD800\u2028y.pdf');
    parseStrictXml(`<a filename="${name}">${name}</a>`, 'a cleaned name in XML');
  });

  test('only the last path segment; NFC; no leading dots, no trailing dots or spaces', () => {
    assert.equal(cleanFileName('C:\\Users\\erika\\Nachweis.pdf'), 'Nachweis.pdf');
    assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
    assert.equal(cleanFileName('Mu\u0308ller.pdf'), 'Müller.pdf');
    assert.equal(cleanFileName('Mu\u0308ller.pdf').length, 'Müller.pdf'.length, 'composed, one code point for ü');
    assert.equal(cleanFileName('...versteckt.pdf'), 'versteckt.pdf');
    assert.equal(cleanFileName('Bescheid. . .pdf'), 'Bescheid.pdf');
    assert.equal(cleanFileName('  viel   Platz\t.pdf  '), 'viel Platz.pdf');
  });

  test('a long name is cut in bytes with its extension kept and no letter split', () => {
    const long = cleanFileName(`${'ä'.repeat(300)}.pdf`);
    assert.ok(Buffer.byteLength(long) <= FILE_NAME_MAX_BYTES, `${Buffer.byteLength(long)} bytes`);
    assert.ok(long.endsWith('ä.pdf'));
    const accents = cleanFileName(`${'e\u0301'.repeat(150)}.pdf`);
    assert.ok(Buffer.byteLength(accents) <= FILE_NAME_MAX_BYTES);
    assert.ok(accents.endsWith('é.pdf'), 'NFC first, then whole letters only');
    const emoji = cleanFileName(`${'👩‍👩‍👧'.repeat(40)}.png`);
    assert.ok(Buffer.byteLength(emoji) <= FILE_NAME_MAX_BYTES);
    assert.match(emoji, /^(👩‍👩‍👧)+\.png$/u, 'a grapheme cluster is kept whole or not at all');
  });

  test('nothing readable left: a safe fallback, with the extension if one survived', () => {
    assert.equal(cleanFileName(''), 'Anhang');
    assert.equal(cleanFileName('\u202E\uFFFF'), 'Anhang');
    assert.equal(cleanFileName('\u202E.pdf'), 'Anhang.pdf');
    assert.equal(cleanFileName('....'), 'Anhang');
    assert.equal(cleanFileName('dir/'), 'Anhang');
    assert.equal(cleanFileName('Antrag.sehr-lange-endung-die-keine-ist'), 'Antrag.sehr-lange-endung-die-keine-ist');
  });

  test('cleaning twice changes nothing', () => {
    for (const raw of ['Rechnung\u202Efdp.exe', `${'ä'.repeat(300)}.pdf`, 'a"b.pdf', '\u202E.pdf', 'Mu\u0308ller .pdf']) {
      const once = cleanFileName(raw);
      assert.equal(cleanFileName(once), once, JSON.stringify(raw));
    }
  });
});
