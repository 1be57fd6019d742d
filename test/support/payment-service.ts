/**
 * Test services with a fee and a payment policy (docs/payment.md), made from the small pet service
 * of ./extra-service.ts: 12.50 EUR per pet, shown on the check page. And a Land's payment provider
 * pointed at a local simulator. Tests never depend on which services the project ships.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addExtraService } from './extra-service.js';
import { editJson } from './declarations.js';

export const FEE_PER_PET_CENTS = 1250;

const LOGIC = `import type { ServiceLogic } from '../../src/services/contract.js';
import type { Haustiere } from './types.gen.js';

export const logic: ServiceLogic<Haustiere> = {
  rules() {
    return [];
  },
  derive(data) {
    return { anzahlTiere: data.tiere.length };
  },
  fee(data) {
    return { cents: ${FEE_PER_PET_CENTS} * (data.tiere?.length ?? 0), currency: 'EUR' };
  },
  region(data) {
    return data.halter.anschrift.ars;
  },
};

export default logic;
`;

/** A pet service whose fee is 12.50 EUR per pet and whose payment policy is `policy`. */
export async function addPayingService(root: string, spec: { id: string; leikaKey: string; tenant: string; routes: Record<string, string>; policy: 'optional' | 'before-submit' | 'after-decision' }): Promise<void> {
  await addExtraService(root, { id: spec.id, leikaKey: spec.leikaKey, tenants: [spec.tenant], routes: spec.routes, minItems: 1, maxItems: 3 });
  writeFileSync(join(root, 'services', spec.id, 'logic.ts'), LOGIC);
  editJson(join(root, 'services', spec.id, 'service.json'), (doc) => {
    doc.payment = { policy: spec.policy, description: { de: 'Gebühr Haustieranmeldung', en: 'Pet registration fee' } };
    doc.display = [{ value: 'fee', label: { de: 'Gebühr', en: 'Fee' }, format: 'money' }];
  });
}

/** The Land's payment provider: the XBezahldienste simulator at `url`, its secret in `secretEnv`. */
export function usePaymentProvider(root: string, tenant: string, url: string, secretEnv: string): void {
  editJson(join(root, 'tenants', `${tenant}.json`), (doc) => {
    doc.payment = { adapter: 'xbezahldienste', baseUrl: url, originatorId: 'efa-demo', endPointId: 'gebuehren', secretEnv };
  });
}
