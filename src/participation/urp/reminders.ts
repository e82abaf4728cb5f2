import type { Logger } from '../../platform/logger.ts';
import type { UrpStore } from './urp.repository.ts';
import type { People } from './people.repository.ts';

const DAY_MS = 86_400_000;
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** One reminder: how many open requests of a queue are overdue or due soon, for one staff member. */
export interface Reminder {
  fiscalCode: string;
  /** The body whose queue it is; none: the URP's requests still waiting to be routed. */
  body?: string | undefined;
  overdue: number;
  dueSoon: number;
  /** The day (Europe/Rome) it is about: one reminder per person, queue and day. */
  day: string;
}

/**
 * Reminders of the legal deadlines to those who must answer: each body's answerers about the body's
 * open requests overdue or due within `daysBefore` days, the URP operators about those still waiting
 * to be routed. Counted from the queues' sorted sets (one ZCOUNT each), sent through `send` (the mail
 * module, which reaches only staff who confirmed an address at /me and sends one per id: every
 * instance sweeps, one mail goes out per person, queue and day).
 */
export function createReminders(deps: {
  store: UrpStore;
  people: People;
  bodies: () => Promise<string[]>;
  daysBefore: number;
  send: (reminder: Reminder) => Promise<void>;
}) {
  async function remind(now = Date.now()): Promise<number> {
    const day = new Date(now).toLocaleDateString('sv-SE', { timeZone: 'Europe/Rome' });
    const soon = now + deps.daysBefore * DAY_MS;
    let sent = 0;
    const queues: { body?: string; people: string[]; counts: { overdue: number; dueSoon: number } }[] = [];
    for (const body of await deps.bodies()) {
      const people = await deps.people.answerers.list(body);
      if (people.length > 0)
        queues.push({ body, people, counts: await deps.store.dueCounts(`b:${body}`, 'open', now, soon) });
    }
    queues.push({
      people: await deps.people.operators.list(),
      counts: await deps.store.dueCounts('all', 'status:received', now, soon),
    });
    for (const queue of queues) {
      if (queue.counts.overdue + queue.counts.dueSoon === 0) continue;
      for (const fiscalCode of queue.people) {
        await deps.send({ fiscalCode, body: queue.body, ...queue.counts, day });
        sent++;
      }
    }
    return sent;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    remind,
    /** Sweeps now and every hour (the timer does not keep the process alive). */
    start(logger: Logger) {
      const sweep = () =>
        void remind().catch((error: unknown) => logger.warn({ err: error }, 'urp reminders failed'));
      sweep();
      timer = setInterval(sweep, SWEEP_INTERVAL_MS);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}

export type Reminders = ReturnType<typeof createReminders>;
