/**
 * What the figures tests share: a stack with a pet registration service of their own (so they do
 * not depend on the declared services), and applications through it over HTTP without JavaScript.
 */
import assert from 'node:assert/strict';
import { Browser } from './browser.js';
import { follow } from './answers.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './extra-service.js';
import { startStack, type TestStack } from './runtime.js';

export const FIGURES_SERVICE = 'zaehltiere';
export const FIGURES_TENANT = 'sh';

export async function figuresStack(env: Record<string, string> = {}): Promise<{ stack: TestStack; temp: TempRoot }> {
  const temp = copyProjectRoot('efa-figures-');
  await addExtraService(temp.root, { id: FIGURES_SERVICE, leikaKey: '99999999999061', tenants: [FIGURES_TENANT], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
  const stack = await startStack({ database: 'postgres', env: { EFA_ROOT: temp.root, EFA_FIGURES_CURRENT_MONTH: 'true', ...env } });
  return { stack, temp };
}

/** A draft opened and left on its second step (the pets) with the holder's answers saved. */
export async function startPets(origin: string, holder: string): Promise<Browser> {
  const b = new Browser(origin);
  const base = `/${FIGURES_TENANT}/${FIGURES_SERVICE}`;
  await b.get(base);
  await follow(b, await b.submit({}, '/start'), 'start');
  await follow(b, await b.submit({ 'halter.name': holder, 'halter.anschrift.strasse': 'Zählweg', 'halter.anschrift.hausnummer': '7', 'halter.anschrift.plz': '24103', 'halter.anschrift.ort': 'Kiel' }), 'holder');
  return b;
}

export interface PetApplication { id: string; reference: string; browser: Browser; confirmationPath: string }

/** A whole application: holder, one pet, check, submit; the browser ends on the confirmation page. */
export async function applyForPets(origin: string, holder: string, pet: string): Promise<PetApplication> {
  const b = await startPets(origin, holder);
  await follow(b, await b.submit({ 'tiere.0.name': pet, 'tiere.0.art': 'katze', 'tiere.0.geburtsdatum.day': '3', 'tiere.0.geburtsdatum.month': '4', 'tiere.0.geburtsdatum.year': '2021', 'tiere.0.gechippt': 'nein' }), 'pet');
  await follow(b, await b.submit({}), 'pets done');
  const done = await b.submit({}, '/absenden');
  assert.equal(done.status, 303, `submit answered ${done.status}`);
  const confirmationPath = done.location as string;
  const page = await b.get(confirmationPath);
  const reference = /class="efa-reference">([^<]+)</.exec(page.html)?.[1];
  assert.ok(reference, 'the confirmation page shows the reference');
  return { id: confirmationPath.split('/').pop() as string, reference, browser: b, confirmationPath };
}
