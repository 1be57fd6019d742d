import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/env.js';
import { isMailAddress, MailError, SmtpMailer } from '../src/mail/mailer.js';
import { startTestSmtp, type TestSmtp } from './support/smtp.js';

describe('mail: notices over SMTP', () => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
  });
  after(async () => {
    await smtp.close();
  });

  it('sends a message the SMTP server receives, from the configured sender', async () => {
    const config = loadConfig(smtp.env);
    assert.ok(config.mail);
    const mailer = new SmtpMailer(config.mail);
    try {
      await mailer.send({ to: 'anna@example.org', subject: 'Neue Nachricht', text: 'Eine Nachricht wartet.' });
      const mail = await smtp.waitFor('anna@example.org');
      assert.equal(mail.subject, 'Neue Nachricht');
      assert.match(mail.text, /Eine Nachricht wartet\./);
      assert.equal(mail.from, 'noreply@portal.test');
    } finally {
      mailer.close();
    }
  });

  it('refuses a recipient that is not one plain address (no header injection)', async () => {
    const mailer = new SmtpMailer(loadConfig(smtp.env).mail as NonNullable<ReturnType<typeof loadConfig>['mail']>);
    try {
      for (const to of ['a@b.example, c@d.example', 'x@y.example\r\nBcc: z@z.example', 'no-address', '']) {
        await assert.rejects(mailer.send({ to, subject: 's', text: 't' }), (err: unknown) => err instanceof MailError && err.code === 'EFA_MAIL_FAILED' && !err.message.includes(to || '§'));
      }
      assert.equal(isMailAddress('erika.mustermann@example.org'), true);
    } finally {
      mailer.close();
    }
  });

  it('is off without EFA_SMTP_URL and refuses half a configuration', () => {
    assert.equal(loadConfig({}).mail, undefined);
    assert.throws(() => loadConfig({ EFA_MAIL_FROM: 'a@b.example' }), /EFA_SMTP_URL/);
    assert.throws(() => loadConfig({ EFA_SMTP_URL: 'smtp://127.0.0.1:25' }), /EFA_MAIL_FROM/);
    assert.throws(() => loadConfig({ EFA_SMTP_URL: 'http://127.0.0.1:25', EFA_MAIL_FROM: 'a@b.example' }), /EFA_SMTP_URL must use/);
  });
});
