import { createHash } from 'node:crypto';
import type { Logger } from '../../platform/logger.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import type { StepReportInput } from '../../procedures/report.schema.ts';
import type { Credentials } from '../../registry/credentials.repository.ts';

/** A report a demo body owes the gateway, due at a time. */
export interface OwedReport {
  body: string;
  reportUrl: string;
  report: StepReportInput;
}

const POLL_MS = 500;
const RETRY_MS = 5000;
/** Longer than a report's request may take (its timeout, 10 s). */
const LEASE_MS = 15_000;

/**
 * The part of the demo body systems that reports later, through the gateway's API, as a body's back
 * office would: owed reports wait in Redis (sorted set `demo:bodies:reports`, by due time) so they
 * survive a restart, any instance sends the due ones, authenticated with a credential this process
 * issues for the body (revoked when it closes). A report stays in the set until the gateway has taken
 * it: an instance leases it (`demo:bodies:reports:lease:<hash>`, SET NX with an expiry, so one instance
 * sends it at a time), sends it, then removes it. A crash or a Redis failing between sending and
 * removing sends it again once the lease expires, which the gateway takes as a duplicate and ignores
 * (src/procedures/case.service.ts, report); a report the gateway cannot take now is tried again later.
 */
export function createDemoReporter(deps: {
  redis: RedisConnection;
  credentials: Credentials;
  publicUrl: string;
  logger: Logger;
}) {
  const { client } = deps.redis;
  const key = `${deps.redis.prefix}demo:bodies:reports`;
  const issued = new Map<string, { clientId: string; token: string }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const tokenFor = async (body: string) => {
    let credential = issued.get(body);
    if (!credential) issued.set(body, (credential = await deps.credentials.issue(body)));
    return credential.token;
  };

  async function send(owed: OwedReport): Promise<'done' | 'later'> {
    // Only ever to the gateway itself: the URL comes from a verified delivery, this is belt and braces.
    if (new URL(owed.reportUrl).origin !== new URL(deps.publicUrl).origin) return 'done';
    const response = await fetch(owed.reportUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor(owed.body)}`, 'content-type': 'application/json' },
      body: JSON.stringify(owed.report),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (!response || response.status >= 500 || response.status === 429) return 'later';
    if (!response.ok) deps.logger.warn({ body: owed.body, status: response.status }, 'demo report refused');
    return 'done';
  }

  async function sendDue(): Promise<void> {
    const due = await client.zRangeByScore(key, 0, Date.now(), { LIMIT: { offset: 0, count: 20 } });
    for (const member of due) {
      const lease = `${key}:lease:${createHash('sha256').update(member).digest('hex')}`;
      if ((await client.set(lease, '1', { NX: true, PX: LEASE_MS })) !== 'OK') continue; // another instance has it
      const outcome = await send(JSON.parse(member) as OwedReport);
      if (outcome === 'later')
        await client.zAdd(key, { score: Date.now() + RETRY_MS, value: member }, { condition: 'XX' });
      else await client.zRem(key, member);
      await client.del(lease);
    }
  }

  const tick = () => {
    running ??= sendDue()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'demo reports not sent'))
      .finally(() => (running = undefined));
  };

  const startSending = () => {
    if (timer) return;
    timer = setInterval(tick, POLL_MS);
    timer.unref();
  };

  return {
    /** Sends what earlier runs still owe; otherwise sending starts with the first report owed. */
    async resume(): Promise<void> {
      if ((await client.zCard(key)) > 0) startSending();
    },

    /** Owes `report` to the gateway in `delayMs`. */
    async owe(owed: OwedReport, delayMs: number): Promise<void> {
      await client.zAdd(key, { score: Date.now() + delayMs, value: JSON.stringify(owed) });
      startSending();
    },

    async close(): Promise<void> {
      clearInterval(timer);
      await running;
      for (const [body, credential] of issued) await deps.credentials.revoke(body, credential.clientId);
      issued.clear();
    },
  };
}

export type DemoReporter = ReturnType<typeof createDemoReporter>;
