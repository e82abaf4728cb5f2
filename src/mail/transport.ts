import nodemailer from 'nodemailer';
import type { Logger } from '../platform/logger.ts';
import type { MailConfig } from './mail.config.ts';

/** A message ready to leave: one recipient, both bodies, the Message-ID that names it everywhere. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export interface MailTransport {
  /** Which transport this is, for the start-up log line: never the SMTP URL (it holds credentials). */
  kind: 'smtp' | 'none';
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * nodemailer's SMTP transport when an SMTP_URL is set; otherwise its JSON transport, which builds the
 * message and sends it nowhere (what demo mode shows in its mailbox). Production always has an SMTP_URL
 * (src/config/load.ts). Headers are encoded by nodemailer; recipients are validated before they get here.
 */
export function createMailTransport(
  settings: MailConfig,
  fallbackFrom: { name: string; address: string },
  logger: Logger,
): MailTransport {
  const defaults = {
    from: settings.from ?? fallbackFrom,
    ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
  };
  const transporter = settings.smtpUrl
    ? nodemailer.createTransport(settings.smtpUrl, defaults)
    : nodemailer.createTransport({ jsonTransport: true }, defaults);
  const kind = settings.smtpUrl ? 'smtp' : 'none';
  logger.info(
    { transport: kind },
    kind === 'smtp' ? 'mail goes out by SMTP' : 'mail is not sent (no SMTP_URL)',
  );
  return {
    kind,
    async send(mail) {
      await transporter.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        // Sent by a program: auto-responders must not answer it (RFC 3834 section 5).
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    },
    close: () => transporter.close(),
  };
}

/**
 * Whether the relay refused the message for good (a 5xx answer, RFC 5321 section 4.2.1): trying again
 * would be refused the same way. nodemailer puts the SMTP answer's code on its errors as `responseCode`.
 */
export function permanentlyRefused(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
