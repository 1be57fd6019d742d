import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Authority } from '../../src/routing/types.js';
import type { DirectoryEntry } from '../../src/transports/types.js';

/**
 * A service of the test's own with file fields, offered by one Land and routed to an authority of
 * its own that receives over the demo directory's webhook (a push transport): nothing depends on
 * the shipped services or routing data.
 */
export const UPLOAD_SERVICE = { id: 'dateien-test', tenant: 'sh', leikaKey: '99999999999016', maxBytes: 2 * 1024 * 1024 };

const AUTHORITY: Authority = {
  id: 'test-dateiamt', name: 'Testamt für Dateien (Demo)', nameEn: 'Test Office for Files (Demo)',
  address: { street: 'Prüfweg 16', postalCode: '24103', city: 'Kiel' },
};

function fileRef(types: string[], maxBytes: number): Record<string, unknown> {
  return {
    type: 'object', additionalProperties: false, required: ['id', 'filename', 'mediaType', 'size', 'sha512'],
    properties: {
      id: { type: 'string', format: 'uuid' }, filename: { type: 'string', minLength: 1, maxLength: 255 },
      mediaType: { enum: types }, size: { type: 'integer', minimum: 1, maximum: maxBytes }, sha512: { type: 'string', pattern: '^[0-9a-f]{128}$' },
    },
  };
}

/** Step "angaben": a name; step "nachweise": one required PDF and up to three more PDFs. */
export function writeUploadService(root: string): void {
  const { id, tenant, leikaKey, maxBytes } = UPLOAD_SERVICE;
  const dir = join(root, 'services', id);
  mkdirSync(dir, { recursive: true });
  const json = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value, null, 2));
  json(join(dir, 'service.json'), {
    id, leikaKey, version: '1.0.0', title: { de: 'Dateien einreichen (Test)', en: 'Submit files (test)' },
    description: { de: 'Testleistung mit Uploads.', en: 'Test service with uploads.' }, leadLand: tenant,
    payloadSchemaUri: `https://efa-runtime.example/services/${id}/1.0.0/schema.json`, parameters: {},
  });
  json(join(dir, 'schema.json'), {
    $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://efa-runtime.example/services/${id}/1.0.0/schema.json`,
    title: 'Dateien', type: 'object', additionalProperties: false, required: ['name', 'nachweis'],
    properties: {
      name: { title: 'Name', type: 'string', minLength: 1, maxLength: 100 },
      nachweis: { title: 'Nachweis', $ref: '#/$defs/pdf' },
      belege: { title: 'Belege', type: 'array', minItems: 1, maxItems: 3, items: { $ref: '#/$defs/pdf' } },
    },
    $defs: { pdf: fileRef(['application/pdf'], maxBytes) },
  });
  writeFileSync(join(dir, 'logic.ts'), `export const logic = {
  rules: () => [],
  derive: () => ({}),
  fee: () => ({ cents: 0, currency: 'EUR' }),
  region: () => '010020000000',
};
`);
  json(join(root, 'forms', `${id}.form.json`), {
    service: id,
    steps: [
      { id: 'angaben', title: { de: 'Angaben', en: 'Details' }, fields: [{ pointer: '/name', kind: 'text' }] },
      { id: 'nachweise', title: { de: 'Nachweise', en: 'Evidence' }, fields: [{ pointer: '/nachweis', kind: 'file' }, { pointer: '/belege', kind: 'file' }] },
    ],
  });
  const tenantFile = join(root, 'tenants', `${tenant}.json`);
  const doc = JSON.parse(readFileSync(tenantFile, 'utf8')) as { services: Record<string, unknown> };
  doc.services[id] = {};
  json(tenantFile, doc);
  const demo = JSON.parse(readFileSync(join(root, 'routing', 'demo.json'), 'utf8')) as { directory: DirectoryEntry[] };
  const webhook = demo.directory.find((e) => e.serviceKey === '*' && e.transport === 'webhook') as DirectoryEntry;
  json(join(root, 'routing', `${id}.json`), {
    authorities: [AUTHORITY],
    responsibilities: [{ leikaKey, arsPrefix: '01', authorityId: AUTHORITY.id }],
    directory: [{ ...webhook, authorityId: AUTHORITY.id }],
  });
}

/** A small but real PDF (file-type recognises it by its header), padded to `size` bytes. */
export function paddedPdf(size: number, extra = ''): Buffer {
  const head = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n${extra}\n`);
  const tail = Buffer.from('\n%%EOF\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x20), tail]);
}
