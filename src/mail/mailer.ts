import { createTransport, type Transporter } from 'nodemailer';
import { EfaError } from '../core/errors.js';

/**
 * Outgoing e-mail to applicants. The runtime sends only notices ("a message is waiting"), never
 * what an authority wrote: mail is neither confidential nor reliably delivered, the Postfach is.
 * Off unless EFA_SMTP_URL is set; then pages do not offer e-mail at all.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailSettings {
  /** smtp://user:pass@host:port or smtps://… (nodemailer's connection URL). */
  smtpUrl: string;
  /** The From address, e.g. "Serviceportal <noreply@example.org>". */
  from: string;
  /** Per-message deadline (connection, greeting, socket idle). */
  timeoutMs?: number;
}

/** The SMTP server refused or did not answer; the message names neither recipient nor content. */
export class MailError extends EfaError {
  constructor(detail: string, cause?: unknown) {
    super('EFA_MAIL_FAILED', `e-mail could not be sent: ${detail}`, 502, { cause });
  }
}

/** A deliberately narrow shape check: one address, no display name, no header injection. */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isMailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 254 && ADDRESS.test(value);
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(private readonly settings: MailSettings) {
    const timeout = settings.timeoutMs ?? 15_000;
    // Pooled: a burst of answers reuses a few connections instead of one handshake each.
    this.transport = createTransport(settings.smtpUrl, { pool: true, maxConnections: 2, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout, logger: false, debug: false } as never);
  }

  async send(message: MailMessage): Promise<void> {
    if (!isMailAddress(message.to)) throw new MailError('the recipient is no single e-mail address');
    try {
      await this.transport.sendMail({ from: this.settings.from, to: message.to, subject: message.subject, text: message.text, ...(message.html ? { html: message.html } : {}) });
    } catch (err) {
      // nodemailer's messages may quote the SMTP dialogue (with the address): only its code here.
      const code = (err as { code?: unknown; responseCode?: unknown }).responseCode ?? (err as { code?: unknown }).code;
      throw new MailError(`SMTP error ${typeof code === 'string' || typeof code === 'number' ? code : 'unknown'}`);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** The configured mailer, or undefined when mail is off. */
export function mailerFor(settings: MailSettings | undefined): Mailer | undefined {
  return settings ? new SmtpMailer(settings) : undefined;
}
