import assert from 'node:assert/strict';
import { Browser } from './browser.js';
import { activity, person, step } from './answers.js';

export interface Submitted {
  id: string;
  reference: string;
  browser: Browser;
  /** The confirmation page's link to the status page (it carries the status key, not the id). */
  statusHref: string;
}

/**
 * A sole proprietor's Gewerbeanmeldung through every step over HTTP, without JavaScript, for a
 * business at `address`; the responsible authority follows from its postcode and town.
 */
export async function applyOverHttp(origin: string, tenant: string, address: { strasse: string; plz: string; ort: string }, businessName = 'Kiosk am Markt'): Promise<Submitted> {
  const b = new Browser(origin);
  await b.get(`/${tenant}/gewerbeanmeldung`);
  await b.get((await b.submit({}, '/start')).location as string);
  await step(b, person);
  await step(b, { 'betrieb.name': businessName, 'betrieb.rechtsform': 'einzelunternehmen', 'betrieb.anzeigegrund': 'neuerrichtung' });
  await step(b, { 'betrieb.anschrift.strasse': address.strasse, 'betrieb.anschrift.hausnummer': '1', 'betrieb.anschrift.plz': address.plz, 'betrieb.anschrift.ort': address.ort });
  assert.equal(await step(b, activity()), `/${tenant}/gewerbeanmeldung/pruefen`);
  const done = await b.submit({}, '/absenden');
  assert.equal(done.status, 303, `submit answered ${done.status}`);
  const confirmation = await b.get(done.location as string);
  const reference = /class="efa-reference">([^<]+)</.exec(confirmation.html)?.[1];
  assert.ok(reference, 'the confirmation shows a reference number');
  const statusHref = /href="([^"]*\/status\/[^"/]+)"/.exec(confirmation.html)?.[1];
  assert.ok(statusHref, 'the confirmation links the status page');
  return { id: (done.location as string).split('/').pop() as string, reference, browser: b, statusHref };
}
