import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replyEmailOf } from '../src/submissions/reply-email.js';

const schema = {
  type: 'object',
  properties: {
    betrieb: { type: 'object', properties: { name: { type: 'string' } } },
    weitere: { type: 'array', items: { type: 'object', properties: { email: { type: 'string', format: 'email' } } } },
    inhaber: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } } },
    vertretung: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
  },
};

test('reply e-mail: the first e-mail field of the schema the data fills, through nested objects, never from a list', () => {
  const data = { betrieb: { name: 'Kiosk' }, weitere: [{ email: 'dritte@example.org' }], inhaber: { name: 'Erika', email: 'erika@example.org' }, vertretung: { email: 'vertretung@example.org' } };
  assert.equal(replyEmailOf(schema, data), 'erika@example.org');
  assert.equal(replyEmailOf(schema, { ...data, inhaber: { name: 'Erika' } }), 'vertretung@example.org', 'an empty first field leaves the next');
  assert.equal(replyEmailOf(schema, { weitere: [{ email: 'dritte@example.org' }] }), undefined, 'an address in a list is a third party\'s, not the applicant\'s');
  assert.equal(replyEmailOf(schema, { inhaber: { email: 'kein at zeichen' } }), undefined, 'what is no address is not announced');
  assert.equal(replyEmailOf(schema, { inhaber: { email: `${'a'.repeat(250)}@example.org` } }), undefined, 'longer than an address can be');
  assert.equal(replyEmailOf({ type: 'object', properties: { name: { type: 'string' } } }, { name: 'x' }), undefined, 'a service without an e-mail field has none');
});
