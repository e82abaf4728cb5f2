import { expect } from 'chai';
import { createMailRenderer, MAIL_KINDS, type MailKind } from '../../src/mail/messages.ts';
import { permanentlyRefused } from '../../src/mail/transport.ts';
import { createI18n, readTranslations } from '../../src/platform/i18n.ts';

describe('mail messages', () => {
  const renderer = async () =>
    createMailRenderer({
      i18n: await createI18n(readTranslations()),
      publicUrl: 'https://varco.example.it',
      networkName: 'Varco Prato',
    });

  it('renders every kind in both languages, with its link on the public URL', async () => {
    const render = await renderer();
    const values = {
      name: 'Ente',
      ipaCode: 'c_x',
      reason: 'r',
      reference: 'VRC-1',
      step: 's',
      body: 'b',
      expires: 'd',
      outcome: 'o',
      where: 'w',
      queue: 'q',
      overdue: '1',
      dueSoon: '2',
    };
    for (const kind of Object.keys(MAIL_KINDS) as MailKind[]) {
      for (const lang of ['it', 'en'] as const) {
        const mail = await render(kind, lang, values, { path: '/x', query: { token: 'a+b' } });
        expect(mail.subject, `${kind} ${lang}`).not.to.contain(`mail.${kind}`);
        expect(mail.text).to.contain('https://varco.example.it/x?token=a%2Bb');
        expect(mail.text).not.to.contain('{{');
        expect(mail.html).to.contain('href="https://varco.example.it/x?token=a%2Bb"');
        expect(mail.html).to.contain(`<html lang="${lang}">`);
      }
    }
  });

  it('keeps what a sender typed on one line in the subject and escaped in the HTML', async () => {
    const render = await renderer();
    const mail = await render('membershipReceived', 'it', {
      name: 'Ente\r\nBcc: spy@evil.example\r\n\r\n<script>alert(1)</script>',
      ipaCode: 'c_x',
    });
    expect(mail.subject).not.to.match(/[\r\n]/);
    expect(mail.subject).to.equal(
      'Nuova richiesta di adesione: Ente Bcc: spy@evil.example <script>alert(1)</script>',
    );
    expect(mail.html).not.to.contain('<script>');
    expect(mail.html).to.contain('&lt;script&gt;');
    expect(mail.text.split('\n')[0]).to.contain('Ente Bcc: spy@evil.example');
  });

  it('treats only an SMTP 5xx answer as a permanent refusal', () => {
    expect(permanentlyRefused(Object.assign(new Error('x'), { responseCode: 550 }))).to.equal(true);
    expect(permanentlyRefused(Object.assign(new Error('x'), { responseCode: 421 }))).to.equal(false);
    expect(permanentlyRefused(new Error('ECONNREFUSED'))).to.equal(false);
    expect(permanentlyRefused(undefined)).to.equal(false);
  });
});
