import { Browser } from './browser.js';

export function inDays(days: number): { day: string; month: string; year: string } {
  const d = new Date(Date.now() + days * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

export const person = {
  'inhaber.vorname': 'Erika', 'inhaber.familienname': 'Mustermann',
  'inhaber.geburtsdatum.day': '12', 'inhaber.geburtsdatum.month': '5', 'inhaber.geburtsdatum.year': '1985',
  'inhaber.staatsangehoerigkeit': '000', 'inhaber.email': 'erika@example.org',
};

export function activity(extra: Record<string, string> = {}): Record<string, string> {
  const start = inDays(30);
  return {
    'taetigkeit.beschreibung': 'Einzelhandel mit Backwaren und Konditoreiwaren', 'taetigkeit.wirtschaftszweig': '47240', 'taetigkeit.betriebsart': 'handel',
    'taetigkeit.beginn.day': start.day, 'taetigkeit.beginn.month': start.month, 'taetigkeit.beginn.year': start.year,
    'taetigkeit.nebenerwerb': 'nein', 'taetigkeit.beschaeftigte': '2', ...extra,
  };
}

/** Posts one step and expects to be sent on (303); returns where to. */
export async function step(browser: Browser, fields: Record<string, string>): Promise<string> {
  const res = await browser.submit(fields);
  if (res.status !== 303 || !res.location) throw new Error(`step ${browser.lastUrl} answered ${res.status}: ${extractErrors(res.html)}`);
  await browser.get(res.location);
  return res.location;
}

export function extractErrors(html: string): string {
  return [...html.matchAll(/<p class="kern-error"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => (m[1] ?? '').replace(/<[^>]+>/g, '').trim()).join(' | ');
}

/** Expects a redirect (the step was accepted), follows it and returns where it led. */
export async function follow(browser: Browser, res: { status: number; html: string; location?: string }, what: string): Promise<string> {
  if (res.status !== 303 || !res.location) throw new Error(`${what}: ${browser.lastUrl} answered ${res.status}: ${extractErrors(res.html)}`);
  await browser.get(res.location);
  return res.location;
}

/** A small but real PDF (file-type recognises it by its header) carrying `text`. */
export function pdfWith(text: string): Buffer {
  return Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
}
