import { startMailCatcher, type CaughtMail, type MailCatcher } from '../../src/demo/mail-server.js';
import { waitUntil } from './delivery-stack.js';

export type { CaughtMail };

/**
 * The applicant's mail relay for one test: the demo's SMTP server (src/demo/mail-server.ts) on an
 * ephemeral port, every message parsed with mailparser, and a wait for the one a test expects.
 */
export interface TestSmtp extends MailCatcher {
  /** The settings the runtime reads (EFA_SMTP_URL, EFA_MAIL_FROM). */
  env: { EFA_SMTP_URL: string; EFA_MAIL_FROM: string };
  /** Polls until a message to `to` arrived (and `match` holds for it); fails after `timeoutMs`. */
  waitFor(to: string, match?: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  to(address: string): CaughtMail[];
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const catcher = await startMailCatcher({ port: 0 });
  const to = (address: string) => catcher.messages.filter((m) => m.to.includes(address));
  return {
    ...catcher,
    messages: catcher.messages,
    env: { EFA_SMTP_URL: catcher.url, EFA_MAIL_FROM: 'Serviceportal Test <noreply@portal.test>' },
    to,
    async waitFor(address, match = () => true, timeoutMs = 20_000) {
      let found: CaughtMail | undefined;
      await waitUntil(() => (found = to(address).find(match)) !== undefined, timeoutMs, `a mail to ${address}`, () => `${catcher.messages.length} mail(s) caught`);
      return found as CaughtMail;
    },
  };
}
