import { createHash } from 'node:crypto';
import type { RequestHandler, Router } from 'express';
import type { Cluster, Redis } from 'ioredis';
import type { CitizenEmails } from '../citizen/email-address.ts';
import type { DataCipher } from '../citizen/data-cipher.ts';
import type { Config } from '../config/schema.ts';
import type { I18n, Language } from '../platform/i18n.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createCitizenUpdatesController } from './citizen-updates.controller.ts';
import { createMailQueue, type SentMailListener } from './mail-queue.ts';
import { mailRoutes } from './mail.routes.ts';
import { createMailRenderer, type MailKind } from './messages.ts';
import { createMailTransport } from './transport.ts';

/** Localised names, as the catalog and the procedure definitions hold them. */
type Localized = Record<Language, string>;

/** A step of a case that moved, as the procedures engine tells it (no personal data but the owner's reference). */
export interface CaseMovedNotice {
  caseId: string;
  reference: string;
  owner: string;
  step: { id: string; body: string; title: Localized };
  status: string;
  reason?: string;
  caseStatus: 'open' | 'completed' | 'closed';
}

/** Part of an id made from an address: who a message went to, without the address. */
const addressTag = (address: string) =>
  createHash('sha256').update(address.toLowerCase()).digest('base64url').slice(0, 16);

/** Dates in mail, in Italian time, in the recipient's language. */
const dateTime = (lang: Language, at: Date) =>
  at.toLocaleString(lang === 'it' ? 'it-IT' : 'en-GB', {
    timeZone: 'Europe/Rome',
    dateStyle: 'long',
    timeStyle: 'short',
  });

/**
 * Outgoing mail: what the other modules tell people by e-mail, queued durably (mail-queue.ts) and sent
 * by SMTP (transport.ts). Bodies' contacts and the network admins get Italian; citizens the language
 * they chose. Takes the BullMQ connection factory (shared with the deliveries), the citizens' data
 * cipher (queued messages are encrypted) and their addresses, and, in demo mode, who keeps a copy of
 * what was sent. Returns the notices other modules are given by the composition root.
 */
export function buildMail(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  inputs: {
    i18n: I18n;
    cipher: DataCipher;
    emails: CitizenEmails;
    queueConnection: () => Redis | Cluster;
    bodyName: (ipaCode: string, lang: Language) => Promise<string | undefined>;
    sent?: SentMailListener;
    formLimit: RequestHandler;
  },
) {
  const log = logger.child({ module: 'mail' });
  const publicHost = new URL(config.http.publicUrl).hostname;
  const transport = createMailTransport(
    config.mail,
    // Outside production only (MAIL_FROM is required there); as an object, so no name needs quoting.
    { name: config.network.name, address: `noreply@${publicHost}` },
    log,
  );
  const queue = createMailQueue({
    connection: inputs.queueConnection,
    prefix: config.redis.cluster ? `{${redis.prefix}bull}` : `${redis.prefix}bull`,
    settings: config.mail.queue,
    cipher: inputs.cipher,
    transport,
    messageIdDomain: publicHost,
    logger: log,
    ...(inputs.sent ? { sent: inputs.sent } : {}),
  });
  if (config.mail.queue.workers) queue.startWorker();
  const render = createMailRenderer({
    i18n: inputs.i18n,
    publicUrl: config.http.publicUrl,
    networkName: config.network.name,
  });

  async function send(
    id: string,
    to: string,
    lang: Language,
    kind: MailKind,
    values: Record<string, string>,
    link?: { path: string; query?: Record<string, string> },
  ) {
    await queue.send(id, { to, ...(await render(kind, lang, values, link)) });
  }
  const toAdmins = async (id: string, kind: MailKind, values: Record<string, string>, path: string) => {
    for (const address of config.registry.adminEmails)
      await send(`${id}.${addressTag(address)}`, address, 'it', kind, values, { path });
  };

  const confirmAddress = (c: { address: string; lang: Language; token: string; requestId: string }) =>
    send(
      `confirm-address.${c.requestId}`,
      c.address,
      c.lang,
      'confirmAddress',
      {},
      {
        path: '/me/email/confirm',
        query: { token: c.token },
      },
    );
  const citizenUpdates = createCitizenUpdatesController({
    redis,
    emails: inputs.emails,
    cipher: inputs.cipher,
    confirmAddress,
  });
  const routers: Router[] = [mailRoutes(citizenUpdates, inputs.formLimit)];

  return {
    queue,
    routers,
    /** The personal area's section: the address for news of the citizen's cases. */
    personalAreaSection: citizenUpdates.personalArea,

    /** What the registry tells by mail: requests to the admins, decisions and credentials to the body. */
    registryNotices: {
      membershipSubmitted: (m: { id: string; name: string; ipaCode: string }) =>
        toAdmins(
          `membership-received.${m.id}`,
          'membershipReceived',
          { name: m.name, ipaCode: m.ipaCode },
          '/admin',
        ),

      membershipDecided: (m: {
        id: string;
        name: string;
        email: string;
        status: 'approved' | 'rejected';
        reason?: string;
      }) =>
        m.status === 'approved'
          ? send(
              `membership-approved.${m.id}`,
              m.email,
              'it',
              'membershipApproved',
              { name: m.name },
              {
                path: '/editor',
              },
            )
          : send(
              `membership-rejected.${m.id}`,
              m.email,
              'it',
              'membershipRejected',
              { name: m.name, reason: m.reason ?? '' },
              { path: '/join' },
            ),

      /** The one-time link to a new API credential (the credential itself never travels by mail). */
      credentialIssued: (c: {
        clientId: string;
        name: string;
        email: string;
        token: string;
        expiresAt: Date;
      }) =>
        send(
          `credential.${c.clientId}`,
          c.email,
          'it',
          'credentialIssued',
          { name: c.name, expires: dateTime('it', c.expiresAt) },
          { path: '/credential', query: { token: c.token } },
        ),
    },

    /**
     * What the URP desk tells an anonymous requester: the link that confirms their address (and files
     * the request), then the reference number and the link to follow it. Sent once per token.
     */
    urpNotices: {
      confirmRequest: (c: { address: string; lang: Language; token: string; id: string }) =>
        send(
          `urp-confirm.${c.id}`,
          c.address,
          c.lang,
          'urpConfirm',
          {},
          {
            path: '/urp/confirm',
            query: { token: c.token },
          },
        ),
      requestFiled: (c: { address: string; lang: Language; token: string; reference: string }) =>
        send(
          `urp-filed.${c.reference}`,
          c.address,
          c.lang,
          'urpFiled',
          { reference: c.reference },
          { path: '/urp/follow', query: { token: c.token } },
        ),
      /**
       * A request was answered: its requester is told — a logged-in citizen when they confirmed an
       * address at /me (linked to the request), an anonymous requester at theirs (their personal link is
       * in the message that filed it: the gateway keeps only its hash). Once per answer.
       */
      async requestAnswered(c: {
        reference: string;
        answer: number;
        owner?: string | undefined;
        email?: string | undefined;
        lang: Language;
      }) {
        const recipient = c.owner ? await inputs.emails.byRef(c.owner) : undefined;
        const address = recipient?.address ?? c.email;
        if (!address) return;
        const lang = recipient?.lang ?? c.lang;
        const t = inputs.i18n.t(lang);
        await send(
          `urp-answered.${c.reference}.${c.answer}`,
          address,
          lang,
          'urpAnswered',
          {
            reference: c.reference,
            where: t(c.owner ? 'mail.urpAnswered.whereMe' : 'mail.urpAnswered.whereLink'),
          },
          c.owner ? { path: `/me/requests/${c.reference}` } : undefined,
        );
      },
      /**
       * A reminder of the deadlines to a URP operator or a body's answerer, when they confirmed an
       * address at /me; one per person, queue and day (the id names them by reference, never by
       * fiscal code).
       */
      async remind(r: {
        fiscalCode: string;
        body?: string | undefined;
        overdue: number;
        dueSoon: number;
        day: string;
      }) {
        const recipient = await inputs.emails.of(r.fiscalCode);
        if (!recipient) return;
        const t = inputs.i18n.t(recipient.lang);
        const queue = r.body
          ? ((await inputs.bodyName(r.body, recipient.lang)) ?? r.body)
          : t('mail.urpReminder.urpQueue');
        await send(
          `urp-reminder.${r.body ?? 'urp'}.${inputs.emails.refOf(r.fiscalCode).slice(0, 16)}.${r.day}`,
          recipient.address,
          recipient.lang,
          'urpReminder',
          { queue, overdue: String(r.overdue), dueSoon: String(r.dueSoon) },
          r.body
            ? { path: `/urp/bodies/${r.body}/queue`, query: { due: 'overdue' } }
            : { path: '/urp/queue', query: { status: 'received' } },
        );
      },
    },

    /** A delivery that failed its last attempt: the admins are told, once per dead letter. */
    async deadLettered(letter: {
      caseId: string;
      stepId: string;
      bodyIpa: string;
      reference: string;
      reason: string;
    }) {
      await toAdmins(
        `dead-letter.${letter.caseId}.${letter.stepId}.${Date.now().toString(36)}`,
        'deadLetter',
        {
          reference: letter.reference,
          step: letter.stepId,
          body: (await inputs.bodyName(letter.bodyIpa, 'it')) ?? letter.bodyIpa,
          reason: letter.reason.slice(0, 300),
        },
        '/admin/deliveries',
      );
    },

    /** A case moved: its citizen is told, in their language, when they confirmed an address. */
    async caseMoved(event: CaseMovedNotice) {
      const recipient = await inputs.emails.byRef(event.owner);
      if (!recipient) return;
      const { lang, address } = recipient;
      const values = {
        reference: event.reference,
        step: event.step.title[lang],
        body: (await inputs.bodyName(event.step.body, lang)) ?? event.step.body,
        reason: event.reason ?? '',
      };
      const link = { path: `/cases/${event.caseId}` };
      if (event.status === 'completed' || event.status === 'rejected')
        await send(
          `case-step.${event.caseId}.${event.step.id}`,
          address,
          lang,
          event.status === 'completed' ? 'stepCompleted' : 'stepRejected',
          values,
          link,
        );
      if (event.caseStatus !== 'open')
        await send(
          `case-finished.${event.caseId}`,
          address,
          lang,
          'caseFinished',
          {
            ...values,
            outcome: inputs.i18n.t(lang)(`mail.outcome.${event.caseStatus}`),
          },
          link,
        );
    },

    close: () => queue.close(),
  };
}

export type Mail = ReturnType<typeof buildMail>;
