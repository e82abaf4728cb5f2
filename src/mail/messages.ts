import path from 'node:path';
import ejs from 'ejs';
import type { I18n, Language } from '../platform/i18n.ts';

/**
 * The messages the gateway sends, by kind: each has, in locales/<lang>.json under `mail.<kind>`, a
 * subject, a first paragraph, optionally a second one (`detail`) and the label of its link (`action`).
 */
export const MAIL_KINDS = {
  membershipReceived: { detail: false },
  membershipApproved: { detail: true },
  membershipRejected: { detail: true },
  credentialIssued: { detail: true },
  deadLetter: { detail: false },
  confirmAddress: { detail: true },
  stepCompleted: { detail: false },
  stepRejected: { detail: true },
  caseFinished: { detail: false },
  urpConfirm: { detail: true },
  urpFiled: { detail: true },
  urpAnswered: { detail: true },
  urpReminder: { detail: true },
} as const;
export type MailKind = keyof typeof MAIL_KINDS;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Control characters (CR, LF above all) in a value that ends up in a header or a line: a space. */
const oneLine = (value: string) => value.replace(/\p{Cc}+/gu, ' ').trim();

/**
 * Renders a message in the recipient's language: plain text and HTML (views/mail/message.ejs, where ejs
 * escapes every value). Values (a body's name, a reason) are put on one line, so nothing a sender typed
 * can start a header or a paragraph of its own; links are built on the public URL.
 */
export function createMailRenderer(deps: {
  i18n: I18n;
  publicUrl: string;
  networkName: string;
  viewsDir?: string;
}) {
  const template = path.resolve(deps.viewsDir ?? 'views', 'mail/message.ejs');
  return async (
    kind: MailKind,
    lang: Language,
    values: Record<string, string>,
    link?: { path: string; query?: Record<string, string> },
  ): Promise<RenderedMail> => {
    const t = deps.i18n.t(lang);
    const vars = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, oneLine(v)]));
    vars.network = deps.networkName;
    const subject = oneLine(t(`mail.${kind}.subject`, vars)).slice(0, 200);
    const paragraphs = [t(`mail.${kind}.lead`, vars)];
    if (MAIL_KINDS[kind].detail) paragraphs.push(t(`mail.${kind}.detail`, vars));
    let action: { url: string; label: string } | undefined;
    if (link) {
      const url = new URL(link.path, deps.publicUrl);
      for (const [name, value] of Object.entries(link.query ?? {})) url.searchParams.set(name, value);
      action = { url: url.toString(), label: t(`mail.${kind}.action`, vars) };
    }
    const footer = t('mail.footer', vars);
    const text = [
      ...paragraphs,
      ...(action ? [`${action.label}:\n${action.url}`] : []),
      `-- \n${footer}`,
    ].join('\n\n');
    const html = await ejs.renderFile(
      template,
      { lang, subject, paragraphs, action, footer },
      { async: false },
    );
    return { subject, text, html };
  };
}

export type MailRenderer = ReturnType<typeof createMailRenderer>;
