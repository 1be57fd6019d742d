/**
 * The applicant's receipt as a PDF (Eingangsbestätigung): the Land's name and logo, the reference
 * number, the time of submission, the responsible authority and every answer exactly as the check
 * page listed it. PDFKit writes a tagged PDF (PDF/UA subset: structure tree, document language,
 * title shown instead of the file name) with an embedded Unicode font (Noto Sans from KERN UX), so
 * screen readers read it in order and text extraction gives back what the applicant entered.
 *
 * The Land's logo is SVG (tenants/assets/*.svg) and is drawn as vectors by svg-to-pdfkit: nothing
 * is rasterised, at build time or at run time. A logo it cannot draw is left out; the Land's name
 * stands at the top in any case.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import type { Lang } from '../forms/text.js';
import type { UiTexts } from '../forms/ui-texts.js';
import type { CheckRow } from './applicant/check.js';
import type { AuthorityView } from './applicant/facts.js';

const require = createRequire(import.meta.url);
const FONTS = join(require.resolve('@kern-ux/native/package.json'), '..', 'dist', 'fonts', 'noto-sans');

/**
 * The fonts, parsed once per process. KERN UX ships them as WOFF; fontkit reads WOFF but inflates
 * its tables again for every subset it cuts, which made each receipt cost most of a second. The
 * tables are inflated once here into a plain TrueType font, and the parsed font is shared by all
 * documents (PDFKit subsets it per document).
 */
let fonts: { regular: fontkit.Font; bold: fontkit.Font } | undefined;
function loadFonts(): { regular: fontkit.Font; bold: fontkit.Font } {
  fonts ??= {
    regular: fontkit.create(woffToSfnt(readFileSync(join(FONTS, 'NotoSans-Regular.woff')))),
    bold: fontkit.create(woffToSfnt(readFileSync(join(FONTS, 'NotoSans-Bold.woff')))),
  };
  return fonts;
}

/**
 * WOFF 1.0 (W3C Recommendation, section 5) back to the sfnt it wraps: the same tables, each
 * inflated when stored compressed (compLength < origLength), behind an sfnt table directory.
 */
export function woffToSfnt(woff: Buffer): Buffer {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF font');
  const flavor = woff.readUInt32BE(4);
  const count = woff.readUInt16BE(12);
  const tables = Array.from({ length: count }, (_v, i) => {
    const at = 44 + i * 20;
    const offset = woff.readUInt32BE(at + 4);
    const compLength = woff.readUInt32BE(at + 8);
    const origLength = woff.readUInt32BE(at + 12);
    const stored = woff.subarray(offset, offset + compLength);
    return { tag: woff.readUInt32BE(at), checksum: woff.readUInt32BE(at + 16), data: compLength < origLength ? inflateSync(stored) : stored };
  });
  let log2 = 0;
  while (2 ** (log2 + 1) <= count) log2++;
  const searchRange = 2 ** log2 * 16;
  const header = Buffer.alloc(12 + 16 * count);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(count, 4);
  header.writeUInt16BE(searchRange, 6);
  header.writeUInt16BE(log2, 8);
  header.writeUInt16BE(count * 16 - searchRange, 10);
  const bodies: Buffer[] = [];
  let offset = header.length;
  tables.forEach((table, i) => {
    header.writeUInt32BE(table.tag, 12 + i * 16);
    header.writeUInt32BE(table.checksum, 16 + i * 16);
    header.writeUInt32BE(offset, 20 + i * 16);
    header.writeUInt32BE(table.data.length, 24 + i * 16);
    const padding = (4 - (table.data.length % 4)) % 4;
    bodies.push(table.data, Buffer.alloc(padding));
    offset += table.data.length + padding;
  });
  return Buffer.concat([header, ...bodies]);
}

export interface ReceiptSection {
  title: string;
  rows: CheckRow[];
}

export interface ReceiptInput {
  lang: Lang;
  ui: UiTexts;
  landName: string;
  portalName: string;
  /** The Land's logo (SVG source), drawn above its name. */
  logoSvg?: string;
  reference: string;
  serviceTitle: string;
  /** Formatted in Europe/Berlin, as on the confirmation page. */
  submittedAt: string;
  authority: AuthorityView;
  /** The answers as the check page showed them; undefined once the retention purge removed them. */
  sections: ReceiptSection[] | undefined;
  /** The declared facts (fee, …) as on the confirmation page. */
  facts: Array<{ label: string; value: string; hint?: string }>;
}

const MARGIN = 56;
/** PDFKit supports the PDF/UA identification; @types/pdfkit lists only the PDF/A subsets. */
const PDF_UA = 'PDF/UA' as unknown as PDFKit.Mixins.PDFSubsets;
const LOGO = 40;

export function receiptPdf(input: ReceiptInput): Promise<Buffer> {
  const { ui } = input;
  const { regular, bold } = loadFonts();
  const title = `${ui.receipt} ${input.reference}`;
  const doc = new PDFDocument({
    size: 'A4', margin: MARGIN, pdfVersion: '1.7', subset: PDF_UA, tagged: true, displayTitle: true, lang: input.lang === 'en' ? 'en-GB' : 'de-DE',
    info: { Title: title, Author: input.portalName, Subject: input.serviceTitle, Creator: 'efa-runtime' },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // PDFKit takes a parsed fontkit font where its types say bytes.
  doc.registerFont('regular', regular as unknown as Buffer);
  doc.registerFont('bold', bold as unknown as Buffer);
  const root = doc.struct('Document');
  doc.addStructure(root);
  const text = (type: 'H1' | 'H2' | 'H3' | 'P', value: string, opts: { font?: 'regular' | 'bold'; size?: number; gap?: number } = {}) => {
    root.add(doc.struct(type, {}, () => {
      doc.font(opts.font ?? 'regular').fontSize(opts.size ?? 10.5).text(value, { width: doc.page.width - 2 * MARGIN });
    }));
    if (opts.gap) doc.moveDown(opts.gap);
  };

  // The Land: logo (vector) and name.
  if (input.logoSvg) {
    const y = doc.y;
    try {
      root.add(doc.struct('Figure', { alt: input.landName }, () => SVGtoPDF(doc, input.logoSvg as string, MARGIN, y, { width: LOGO, height: LOGO, warningCallback: () => undefined })));
      doc.y = y + LOGO + 8;
    } catch {
      doc.y = y;
    }
    doc.x = MARGIN;
  }
  text('P', input.landName, { font: 'bold', size: 13 });
  text('P', input.portalName, { size: 9.5, gap: 0.8 });
  text('H1', title, { font: 'bold', size: 18, gap: 0.5 });

  const pair = (label: string, value: string) => {
    root.add(doc.struct('P', {}, () => {
      doc.font('bold').fontSize(10.5).text(`${label}: `, { continued: true }).font('regular').text(value);
    }));
  };
  pair(ui.referenceLabel, input.reference);
  pair(ui.service, input.serviceTitle);
  pair(ui.submittedAt, input.submittedAt);
  for (const f of input.facts) pair(f.label, f.hint ? `${f.value} (${f.hint})` : f.value);
  doc.moveDown(0.8);

  text('H2', ui.authority, { font: 'bold', size: 13 });
  const a = input.authority;
  text('P', [a.name, ...a.address].join('\n'));
  const contact = [a.phone && `${ui.contactPhone}: ${a.phone}`, a.email && `${ui.contactEmail}: ${a.email}`, a.web && `${ui.contactWeb}: ${a.web}`].filter((line): line is string => Boolean(line));
  if (contact.length > 0) text('P', contact.join('\n'));
  doc.moveDown(0.8);

  text('H2', ui.receiptAnswers, { font: 'bold', size: 13, gap: 0.3 });
  if (!input.sections) text('P', ui.receiptAnswersGone);
  for (const section of input.sections ?? []) {
    text('H3', section.title, { font: 'bold', size: 11.5, gap: 0.2 });
    for (const row of section.rows) {
      if (row.lines && row.lines.length > 0) {
        text('P', row.label, { font: 'bold' });
        text('P', row.lines.map((l) => `${l.label}: ${l.value}`).join('\n'));
      } else {
        pair(row.label, row.value !== '' ? row.value : ui.notAnswered);
      }
    }
    doc.moveDown(0.5);
  }
  doc.moveDown(0.5);
  text('P', ui.receiptFooter, { size: 9 });
  root.end();
  doc.end();
  return done;
}
