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
  /** What happens next, as the service declares it (the confirmation page's list). */
  nextSteps?: string[];
}

const MARGIN = 56;
/** Room kept below the text for the footer line (reference and page number). */
const FOOTER = 28;
/** PDFKit supports the PDF/UA identification; @types/pdfkit lists only the PDF/A subsets. */
const PDF_UA = 'PDF/UA' as unknown as PDFKit.Mixins.PDFSubsets;
const LOGO = 40;
/** A heading needs this much room below it (about three lines), or it starts the next page. */
const KEEP_WITH_NEXT = 54;

/** The answers so far, before submitting (a place without a connected office): no reference, no receipt. */
export interface AnswersInput {
  lang: Lang;
  ui: UiTexts;
  landName: string;
  portalName: string;
  logoSvg?: string;
  serviceTitle: string;
  /** Formatted in Europe/Berlin. */
  createdAt: string;
  /** The responsible office where the routing data knows it. */
  authority?: AuthorityView;
  sections: ReceiptSection[];
}

type Block = 'H1' | 'H2' | 'H3' | 'H4' | 'P';

/** A tagged A4 document with the Land's head, a footer on every page, and helpers for its blocks. */
class Sheet {
  readonly doc: PDFKit.PDFDocument;
  private readonly root: PDFKit.PDFStructureElement;
  private readonly done: Promise<Buffer>;

  constructor(lang: Lang, title: string, info: { author: string; subject: string }) {
    const { regular, bold } = loadFonts();
    this.doc = new PDFDocument({
      size: 'A4', margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER }, pdfVersion: '1.7', subset: PDF_UA, tagged: true, displayTitle: true,
      lang: lang === 'en' ? 'en-GB' : 'de-DE', bufferPages: true, info: { Title: title, Author: info.author, Subject: info.subject, Creator: 'efa-runtime' },
    });
    const chunks: Buffer[] = [];
    this.done = new Promise<Buffer>((resolve, reject) => {
      this.doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      this.doc.on('error', reject);
    });
    // PDFKit takes a parsed fontkit font where its types say bytes.
    this.doc.registerFont('regular', regular as unknown as Buffer);
    this.doc.registerFont('bold', bold as unknown as Buffer);
    this.root = this.doc.struct('Document');
    this.doc.addStructure(this.root);
  }

  private get width(): number {
    return this.doc.page.width - 2 * MARGIN;
  }

  /** A heading that would stand alone at the foot of a page starts the next one instead. */
  private keepWithNext(type: Block): void {
    if (type === 'P') return;
    const bottom = this.doc.page.height - this.doc.page.margins.bottom;
    if (this.doc.y + KEEP_WITH_NEXT > bottom) this.doc.addPage();
  }

  text(type: Block, value: string, opts: { font?: 'regular' | 'bold'; size?: number; gap?: number } = {}): void {
    this.keepWithNext(type);
    this.root.add(this.doc.struct(type, {}, () => {
      this.doc.font(opts.font ?? 'regular').fontSize(opts.size ?? 10.5).text(value, { width: this.width });
    }));
    if (opts.gap) this.doc.moveDown(opts.gap);
  }

  pair(label: string, value: string): void {
    this.root.add(this.doc.struct('P', {}, () => {
      this.doc.font('bold').fontSize(10.5).text(`${label}: `, { continued: true, width: this.width }).font('regular').text(value);
    }));
  }

  /** The Land: logo (vector, left out when svg-to-pdfkit cannot draw it) and name, then the portal. */
  head(landName: string, portalName: string, logoSvg: string | undefined): void {
    if (logoSvg) {
      const y = this.doc.y;
      try {
        this.root.add(this.doc.struct('Figure', { alt: landName }, () => SVGtoPDF(this.doc, logoSvg, MARGIN, y, { width: LOGO, height: LOGO, warningCallback: () => undefined })));
        this.doc.y = y + LOGO + 8;
      } catch {
        this.doc.y = y;
      }
      this.doc.x = MARGIN;
    }
    this.text('P', landName, { font: 'bold', size: 13 });
    this.text('P', portalName, { size: 9.5, gap: 0.8 });
  }

  authority(ui: UiTexts, a: AuthorityView): void {
    this.text('H2', ui.authority, { font: 'bold', size: 13 });
    this.text('P', [a.name, ...a.address].join('\n'));
    const contact = [a.phone && `${ui.contactPhone}: ${a.phone}`, a.email && `${ui.contactEmail}: ${a.email}`, a.web && `${ui.contactWeb}: ${a.web}`].filter((line): line is string => Boolean(line));
    if (contact.length > 0) this.text('P', contact.join('\n'));
    this.doc.moveDown(0.8);
  }

  /** Every answer as the check page listed it; a group's row as its title with one line per answer. */
  answers(ui: UiTexts, sections: ReceiptSection[]): void {
    for (const section of sections) {
      this.text('H3', section.title, { font: 'bold', size: 11.5, gap: 0.2 });
      for (const row of section.rows) {
        if (row.lines && row.lines.length > 0) {
          this.text('H4', row.label, { font: 'bold', size: 10.5 });
          this.text('P', row.lines.map((l) => `${l.label}: ${l.value}`).join('\n'));
        } else {
          this.pair(row.label, row.value !== '' ? row.value : ui.notAnswered);
        }
      }
      this.doc.moveDown(0.5);
    }
  }

  /**
   * The footer on every page ("<what> · Seite 2 von 3"), written once the page count is known. It is
   * pagination, not content: marked as an artifact, so screen readers and text order skip it.
   */
  finish(footer: (page: number, pages: number) => string): Promise<Buffer> {
    this.root.end();
    const { start, count } = this.doc.bufferedPageRange();
    for (let i = start; i < start + count; i++) {
      this.doc.switchToPage(i);
      const bottom = this.doc.page.margins.bottom;
      // Writing inside the bottom margin would otherwise start a new page.
      this.doc.page.margins.bottom = 0;
      this.doc.markContent('Artifact', { type: 'Pagination' });
      this.doc.font('regular').fontSize(8.5).text(footer(i - start + 1, count), MARGIN, this.doc.page.height - MARGIN - 12, { width: this.width, align: 'right', lineBreak: false });
      this.doc.endMarkedContent();
      this.doc.page.margins.bottom = bottom;
    }
    this.doc.end();
    return this.done;
  }
}

const pageOf = (ui: UiTexts, page: number, pages: number) => ui.pageOf.replace('{page}', String(page)).replace('{pages}', String(pages));

export function receiptPdf(input: ReceiptInput): Promise<Buffer> {
  const { ui } = input;
  const title = `${ui.receipt} ${input.reference}`;
  const sheet = new Sheet(input.lang, title, { author: input.portalName, subject: input.serviceTitle });
  sheet.head(input.landName, input.portalName, input.logoSvg);
  sheet.text('H1', title, { font: 'bold', size: 18, gap: 0.5 });
  sheet.pair(ui.referenceLabel, input.reference);
  sheet.pair(ui.service, input.serviceTitle);
  sheet.pair(ui.submittedAt, input.submittedAt);
  for (const f of input.facts) sheet.pair(f.label, f.hint ? `${f.value} (${f.hint})` : f.value);
  sheet.doc.moveDown(0.8);
  sheet.authority(ui, input.authority);
  if (input.nextSteps && input.nextSteps.length > 0) {
    sheet.text('H2', ui.nextStepsTitle, { font: 'bold', size: 13, gap: 0.2 });
    sheet.text('P', input.nextSteps.map((line) => `• ${line}`).join('\n'), { gap: 0.8 });
  }
  sheet.text('H2', ui.receiptAnswers, { font: 'bold', size: 13, gap: 0.3 });
  if (!input.sections) sheet.text('P', ui.receiptAnswersGone);
  sheet.answers(ui, input.sections ?? []);
  sheet.doc.moveDown(0.5);
  sheet.text('P', ui.receiptFooter, { size: 9 });
  return sheet.finish((page, pages) => `${ui.receipt} ${input.reference} · ${pageOf(ui, page, pages)}`);
}

export function answersPdf(input: AnswersInput): Promise<Buffer> {
  const { ui } = input;
  const sheet = new Sheet(input.lang, ui.answersPdfTitle, { author: input.portalName, subject: input.serviceTitle });
  sheet.head(input.landName, input.portalName, input.logoSvg);
  sheet.text('H1', ui.answersPdfTitle, { font: 'bold', size: 18, gap: 0.5 });
  sheet.text('P', ui.answersPdfNote, { gap: 0.4 });
  sheet.pair(ui.service, input.serviceTitle);
  sheet.pair(ui.createdAt, input.createdAt);
  sheet.doc.moveDown(0.8);
  if (input.authority) sheet.authority(ui, input.authority);
  sheet.answers(ui, input.sections);
  return sheet.finish((page, pages) => `${input.serviceTitle} · ${pageOf(ui, page, pages)}`);
}
