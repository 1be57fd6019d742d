/** What a test reads of a PDF the runtime made (receipt, answers so far): text per page and the tagging. */
export interface PdfRead {
  /** Every page's text, joined with spaces. */
  text: string;
  /** Each page's text. */
  pages: string[];
  title: unknown;
  marked: boolean;
  language: unknown;
  /** The structure roles (H1, P, Figure, …) of every page. */
  roles: Set<string>;
}

export async function readPdf(pdf: Buffer): Promise<PdfRead> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: new Uint8Array(pdf), useSystemFonts: false });
  const doc = await task.promise;
  const pages: string[] = [];
  const roles = new Set<string>();
  const walk = (node: unknown): void => {
    const n = node as { role?: string; children?: unknown[] } | null;
    if (n?.role) roles.add(n.role);
    for (const child of n?.children ?? []) walk(child);
  };
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
    walk(await page.getStructTree());
  }
  const meta = await doc.getMetadata();
  const info = meta.info as Record<string, unknown>;
  // pdf.js answers with a Map (6.x) or an object (older).
  const mark = (await doc.getMarkInfo()) as unknown;
  const marked = mark instanceof Map ? mark.get('Marked') === true : (mark as { Marked?: boolean } | null)?.Marked === true;
  await task.destroy();
  return { text: pages.join(' '), pages, title: info.Title, marked, language: info.Language, roles };
}

/** Whitespace is layout in a PDF (line breaks, wrapped words): compare without it. */
export const squeeze = (s: string): string => s.replace(/\s+/g, '');
