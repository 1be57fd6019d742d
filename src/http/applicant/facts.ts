/**
 * What the check, confirmation and status pages (and the PDF receipt) say about a submission: the
 * responsible authority, and the facts the service's logic declares (service.json "display").
 */
import { t, type Lang } from '../../forms/text.js';
import type { Authority } from '../../routing/types.js';
import type { LocalText, LogicContext, Money } from '../../services/contract.js';
import type { DisplayItem, LoadedService } from '../../services/registry.js';
import { money, number } from './view.js';

export interface SubmissionFacts {
  reference: string;
  serviceId: string;
  authorityName: string;
  status: string;
  feeCents: number;
  submittedAt: Date | string;
  /** The declared facts as computed at submission (column submissions.shown); null for older rows. */
  shown?: Record<string, unknown> | null;
  /** The authority as the routing data now describes it (address, contact, English name), if it still does. */
  authority?: Authority;
  /** Where the applicant downloads the PDF receipt (absent in the preview). */
  receiptHref?: string;
}

/** The responsible authority as the applicant sees it (partials/authority.hbs and the PDF receipt). */
export interface AuthorityView {
  name: string;
  /** Postal address lines: street, then postal code and city. */
  address: string[];
  email?: string;
  phone?: string;
  /** Only an http(s) address becomes a link. */
  web?: string;
}

/**
 * An authority's name as this page shows it: its English name on English pages where the routing
 * data has one (nameEn), else the official German name.
 */
export function authorityName(authority: Pick<Authority, 'name' | 'nameEn'>, lang: Lang): string {
  return lang === 'en' && authority.nameEn ? authority.nameEn : authority.name;
}

/**
 * The English name on English pages when the authority declares one; otherwise `name` (on the
 * status page the name stored at submission, which the routing data may have changed since).
 */
export function authorityView(authority: Authority | undefined, lang: Lang, name?: string): AuthorityView {
  const a = authority?.address;
  const address = a ? [a.street, [a.postalCode, a.city].filter(Boolean).join(' ')].filter((line): line is string => typeof line === 'string' && line !== '') : [];
  const c = authority?.contact ?? {};
  return {
    name: authority ? authorityName({ name: name ?? authority.name, nameEn: authority.nameEn }, lang) : (name ?? '–'), address,
    email: c.email, phone: c.phone, web: c.web && /^https?:\/\//i.test(c.web) ? c.web : undefined,
  };
}

/** The declared facts of the logic (service.json "display") for one page, formatted for the applicant. */
export function displayFacts(service: LoadedService, page: 'check' | 'confirmation', lang: Lang, valueOf: (item: DisplayItem) => unknown): Array<{ label: string; value: string; hint?: string; lines?: Array<{ label: string; value: string }> }> {
  return (service.definition.display ?? [])
    .filter((item) => (item.pages ?? ['check', 'confirmation']).includes(page))
    .map((item) => {
      const value = valueOf(item);
      return { label: item.label[lang], value: formatFact(item, value, lang), hint: item.hint?.[lang], lines: moneyLines(value, lang) };
    });
}

/** A fee made up of several lines (e.g. a period split at a change of rate): each line, as the logic words it. */
function moneyLines(value: unknown, lang: Lang): Array<{ label: string; value: string }> | undefined {
  const lines = (value as Money | undefined)?.lines;
  if (!Array.isArray(lines) || lines.length < 2) return undefined;
  return lines.map((l) => ({ label: t(l.label, lang), value: money({ cents: l.cents, currency: 'EUR' }, lang) }));
}

/** The raw value of a display item: the fee, or one of derive()'s values. */
export function factValue(service: LoadedService, item: DisplayItem, data: Record<string, unknown>, logic: LogicContext, derived: () => Record<string, unknown>): unknown {
  return item.value === 'fee' ? service.logic.fee(data, logic) : derived()[item.value.slice('derived.'.length)];
}

function formatFact(item: DisplayItem, value: unknown, lang: Lang): string {
  if (value === undefined || value === null) return '–';
  // A derived list (the dogs' names, the amounts per year) is shown item by item in the item's format.
  if (Array.isArray(value)) return value.length === 0 ? '–' : value.map((v: unknown) => formatFact(item, v, lang)).join(', ');
  if (item.says && typeof value === 'boolean') return item.says[value ? 'true' : 'false'][lang];
  switch (item.format ?? (item.value === 'fee' ? 'money' : 'text')) {
    case 'money': return money(typeof value === 'number' ? { cents: value, currency: 'EUR' } : (value as Money), lang);
    case 'number': return number(Number(value), lang);
    case 'yesno': return value ? (lang === 'en' ? 'Yes' : 'Ja') : (lang === 'en' ? 'No' : 'Nein');
    default: return typeof value === 'object' ? t(value as LocalText, lang) : String(value);
  }
}
