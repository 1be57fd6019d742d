import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectoryEntry } from '../../src/transports/types.js';
import { copyDeclarations } from './declarations.js';

/** Test data only: a service of its own in a temporary copy of the project, never in services/. */
export const UPLOAD_SERVICE = 'upload-quota-test';

function fileRef(types: string[], maxBytes: number): Record<string, unknown> {
  return {
    type: 'object', additionalProperties: false, required: ['id', 'filename', 'mediaType', 'size', 'sha512'],
    properties: {
      id: { type: 'string', format: 'uuid' }, filename: { type: 'string', minLength: 1, maxLength: 255 },
      mediaType: { enum: types }, size: { type: 'integer', minimum: 1, maximum: maxBytes }, sha512: { type: 'string', pattern: '^[0-9a-f]{128}$' },
    },
  };
}

/** A LeiKa key no declared service uses: the test service brings its own routing. */
const LEIKA = '99999999999018';

/**
 * Step "angaben": a name and one required PDF (≤ `pdfMaxBytes`); step "fotos": up to two optional
 * images (≤ 64 KB each). Offered by nw; routed to an authority of its own (the demo directory's
 * webhook entry), so nothing depends on the shipped services or their routing.
 */
export function uploadServiceRoot(pdfMaxBytes: number): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'efa-upload-quota-'));
  copyDeclarations(root);
  const dir = join(root, 'services', UPLOAD_SERVICE);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'service.json'), JSON.stringify({
    id: UPLOAD_SERVICE, leikaKey: LEIKA, version: '1.0.0', title: { de: 'Nachweis hochladen', en: 'Upload evidence' },
    description: { de: 'Testleistung mit Uploads.', en: 'Test service with uploads.' }, leadLand: 'nw',
    payloadSchemaUri: `https://efa-runtime.example/services/${UPLOAD_SERVICE}/1.0.0/schema.json`, parameters: {},
  }));
  writeFileSync(join(dir, 'schema.json'), JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://efa-runtime.example/services/${UPLOAD_SERVICE}/1.0.0/schema.json`,
    title: 'Nachweis', type: 'object', additionalProperties: false, required: ['name', 'nachweis'],
    properties: {
      name: { title: 'Name', type: 'string', minLength: 1, maxLength: 100 },
      nachweis: { title: 'Nachweis', ...fileRef(['application/pdf'], pdfMaxBytes) },
      fotos: { title: 'Fotos', type: 'array', maxItems: 2, items: fileRef(['image/png'], 64 * 1024) },
    },
  }));
  writeFileSync(join(dir, 'logic.ts'), `export const logic = {
  rules: () => [],
  derive: () => ({}),
  fee: () => ({ cents: 0, currency: 'EUR' }),
  region: () => '053140000000',
};
`);
  writeFileSync(join(root, 'forms', `${UPLOAD_SERVICE}.form.json`), JSON.stringify({
    service: UPLOAD_SERVICE,
    steps: [
      { id: 'angaben', title: { de: 'Angaben', en: 'Details' }, fields: [{ pointer: '/name', kind: 'text' }, { pointer: '/nachweis', kind: 'file' }] },
      { id: 'fotos', title: { de: 'Fotos', en: 'Photos' }, fields: [{ pointer: '/fotos', kind: 'file' }] },
    ],
  }));
  const tenantFile = join(root, 'tenants', 'nw.json');
  const tenant = JSON.parse(readFileSync(tenantFile, 'utf8')) as { services: Record<string, unknown> };
  tenant.services[UPLOAD_SERVICE] = {};
  writeFileSync(tenantFile, JSON.stringify(tenant));
  const demo = JSON.parse(readFileSync(join(root, 'routing', 'demo.json'), 'utf8')) as { directory: DirectoryEntry[] };
  const webhook = demo.directory.find((e) => e.serviceKey === '*' && e.transport === 'webhook') as DirectoryEntry;
  const authority = { id: 'test-quotenamt', name: 'Testamt für Uploads (Demo)', nameEn: 'Test Office for Uploads (Demo)', address: { street: 'Prüfweg 18', postalCode: '53111', city: 'Bonn' } };
  writeFileSync(join(root, 'routing', `${UPLOAD_SERVICE}.json`), JSON.stringify({
    authorities: [authority],
    responsibilities: [{ leikaKey: LEIKA, arsPrefix: '05', authorityId: authority.id }],
    directory: [{ ...webhook, authorityId: authority.id }],
  }));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A small but real PDF (file-type recognises it by its header), padded to `size` bytes. */
export function paddedPdf(size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n');
  const tail = Buffer.from('\n%%EOF\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x20), tail]);
}

/** A 1×1 PNG padded after its end chunk to `size` bytes. */
export function paddedPng(size: number): Buffer {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  return Buffer.concat([png, Buffer.alloc(Math.max(0, size - png.length), 7)]);
}
