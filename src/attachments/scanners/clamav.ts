import { connect, type Socket } from 'node:net';
import { ScannerError, type ScanSession, type ScanVerdict, type Scanner } from '../scanner.js';

/**
 * Where clamd listens (EFA_CLAMAV=host:port) and how long one scan may take: from the end of the
 * file to the verdict as a whole, and as the longest stall while the file streams in.
 */
export interface ClamavOptions {
  host: string;
  port: number;
  timeoutMs: number;
}

/**
 * ClamAV's daemon over TCP with the INSTREAM command: `zINSTREAM\0`, then each chunk prefixed by its
 * length as 4-byte big-endian, a zero-length chunk to end; clamd answers `stream: OK` or
 * `stream: <signature> FOUND` (NUL-terminated in the z mode), or `... ERROR` (e.g. its
 * StreamMaxLength was exceeded), which we treat as no verdict: the file is refused.
 */
export function clamavScanner(opts: ClamavOptions): Scanner {
  return {
    name: 'clamav',
    begin: () => new ClamavSession(opts),
    async check() {
      try {
        const reply = await command(opts, 'zPING\0');
        return reply === 'PONG' ? { ok: true, detail: `clamd at ${opts.host}:${opts.port} answers` } : { ok: false, detail: `clamd answered ${reply}` };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

class ClamavSession implements ScanSession {
  private readonly socket: Socket;
  private readonly exchange: Exchange;
  private failed?: Error;

  constructor(opts: ClamavOptions) {
    this.socket = connect({ host: opts.host, port: opts.port });
    this.exchange = exchange(this.socket, opts);
    // The verdict promise may settle (e.g. connection refused) before anyone awaits it.
    this.exchange.reply.catch((err: Error) => { this.failed = err; });
    this.socket.write('zINSTREAM\0');
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(chunk.length);
    this.socket.write(length);
    if (!this.socket.write(chunk)) await waitDrain(this.socket);
  }

  async finish(): Promise<ScanVerdict> {
    if (!this.failed) this.socket.write(Buffer.alloc(4));
    this.exchange.startDeadline();
    const reply = await this.exchange.reply;
    this.socket.destroy();
    return verdictOf(reply);
  }

  abort(): void {
    this.socket.destroy();
  }
}

function verdictOf(reply: string): ScanVerdict {
  const m = /^stream: (.+) FOUND$/.exec(reply);
  if (m) return { clean: false, signature: m[1] as string };
  if (reply === 'stream: OK') return { clean: true };
  throw new ScannerError(`clamd gave no verdict: ${reply}`);
}

function waitDrain(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => { socket.off('drain', onDrain); socket.off('close', onClose); if (err) reject(err); else resolve(); };
    const onDrain = () => done();
    const onClose = () => done(new ScannerError('clamd closed the connection while the file was streaming'));
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/** One exchange with clamd: its reply line, and the deadline that bounds waiting for it. */
interface Exchange {
  /** The one reply line (up to NUL or newline); clamd closes the connection after it. */
  reply: Promise<string>;
  /** From now on the whole reply must arrive within the timeout; an idle timeout alone would let a clamd that trickles bytes hold the request for ever. */
  startDeadline(): void;
}

/**
 * Until startDeadline(), only a stall counts: the file streams in at the applicant's pace, which
 * the request's own timeout bounds, so clamd must merely keep reading.
 */
function exchange(socket: Socket, opts: ClamavOptions): Exchange {
  const where = `clamd at ${opts.host}:${opts.port}`;
  let fail: (err: Error) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const reply = new Promise<string>((resolve, reject) => {
    fail = (err) => { socket.destroy(); reject(err); };
    let text = '';
    socket.setTimeout(opts.timeoutMs);
    socket.on('data', (data: Buffer) => {
      text += data.toString('utf8');
      const end = text.search(/[\0\n]/);
      if (end >= 0) resolve(text.slice(0, end).trim());
    });
    socket.on('timeout', () => fail(new ScannerError(`${where} stalled for ${opts.timeoutMs} ms`)));
    socket.on('error', (err) => reject(new ScannerError(`${where}: ${err.message}`, { cause: err })));
    socket.on('close', () => { if (text.trim()) resolve(text.replace(/\0/g, '').trim()); else reject(new ScannerError(`${where} closed the connection without a verdict`)); });
  });
  const stop = () => clearTimeout(timer);
  reply.then(stop, stop);
  return {
    reply,
    startDeadline() {
      socket.setTimeout(0);
      timer ??= setTimeout(() => fail(new ScannerError(`${where} did not answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    },
  };
}

async function command(opts: ClamavOptions, cmd: string): Promise<string> {
  const socket = connect({ host: opts.host, port: opts.port });
  const { reply, startDeadline } = exchange(socket, opts);
  startDeadline();
  socket.write(cmd);
  try {
    return await reply;
  } finally {
    socket.destroy();
  }
}
