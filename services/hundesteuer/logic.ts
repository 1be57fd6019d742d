import type { Issue, LocalText, LogicContext, Money, ServiceLogic } from '../../src/services/contract.js';
import type { Hundesteuer } from './types.gen.js';

/**
 * Hundesteuer is a municipal tax (örtliche Aufwandsteuer, Art. 105 Abs. 2a GG): each municipality's
 * by-law (Hundesteuersatzung) sets the yearly rates, so they are local parameters, and a Land's
 * dog law decides which breeds count as dangerous (Listenhunde).
 */
export interface Parameters {
  /** Yearly tax for the first dog of a household, in cents. */
  steuerErsterHundCent: number;
  /** Yearly tax for the second and every further dog, in cents. */
  steuerWeitererHundCent: number;
  /** Yearly tax for every dog of a listed (dangerous) breed, in cents. */
  steuerListenhundCent: number;
  /** Breed codes (code list urn:de:efa:codelist:hunderassen) that the Land's dog law lists as dangerous. */
  listenhunde: string[];
}

export interface Derived {
  anzahlHunde: number;
  /** How many of the dogs are of a breed listed in the applicant's Land. */
  anzahlListenhunde: number;
  /** The yearly tax each dog will be assessed at, in the order entered. */
  steuerJeHundCent: number[];
  /** The expected yearly tax of the household; the municipality's notice (Steuerbescheid) decides. */
  jahressteuerCent: number;
}

type Ctx = LogicContext<Parameters>;
type Hund = Hundesteuer['hunde'][number];

/** A dog can be registered ahead of time, but not for a start further out than this. */
const MAX_DAYS_AHEAD = 90;

const MESSAGES = {
  EFA_RULE_HALTUNG_VOR_GEBURT: {
    de: 'Der Beginn der Haltung kann nicht vor dem Wurfdatum liegen.',
    en: 'You cannot have started keeping the dog before it was born.',
  },
  EFA_RULE_WURFDATUM_ZUKUNFT: {
    de: 'Das Wurfdatum darf nicht in der Zukunft liegen.',
    en: 'The date of birth cannot be in the future.',
  },
  EFA_RULE_HALTUNG_ZU_FRUEH: {
    de: 'Sie können einen Hund höchstens drei Monate vor Beginn der Haltung anmelden.',
    en: 'You can register a dog at most three months before you start keeping it.',
  },
  EFA_RULE_CHIP_DOPPELT: {
    de: 'Diese Transpondernummer haben Sie schon für einen anderen Hund angegeben.',
    en: 'You have already entered this microchip number for another dog.',
  },
  EFA_RULE_NACHWEIS_LISTENHUND: {
    de: 'Für einen Hund dieser Rasse laden Sie bitte den Nachweis hoch (zum Beispiel den bestandenen Wesenstest oder die Erlaubnis zur Haltung).',
    en: 'For a dog of this breed, please upload the certificate (for example the passed temperament test or the permit to keep it).',
  },
} as const satisfies Record<string, LocalText>;

function issue(pointer: string, code: keyof typeof MESSAGES): Issue {
  return { pointer, code, message: MESSAGES[code] };
}


export function isListed(rasse: string | undefined, ctx: Ctx): boolean {
  return rasse !== undefined && ctx.params.listenhunde.includes(rasse);
}

function dogRules(hund: Partial<Hund>, index: number, seenChips: Set<string>, ctx: Ctx): Issue[] {
  const at = (field: string) => `/hunde/${index}/${field}`;
  const issues: Issue[] = [];
  if (hund.wurfdatum && hund.wurfdatum > ctx.today) issues.push(issue(at('wurfdatum'), 'EFA_RULE_WURFDATUM_ZUKUNFT'));
  if (hund.wurfdatum && hund.haltungsbeginn && hund.haltungsbeginn < hund.wurfdatum) issues.push(issue(at('haltungsbeginn'), 'EFA_RULE_HALTUNG_VOR_GEBURT'));
  if (hund.haltungsbeginn && ctx.dates.daysBetween(ctx.today, hund.haltungsbeginn) > MAX_DAYS_AHEAD) issues.push(issue(at('haltungsbeginn'), 'EFA_RULE_HALTUNG_ZU_FRUEH'));
  if (hund.chipnummer) {
    if (seenChips.has(hund.chipnummer)) issues.push(issue(at('chipnummer'), 'EFA_RULE_CHIP_DOPPELT'));
    seenChips.add(hund.chipnummer);
  }
  // Only once the breed is answered: a row being filled in is not yet missing its certificate.
  if (hund.rasse && isListed(hund.rasse, ctx) && !hund.nachweis) issues.push(issue(at('nachweis'), 'EFA_RULE_NACHWEIS_LISTENHUND'));
  return issues;
}

/**
 * The usual by-law scheme: a listed dog always pays the listed rate; of the others the first pays
 * the first-dog rate and every further one the higher rate (the order of entry does not matter).
 */
export function taxPerDog(hunde: ReadonlyArray<Pick<Hund, 'rasse'>>, ctx: Ctx): number[] {
  let ordinary = 0;
  return hunde.map((hund) => {
    if (isListed(hund.rasse, ctx)) return ctx.params.steuerListenhundCent;
    ordinary += 1;
    return ordinary === 1 ? ctx.params.steuerErsterHundCent : ctx.params.steuerWeitererHundCent;
  });
}

export const logic: ServiceLogic<Hundesteuer, Parameters, Derived> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const seenChips = new Set<string>();
    return (data.hunde ?? []).flatMap((hund, i) => dogRules(hund ?? {}, i, seenChips, ctx));
  },

  derive(data, ctx) {
    const perDog = taxPerDog(data.hunde, ctx);
    return {
      anzahlHunde: data.hunde.length,
      anzahlListenhunde: data.hunde.filter((h) => isListed(h.rasse, ctx)).length,
      steuerJeHundCent: perDog,
      jahressteuerCent: perDog.reduce((sum, c) => sum + c, 0),
    };
  },

  /** Registering a dog costs nothing; the tax itself is assessed later by the municipality. */
  fee(): Money {
    return { cents: 0, currency: 'EUR' };
  },

  region(data) {
    return data.halter.anschrift.ars;
  },
};

export default logic;
