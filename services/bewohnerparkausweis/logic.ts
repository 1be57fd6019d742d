import type { Issue, LocalText, LogicContext, Money, ServiceLogic } from '../../src/services/contract.js';
import type { Bewohnerparkausweis } from './types.gen.js';

/**
 * Since 2020 (§ 6a Abs. 5a StVG) the Länder, and through them the municipalities, set the fee for a
 * resident parking permit; the fee per year and the longest term are therefore local parameters.
 */
export interface Parameters {
  /** Fee per year of validity, in cents. */
  gebuehrJahrCent: number;
  /** The longest validity a permit may be issued for, in years. */
  hoechstdauerJahre: number;
}

export interface Derived {
  /** The vehicle is not the applicant's own: the authority checks the proof of use. */
  fremdfahrzeug: boolean;
}

type Ctx = LogicContext<Parameters>;

/** § 45 Abs. 1b StVO, VwV-StVO: resident parking is for vehicles up to 3.5 t permissible weight. */
const MAX_WEIGHT_KG = 3500;

const MESSAGES = {
  EFA_RULE_GEWICHT: {
    de: 'Bewohnerparkausweise gibt es nur für Fahrzeuge bis 3,5 Tonnen zulässiger Gesamtmasse.',
    en: 'Resident parking permits are only issued for vehicles up to 3.5 tonnes permissible weight.',
  },
  EFA_RULE_DAUER: {
    de: 'Ihre Gemeinde stellt den Ausweis für höchstens so viele Jahre aus, wie in der Auswahl angegeben. Wählen Sie eine kürzere Dauer.',
    en: 'Your municipality issues the permit for at most the number of years offered. Choose a shorter term.',
  },
  EFA_RULE_NUTZUNGSNACHWEIS: {
    de: 'Laden Sie den Nachweis hoch, dass Sie das Fahrzeug dauerhaft nutzen (zum Beispiel die Bescheinigung des Arbeitgebers oder den Leasingvertrag).',
    en: 'Upload proof that you use the vehicle permanently (for example your employer’s certificate or the leasing contract).',
  },
} as const satisfies Record<string, LocalText>;

function issue(pointer: string, code: keyof typeof MESSAGES): Issue {
  return { pointer, code, message: MESSAGES[code] };
}

export const logic: ServiceLogic<Bewohnerparkausweis, Parameters, Derived> = {
  messages: MESSAGES,
  rules(data, ctx) {
    const issues: Issue[] = [];
    const fahrzeug = data.fahrzeug;
    if (fahrzeug?.gesamtmasseKg !== undefined && fahrzeug.gesamtmasseKg > MAX_WEIGHT_KG) issues.push(issue('/fahrzeug/gesamtmasseKg', 'EFA_RULE_GEWICHT'));
    if (fahrzeug?.nutzung && fahrzeug.nutzung !== 'eigen' && data.nachweise && !data.nachweise.nutzungsnachweis) issues.push(issue('/nachweise/nutzungsnachweis', 'EFA_RULE_NUTZUNGSNACHWEIS'));
    const ausweis = data.ausweis;
    if (ausweis?.jahre !== undefined && ausweis.jahre > ctx.params.hoechstdauerJahre) issues.push(issue('/ausweis/jahre', 'EFA_RULE_DAUER'));
    return issues;
  },

  derive(data) {
    return {
      fremdfahrzeug: data.fahrzeug.nutzung !== 'eigen',
    };
  },

  fee(data, ctx: Ctx): Money {
    return { cents: ctx.params.gebuehrJahrCent * data.ausweis.jahre, currency: 'EUR' };
  },

  region(data) {
    return data.antragsteller.anschrift.ars;
  },

  overview(ctx) {
    return { feeFrom: { cents: ctx.params.gebuehrJahrCent, currency: 'EUR' } };
  },
};

export default logic;
