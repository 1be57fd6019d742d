import type { Issue, LocalText, LogicContext, Money, ServiceLogic } from '../../src/services/contract.js';
import type { Gewerbeanmeldung } from './types.gen.js';

export interface Parameters {
  gebuehrCent: number;
  zuschlagRegisterCent: number;
  /** German only, or German and English: the applicant may have chosen English. */
  hinweis: LocalText;
}

export interface Derived {
  /** Age of the owner on the first day of business, in full years. */
  alterBeiBeginn: number;
  /** True when the business started before the registration: § 14 GewO asks for it at the start. */
  nachtraeglicheAnzeige: boolean;
  /** Businesses in the commercial register get the register court's check, and the surcharge. */
  handelsregisterpflichtig: boolean;
}

type Ctx = LogicContext<Parameters>;

const REGISTERED_FORMS = new Set(['gmbh', 'ug', 'ohg', 'kg']);
/** § 112 BGB: a minor needs the family court's authorisation, which this online service cannot check. */
const MINIMUM_AGE = 18;
/** Registrations far in advance are refused by the trade offices; a year is the common horizon. */
const MAX_DAYS_AHEAD = 365;



/** The rules' messages by code: a Land may override them (docs/tenants.md, "Texts"). */
const MESSAGES = {
  EFA_RULE_MINDESTALTER: {
    de: 'Zum Beginn der Tätigkeit müssen Sie mindestens 18 Jahre alt sein. Minderjährige brauchen die Genehmigung des Familiengerichts; wenden Sie sich dafür direkt an Ihr Gewerbeamt.',
    en: 'You must be at least 18 years old when the business starts. Minors need the family court’s authorisation; please contact your trade office directly.',
  },
  EFA_RULE_BEGINN_ZU_FRUEH: {
    de: 'Der Beginn der Tätigkeit darf höchstens ein Jahr in der Zukunft liegen.',
    en: 'The business may start at most one year from today.',
  },
  EFA_RULE_VORBETRIEB: { de: 'Geben Sie den Namen des übernommenen Betriebs an.', en: 'Enter the name of the business you take over.' },
} as const satisfies Record<string, LocalText>;

function issue(pointer: string, code: keyof typeof MESSAGES): Issue {
  return { pointer, code, message: MESSAGES[code] };
}

export const logic: ServiceLogic<Gewerbeanmeldung, Parameters, Derived> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const issues: Issue[] = [];
    const birth = data.inhaber?.geburtsdatum;
    const start = data.taetigkeit?.beginn;
    if (birth && start && ctx.dates.fullYearsBetween(birth, start) < MINIMUM_AGE) issues.push(issue('/taetigkeit/beginn', 'EFA_RULE_MINDESTALTER'));
    if (start && ctx.dates.daysBetween(ctx.today, start) > MAX_DAYS_AHEAD) issues.push(issue('/taetigkeit/beginn', 'EFA_RULE_BEGINN_ZU_FRUEH'));
    if (data.betrieb?.anzeigegrund === 'uebernahme' && data.taetigkeit && !data.taetigkeit.vorbetrieb?.trim()) issues.push(issue('/taetigkeit/vorbetrieb', 'EFA_RULE_VORBETRIEB'));
    return issues;
  },

  derive(data, ctx) {
    return {
      alterBeiBeginn: ctx.dates.fullYearsBetween(data.inhaber.geburtsdatum, data.taetigkeit.beginn),
      nachtraeglicheAnzeige: data.taetigkeit.beginn < ctx.today,
      handelsregisterpflichtig: REGISTERED_FORMS.has(data.betrieb.rechtsform),
    };
  },

  fee(data: Gewerbeanmeldung, ctx: Ctx): Money {
    const surcharge = REGISTERED_FORMS.has(data.betrieb.rechtsform) ? ctx.params.zuschlagRegisterCent : 0;
    return { cents: ctx.params.gebuehrCent + surcharge, currency: 'EUR' };
  },

  region(data) {
    return data.betrieb.anschrift.ars;
  },

  overview(ctx) {
    return { feeFrom: { cents: ctx.params.gebuehrCent, currency: 'EUR' }, notice: ctx.params.hinweis || undefined };
  },
};

export default logic;
