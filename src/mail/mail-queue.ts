import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { DataCipher } from '../citizen/data-cipher.ts';
import type { Logger } from '../platform/logger.ts';
import type { MailConfig } from './mail.config.ts';
import { permanentlyRefused, type MailTransport, type OutgoingMail } from './transport.ts';

/** A job's id: what the message is about, so the same news queued twice is one message. */
export const MAIL_ID = /^[a-z][a-z0-9-]{1,40}(\.[A-Za-z0-9_-]{1,64}){1,5}$/;

/** What a queued message holds in Redis: the message sealed with the citizens' data cipher (addresses, links). */
interface MailJob {
  sealed?: string;
}

/** Told of every message handed to the transport (demo mode's mailbox). */
export type SentMailListener = (mail: OutgoingMail & { sentAt: string }) => Promise<void>;

/**
 * The outgoing mail, as one durable BullMQ queue under `<prefix>bull:mail`: a message is a job whose id
 * names what it is about (a membership's decision, a case's step), so queueing it again (a retried
 * request, a recovery sweep) adds nothing; it survives restarts and Redis failovers as the deliveries do
 * (src/procedures/delivery-queue.ts) and is retried with exponential back-off. Its content is encrypted
 * in the job, and dropped from it once sent; the job id is kept a week, which is how long a repeat is
 * recognised. The Message-ID is made from the job id: a message sent again after a crash between the
 * relay's answer and the job's completion carries the same Message-ID, which mail systems deduplicate.
 */
export function createMailQueue(deps: {
  connection: () => Redis | Cluster;
  /** `<prefix>bull`, or `{<prefix>bull}` on a Cluster (a queue's keys must share a slot). */
  prefix: string;
  settings: MailConfig['queue'];
  cipher: DataCipher;
  transport: MailTransport;
  messageIdDomain: string;
  logger: Logger;
  sent?: SentMailListener;
}) {
  const { cipher, logger } = deps;
  let connection: Redis | Cluster | undefined;
  const connect = () => (connection ??= deps.connection());
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  const context = (id: string) => `mail:${id}`;

  async function process(job: Job<MailJob>): Promise<string> {
    if (!job.id || !job.data.sealed) return 'already-sent';
    const mail = JSON.parse(cipher.decrypt(job.data.sealed, context(job.id))) as Omit<
      OutgoingMail,
      'messageId'
    >;
    const outgoing = { ...mail, messageId: `<${job.id}@${deps.messageIdDomain}>` };
    try {
      await deps.transport.send(outgoing);
    } catch (error) {
      if (permanentlyRefused(error)) throw new UnrecoverableError('refused by the relay');
      throw new Error('relay unreachable or busy', { cause: error });
    }
    await job.updateData({});
    await deps.sent?.({ ...outgoing, sentAt: new Date().toISOString() });
    return 'sent';
  }

  return {
    /** Queues a message once: a message with the same id, queued or sent in the last week, is not queued again. */
    async send(id: string, mail: Omit<OutgoingMail, 'messageId'>): Promise<void> {
      if (!MAIL_ID.test(id)) throw new Error('invalid mail id');
      queue ??= new Queue('mail', { connection: connect(), prefix: deps.prefix });
      const data: MailJob = { sealed: cipher.encrypt(JSON.stringify(mail), context(id)) };
      await queue.add('mail', data, {
        jobId: id,
        attempts: deps.settings.attempts,
        backoff: { type: 'exponential', delay: deps.settings.backoffMs },
        removeOnComplete: { age: 7 * 24 * 60 * 60 },
        removeOnFail: { age: 30 * 24 * 60 * 60 },
      });
    },

    /** Starts this instance's worker (it can as well run in a process of its own). */
    startWorker() {
      worker = new Worker<MailJob, string>('mail', process, {
        connection: connect(),
        prefix: deps.prefix,
        concurrency: 2,
        lockDuration: deps.settings.lockMs,
        stalledInterval: deps.settings.lockMs,
      });
      // Never the address, the subject or the relay's answer (it may quote the address): the job id.
      worker.on('failed', (job, error) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
        logger.warn(
          { mail: job.id, attempt: job.attemptsMade, final, reason: error.message },
          'mail not sent',
        );
      });
      worker.on('error', (error) => logger.error({ err: { message: error.message } }, 'mail worker error'));
    },

    /** Counts by state (for tests and operators). */
    async counts(): Promise<Record<string, number>> {
      queue ??= new Queue('mail', { connection: connect(), prefix: deps.prefix });
      return queue.getJobCounts('wait', 'active', 'delayed', 'failed', 'completed');
    },

    async close(): Promise<void> {
      await worker?.close();
      await queue?.close();
      deps.transport.close();
      if (connection) await connection.quit().catch(() => undefined);
    },
  };
}

export type MailQueue = ReturnType<typeof createMailQueue>;
