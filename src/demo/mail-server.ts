import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A local SMTP server standing in for the mail relay (demo and tests, never production): it accepts
 * every message on loopback, without TLS or login, and keeps it in memory so the demo receiver's
 * page (/mail) and the tests can show what an applicant would have received.
 */
export interface CaughtMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html?: string;
  receivedAt: string;
}

export interface MailCatcher {
  /** smtp://127.0.0.1:<port>, for EFA_SMTP_URL. */
  url: string;
  /** Newest last. */
  readonly messages: CaughtMail[];
  close(): Promise<void>;
}

/** Enough for any notice; a larger message is refused (the demo keeps everything in memory). */
const MAX_BYTES = 1024 * 1024;
const KEPT = 200;

export async function startMailCatcher(opts: { host?: string; port?: number } = {}): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], size: MAX_BYTES, logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        messages.push({
          to: (session.envelope.rcptTo ?? []).map((r) => r.address),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          subject: mail.subject ?? '', text: mail.text ?? '', ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
          receivedAt: new Date().toISOString(),
        });
        if (messages.length > KEPT) messages.shift();
        callback();
      }, (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${host}:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
