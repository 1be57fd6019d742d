import { createServer as createHttpServer, request, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createConnection, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';

/**
 * What the fault proxy does with one request:
 *  - pass: forward it to the target; the target's answer goes back (after `delayMs`, if set);
 *  - 500:  answer 500 itself, the target never sees the request;
 *  - hang: never answer (until the client gives up or the proxy closes); the target never sees it.
 */
export type FaultMode = 'pass' | '500' | 'hang';

export interface ProxiedRequest {
  n: number;
  mode: FaultMode;
  method: string;
  path: string;
  /** The webhook transport's message id (= submission id), if the request carries one. */
  messageId?: string;
  at: number;
}

/**
 * An HTTP proxy between the runtime and an authority's receiver that injects faults. In pass mode
 * the request reaches the receiver at once and only the answer is held back for `delayMs`: while
 * it is held, the receiver has processed the message but the sender does not know yet, the window
 * in which a killed worker leaves a delivery that must be sent again.
 */
export class FaultProxy {
  mode: FaultMode = 'pass';
  /** How long an answer of the target is held before it goes back to the client (pass mode). */
  delayMs = 0;
  /**
   * Random faults: each request not planned otherwise answers 500 with probability `error` and
   * hangs with probability `hang`, drawn from a seeded generator so a failing run can be repeated.
   */
  faults: { error: number; hang: number; seed: number } | undefined;
  private rng: (() => number) | undefined;
  readonly requests: ProxiedRequest[] = [];
  private readonly planned: FaultMode[] = [];
  /** Message ids whose receiver answer arrived and is being held back, i.e. processed but not yet acknowledged. */
  readonly held = new Set<string>();
  private readonly server: HttpServer;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly target: string) {
    this.server = createHttpServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests get these modes, one each; after that `mode` applies again. */
  plan(...modes: FaultMode[]): void {
    this.planned.push(...modes);
  }

  /** Requests that carried a message id (deliveries, not e.g. HEAD checks). */
  deliveries(): ProxiedRequest[] {
    return this.requests.filter((r) => r.messageId !== undefined);
  }

  /** Resolves once `predicate` holds; checked after every request and every held answer change. */
  async until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.splice(this.listeners.indexOf(check), 1);
        reject(new Error(`fault proxy: ${what} did not happen within ${timeoutMs} ms (${this.requests.length} requests so far)`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(check), 1);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private randomMode(): FaultMode | undefined {
    if (!this.faults) return undefined;
    this.rng ??= mulberry32(this.faults.seed);
    const r = this.rng();
    if (r < this.faults.error) return '500';
    if (r < this.faults.error + this.faults.hang) return 'hang';
    return undefined;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const mode = this.planned.shift() ?? this.randomMode() ?? this.mode;
      const id = req.headers['webhook-id'];
      const messageId = typeof id === 'string' ? id : undefined;
      this.requests.push({ n: this.requests.length + 1, mode, method: req.method ?? 'GET', path: req.url ?? '/', messageId, at: Date.now() });
      this.changed();
      if (mode === '500') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('fault proxy: injected 500');
        return;
      }
      if (mode === 'hang') return; // the socket stays open until the client aborts or close()
      this.forward(req, Buffer.concat(chunks), res, messageId);
    });
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse, messageId: string | undefined): void {
    const target = new URL(req.url ?? '/', this.target);
    const headers = { ...req.headers, host: target.host };
    const upstream = request(target, { method: req.method, headers }, (answer) => {
      const parts: Buffer[] = [];
      answer.on('data', (c: Buffer) => parts.push(c));
      answer.on('end', () => {
        const reply = () => {
          if (messageId) this.held.delete(messageId);
          this.changed();
          if (res.destroyed || res.writableEnded) return;
          const out = { ...answer.headers };
          delete out['transfer-encoding'];
          delete out.connection;
          res.writeHead(answer.statusCode ?? 502, out).end(Buffer.concat(parts));
        };
        if (this.delayMs <= 0) return reply();
        if (messageId) this.held.add(messageId);
        this.changed();
        setTimeout(reply, this.delayMs).unref();
      });
    });
    upstream.on('error', (err) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: ${err.message}`);
    });
    upstream.end(body);
  }
}

/**
 * A TCP proxy (e.g. in front of Redis) that can be cut and restored: close() destroys every open
 * connection and stops listening, so clients see connection resets and then refused connections,
 * as with a Redis that went away; open() listens on the same port again.
 */
export class TcpProxy {
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();
  private portNumber = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy(u.hostname, u.port ? Number(u.port) : 6379);
  }

  get port(): number {
    return this.portNumber;
  }

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  /** A URL like `base` (scheme, credentials, path) that points at this proxy. */
  urlLike(base: string): string {
    const u = new URL(base);
    u.hostname = '127.0.0.1';
    u.port = String(this.portNumber);
    return u.toString().replace(/\/$/, '');
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = createTcpServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same fault sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
