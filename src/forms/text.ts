import type { LocalText } from '../services/contract.js';

export type Lang = 'de' | 'en';
export const LANGS: readonly Lang[] = ['de', 'en'];

/** Names of the languages in their own language: the switcher must be readable by those who need it. */
export const LANG_NAMES: Readonly<Record<Lang, string>> = { de: 'Deutsch', en: 'English' };

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

/** A text in the applicant's language, falling back to German (the legally binding version). */
export function t(text: LocalText | undefined, lang: Lang): string {
  if (text === undefined) return '';
  if (typeof text === 'string') return text;
  return text[lang] ?? text.de;
}

/** True when `text` has its own version in `lang` (German-only strings count as German). */
export function hasLang(text: LocalText | undefined, lang: Lang): boolean {
  if (text === undefined) return false;
  if (typeof text === 'string') return lang === 'de' && text !== '';
  return typeof text[lang] === 'string' && text[lang] !== '';
}

/**
 * The best of `offered` for an Accept-Language header (RFC 9110 quality values; "en-GB" matches
 * "en"). Undefined when the header names none of them, so the caller keeps its own default.
 */
export function negotiateLang(header: string | undefined, offered: readonly Lang[]): Lang | undefined {
  if (!header) return undefined;
  const ranked = header.split(',').map((part, index) => {
    const [range = '', ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { lang: range.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, index };
  });
  const usable = ranked.filter((r) => r.q > 0 && Number.isFinite(r.q)).sort((a, b) => b.q - a.q || a.index - b.index);
  return usable.map((r) => r.lang).find((l): l is Lang => isLang(l) && offered.includes(l));
}
