import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CrossReferenceError } from '../src/core/errors.js';
import { FORMATS_DIR } from '../src/runtime.js';
import { loadServices } from '../src/services/registry.js';
import { editJson } from './support/declarations.js';
import { addExtraService, copyProjectRoot, type TempRoot } from './support/extra-service.js';

describe('service.json contact.email: the answer that holds the applicant\'s address for notices', () => {
  let temp: TempRoot;
  const SERVICE = 'kontakt-test';
  const serviceFile = () => join(temp.root, 'services', SERVICE, 'service.json');
  before(async () => {
    temp = copyProjectRoot('efa-contact-');
    await addExtraService(temp.root, { id: SERVICE, leikaKey: '99999999999078', tenants: ['sh'], routes: { '01': 'land-sh' }, minItems: 1, maxItems: 2 });
  });
  after(() => temp.remove());

  it('is taken when it names a string answer of the schema', async () => {
    editJson(serviceFile(), (doc) => { doc.contact = { email: '/halter/name' }; });
    const services = await loadServices(temp.root, FORMATS_DIR);
    assert.equal(services.get(SERVICE)?.definition.contact?.email, '/halter/name');
  });

  for (const [pointer, why] of [['/halter/telefon', 'no such answer'], ['/halter', 'an object, not a string'], ['/tiere/0/name', 'inside a list']] as const) {
    it(`is refused with EFA_XREF_POINTER when it names ${why} (${pointer})`, async () => {
      editJson(serviceFile(), (doc) => { doc.contact = { email: pointer }; });
      await assert.rejects(loadServices(temp.root, FORMATS_DIR), (err: unknown) => err instanceof CrossReferenceError && err.code === 'EFA_XREF_POINTER' && err.path === '/contact/email');
    });
  }
});
