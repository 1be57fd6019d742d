import type { UploadSettings } from '../../config/env.js';
import type { Scanner } from '../scanner.js';
import { clamavScanner } from './clamav.js';
import { noScanner } from './none.js';

/** The scanner the configuration names: ClamAV when EFA_CLAMAV is set, none otherwise. */
export function scannerFor(settings: UploadSettings): Scanner {
  if (settings.clamav) return clamavScanner({ ...settings.clamav, timeoutMs: settings.scanTimeoutMs });
  return noScanner;
}
