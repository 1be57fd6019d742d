import type { Scanner } from '../scanner.js';

/**
 * No virus scan: the development default, and in production only when EFA_UPLOAD_SCAN=off says so
 * explicitly (e.g. the authority scans on receipt). Type sniffing and limits still apply.
 */
export const noScanner: Scanner = {
  name: 'none',
  begin: () => ({ write: async () => undefined, finish: async () => ({ clean: true }), abort: () => undefined }),
  check: async () => ({ ok: true, detail: 'no virus scanner configured (uploads are not scanned)' }),
};
