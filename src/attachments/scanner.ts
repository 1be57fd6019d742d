import { EfaError } from '../core/errors.js';

/** What a virus scanner said about one file. */
export type ScanVerdict = { clean: true } | { clean: false; signature: string };

/**
 * One file being scanned while it streams in: the upload writes each chunk as it arrives and asks
 * for the verdict at the end, so a file is never held whole in memory for the scan.
 */
export interface ScanSession {
  write(chunk: Buffer): Promise<void>;
  /** Ends the stream and waits for the verdict; throws ScannerError when the scanner fails. */
  finish(): Promise<ScanVerdict>;
  /** Gives up (the upload was refused for another reason); never throws. */
  abort(): void;
}

/** A virus-scan hook: one adapter per file under src/attachments/scanners/, chosen by environment. */
export interface Scanner {
  readonly name: string;
  begin(): ScanSession;
  check(): Promise<{ ok: boolean; detail: string }>;
}

/** The scanner could not give a verdict (unreachable, protocol error, size limit): the file is refused. */
export class ScannerError extends EfaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EFA_SCANNER_FAILED', message, 503, options);
  }
}
