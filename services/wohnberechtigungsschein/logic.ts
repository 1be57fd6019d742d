import type { Issue, LocalText, LogicContext, Money, ServiceLogic } from '../../src/services/contract.js';
import type { Wohnberechtigungsschein } from './types.gen.js';

/**
 * § 9 WoFG sets the federal income limits (12,000 € for one person, 18,000 € for two, 4,100 € for
 * every further person, 500 € more for every child); since the federalism reform the Länder set
 * their own, and the appropriate flat size too. Both are Land parameters; the municipality may
 * charge an administrative fee.
 */
export interface Parameters {
  grenzeEinPersonEuro: number;
  grenzeZweiPersonenEuro: number;
  zuschlagJePersonEuro: number;
  zuschlagJeKindEuro: number;
  wohnflaecheEinPersonQm: number;
  wohnflaecheJePersonQm: number;
  gebuehrCent: number;
}

export interface Derived {
  haushaltsgroesse: number;
  kinder: number;
  /** The household's income limit under the Land's law. */
  einkommensgrenzeEuro: number;
  /** The flat size the certificate will name as appropriate. */
  angemesseneWohnflaecheQm: number;
  /**
   * A first estimate on the gross income entered; the authority decides on the adjusted income
   * (§ 20 ff. WoFG: allowances, deductions), so this never refuses an application.
   */
  einkommenVoraussichtlichUnterGrenze: boolean;
}

type Ctx = LogicContext<Parameters>;

const ADULT_AGE = 18;

const MESSAGES = {
  EFA_RULE_VOLLJAEHRIG: {
    de: 'Einen Wohnberechtigungsschein können Sie ab 18 Jahren beantragen.',
    en: 'You can apply for a housing entitlement certificate from the age of 18.',
  },
  EFA_RULE_GEBURT_ZUKUNFT: {
    de: 'Das Geburtsdatum darf nicht in der Zukunft liegen. Ein erwartetes Kind geben Sie erst nach der Geburt an.',
    en: 'The date of birth cannot be in the future. Add an expected child once it is born.',
  },
} as const satisfies Record<string, LocalText>;


export function incomeLimit(persons: number, children: number, p: Parameters): number {
  const base = persons <= 1 ? p.grenzeEinPersonEuro : p.grenzeZweiPersonenEuro + (persons - 2) * p.zuschlagJePersonEuro;
  return base + children * p.zuschlagJeKindEuro;
}

export function appropriateSize(persons: number, p: Parameters): number {
  return p.wohnflaecheEinPersonQm + Math.max(0, persons - 1) * p.wohnflaecheJePersonQm;
}

export const logic: ServiceLogic<Wohnberechtigungsschein, Parameters, Derived> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const issues: Issue[] = [];
    const birth = data.antragsteller?.geburtsdatum;
    if (birth && ctx.dates.fullYearsBetween(birth, ctx.today) < ADULT_AGE) issues.push({ pointer: '/antragsteller/geburtsdatum', code: 'EFA_RULE_VOLLJAEHRIG', message: MESSAGES.EFA_RULE_VOLLJAEHRIG });
    (data.haushalt ?? []).forEach((person, i) => {
      if (person?.geburtsdatum && person.geburtsdatum > ctx.today) issues.push({ pointer: `/haushalt/${i}/geburtsdatum`, code: 'EFA_RULE_GEBURT_ZUKUNFT', message: MESSAGES.EFA_RULE_GEBURT_ZUKUNFT });
    });
    return issues;
  },

  derive(data, ctx: Ctx) {
    const members = data.haushalt ?? [];
    const persons = 1 + members.length;
    const kinder = members.filter((m) => m.beziehung === 'kind').length;
    const grenze = incomeLimit(persons, kinder, ctx.params);
    return {
      haushaltsgroesse: persons,
      kinder,
      einkommensgrenzeEuro: grenze,
      angemesseneWohnflaecheQm: appropriateSize(persons, ctx.params),
      einkommenVoraussichtlichUnterGrenze: data.einkommen.jahreseinkommenEuro <= grenze,
    };
  },

  fee(_data, ctx: Ctx): Money {
    return { cents: ctx.params.gebuehrCent, currency: 'EUR' };
  },

  region(data) {
    return data.antragsteller.anschrift.ars;
  },
};

export default logic;
