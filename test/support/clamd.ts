import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** The EICAR anti-virus test string: harmless, and flagged by every scanner by agreement. */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!H+H*';

export interface FakeClamd {
  port: number;
  /** Every INSTREAM scan so far: the chunk lengths as framed by the client and the verdict sent. */
  scans: Array<{ chunks: number[]; bytes: number; reply: string }>;
  close(): Promise<void>;
}

/**
 * A local stand-in for clamd speaking its TCP protocol: `zPING\0` -> `PONG\0`; `zINSTREAM\0`, then
 * chunks each prefixed by a 4-byte big-endian length up to a zero-length one -> `stream: OK\0`, or
 * `stream: Eicar-Test-Signature FOUND\0` when the stream contains the EICAR string, or
 * `INSTREAM size limit exceeded. ERROR\0` past `maxStream` bytes (clamd's StreamMaxLength).
 * With `replyByteEveryMs` the scan's answer trickles out one byte at a time: a clamd that is slow
 * but never silent for long.
 */
export async function startFakeClamd(opts: { maxStream?: number; replyByteEveryMs?: number } = {}): Promise<FakeClamd> {
  const scans: FakeClamd['scans'] = [];
  const server: Server = createServer((socket) => serve(socket, scans, opts.maxStream ?? Infinity, opts.replyByteEveryMs));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    scans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function serve(socket: Socket, scans: FakeClamd['scans'], maxStream: number, replyByteEveryMs: number | undefined): void {
  let buffer = Buffer.alloc(0);
  let command: string | undefined;
  const scan = { chunks: [] as number[], bytes: 0, reply: '' };
  // The last bytes of the previous chunk, so a signature split across chunks is still found.
  let tail = '';
  let found = false;
  const answer = (text: string) => {
    scan.reply = text;
    if (replyByteEveryMs === undefined) return void socket.end(`${text}\0`);
    trickle(socket, Buffer.from(`${text}\0`), replyByteEveryMs);
  };
  socket.on('error', () => undefined);
  socket.on('data', (data: Buffer) => {
    buffer = Buffer.concat([buffer, data]);
    if (command === undefined) {
      const end = buffer.indexOf(0);
      if (end < 0) return;
      command = buffer.subarray(0, end).toString('ascii');
      buffer = buffer.subarray(end + 1);
      if (command === 'zPING') return void socket.end('PONG\0');
      if (command !== 'zINSTREAM') return void socket.end(`UNKNOWN COMMAND ${command}\0`);
      scans.push(scan);
    }
    while (buffer.length >= 4 && !scan.reply) {
      const length = buffer.readUInt32BE(0);
      if (length === 0) return answer(found ? 'stream: Eicar-Test-Signature FOUND' : 'stream: OK');
      if (buffer.length < 4 + length) return;
      const chunk = buffer.subarray(4, 4 + length).toString('latin1');
      buffer = buffer.subarray(4 + length);
      scan.chunks.push(length);
      scan.bytes += length;
      if (scan.bytes > maxStream) return answer('INSTREAM size limit exceeded. ERROR');
      if ((tail + chunk).includes(EICAR)) found = true;
      tail = (tail + chunk).slice(-EICAR.length);
    }
  });
}

function trickle(socket: Socket, bytes: Buffer, everyMs: number): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return void clearInterval(timer);
    socket.write(bytes.subarray(sent, sent + 1));
    if (++sent === bytes.length) {
      clearInterval(timer);
      socket.end();
    }
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}
