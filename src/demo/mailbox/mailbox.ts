import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { RedisConnection } from '../../platform/redis.ts';
import { renderPage } from '../../platform/views.ts';

/** How many messages the mailbox keeps (newest first), and for how long after the last one. */
const KEPT = 200;
const KEPT_SECONDS = 7 * 24 * 60 * 60;

const sentSchema = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  messageId: z.string(),
  sentAt: z.string(),
});
export type MailboxEntry = z.infer<typeof sentSchema>;

/**
 * Demo mode's mailbox (/demo/mailbox): a copy of every message the gateway sent, so a newcomer sees what
 * bodies, admins and citizens receive without a mail server. In Redis, so every instance shows the same:
 *   demo:mailbox   list of JSON messages, newest first, at most KEPT
 */
export function createDemoMailbox(redis: RedisConnection) {
  const key = `${redis.prefix}demo:mailbox`;
  return {
    async record(mail: MailboxEntry): Promise<void> {
      const entry: MailboxEntry = {
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        sentAt: mail.sentAt,
      };
      await redis.client
        .multi()
        .lPush(key, JSON.stringify(entry))
        .lTrim(key, 0, KEPT - 1)
        .expire(key, KEPT_SECONDS)
        .exec();
    },

    async list(): Promise<MailboxEntry[]> {
      const raws = await redis.client.lRange(key, 0, KEPT - 1);
      return raws.flatMap((raw) => {
        const parsed = sentSchema.safeParse(JSON.parse(raw));
        return parsed.success ? [parsed.data] : [];
      });
    },

    routes(): Router {
      const router = Router();
      router.get('/demo/mailbox', async (req: Request, res: Response) => {
        res.set('Cache-Control', 'no-store');
        renderPage(req, res, 'demo/mailbox/mailbox', { messages: await this.list() });
      });
      return router;
    },
  };
}

export type DemoMailbox = ReturnType<typeof createDemoMailbox>;
