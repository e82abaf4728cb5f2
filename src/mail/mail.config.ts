import { z } from 'zod';

/**
 * Outgoing mail (section `mail` of the configuration). Production refuses to start without the SMTP
 * server, the sender and the reply-to address (src/config/load.ts); demo mode without an SMTP server
 * keeps every message in the demo mailbox.
 */
export const mailConfigSchema = z
  .strictObject({
    /** smtp:// or smtps:// URL of the relay, credentials included (never logged). */
    smtpUrl: z.url({ protocol: /^smtps?$/ }).optional(),
    /** The sender of every message, e.g. "Varco Prato <noreply@varco.example.it>". */
    from: z
      .string()
      .max(320)
      .regex(/^\P{Cc}*[^\s@<>]+@[^\s@<>]+\P{Cc}*$/u, 'an address, or "Name <address>"')
      .optional(),
    /** Where answers go (a mailbox people read). */
    replyTo: z.email().max(254).optional(),
    queue: z
      .strictObject({
        /** Whether this instance runs the mail worker (it can run in separate processes instead). */
        workers: z.boolean().default(true),
        /** Attempts per message with exponential back-off from backoffMs (10 s, 20 s, …: about 5 h 40 min in all). */
        attempts: z.number().int().min(1).max(30).default(12),
        backoffMs: z.number().int().min(10).default(10_000),
        /** How long a worker holds a message before another instance may take it over. */
        lockMs: z.number().int().min(500).default(60_000),
      })
      .prefault({}),
  })
  .prefault({});

export type MailConfig = z.infer<typeof mailConfigSchema>;
