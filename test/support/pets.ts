import assert from 'node:assert/strict';
import { extractErrors } from './answers.js';
import { Browser } from './browser.js';

/** Keepers of the pets service of test/support/extra-service.ts, as its first step posts them. */
export const HOLDER_KIEL = { 'halter.name': 'Erika Mustermann', 'halter.anschrift.strasse': 'Holstenstraße', 'halter.anschrift.hausnummer': '1', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' };
export const HOLDER_KOELN = { 'halter.name': 'Max Schmitz', 'halter.anschrift.strasse': 'Domkloster', 'halter.anschrift.hausnummer': '4', 'halter.anschrift.plz': '50667', 'halter.anschrift.ort': 'Köln' };

/** The post was accepted with a redirect to `to`; follows it. */
export async function expectRedirect(b: Browser, res: { status: number; html: string; location?: string }, to: string): Promise<void> {
  assert.equal(res.status, 303, `expected a redirect to ${to}, got ${res.status}: ${extractErrors(res.html)}`);
  assert.equal(res.location, to);
  await b.get(to);
}

/** A new applicant of the pets service `service` past the keeper's step, on the group's step (/tiere). */
export async function beginPets(url: string, tenant: string, service: string, holder: Record<string, string>, query = ''): Promise<Browser> {
  const b = new Browser(url);
  await b.get(`/${tenant}/${service}${query}`);
  await b.get((await b.submit({}, '/start')).location as string);
  await expectRedirect(b, await b.submit(holder), `/${tenant}/${service}/tiere`);
  return b;
}
