import { expect } from 'chai';
import request from 'supertest';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { listen } from '../helpers/gateway.ts';
import { browse, fileAndDeliver, logIn, startTopologyGateway } from '../helpers/journeys.ts';
import { eventually } from '../helpers/procedures.ts';
import {
  redisCommand,
  startSentinelGroup,
  type SentinelGroup,
  TEST_PORT_OFFSET,
} from '../helpers/redis-topology.ts';

const BASE_PORT = 7100 + TEST_PORT_OFFSET;
const IN_FLIGHT_BASE_PORT = 7130 + TEST_PORT_OFFSET;
const COMMAND_TIMEOUT_MS = 1000;
const PARENT = 'RSSMRA80A01H501U';

/**
 * A real Sentinel group (a master, a replica, three sentinels; detection after 1 s) under the gateway
 * with its delivery workers: the journeys work, an unplanned failover (the master killed) gives 503s
 * within the command timeout, never a 500 or a hang, and everything recovers by itself.
 */
describe('Redis Sentinel: the master killed (a real Sentinel group)', function () {
  this.timeout(120_000);
  let group: SentinelGroup;
  let gateway: Awaited<ReturnType<typeof startTopologyGateway>>;
  let procedure: Procedure;

  before(async () => {
    group = await startSentinelGroup(BASE_PORT, { downAfterMs: 1000 });
    gateway = await startTopologyGateway(
      { sentinel: { name: group.name, nodes: group.nodes } },
      COMMAND_TIMEOUT_MS,
    );
    procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
  });
  after(async () => {
    try {
      await gateway?.stop();
    } finally {
      await group?.dispose();
    }
  });

  it('carries the journeys, answers 503 (never 500, never a hang) through the failover, and recovers', async () => {
    const citizen = await logIn(gateway.app);
    await browse(gateway.app, citizen);
    await fileAndDeliver(gateway, citizen, procedure);
    const cookie = (await citizen.get('/me').expect(200)).headers['set-cookie']?.[0]?.split(';')[0];
    const server = await listen(gateway.app);
    const statuses: number[] = [];
    try {
      // Requests keep coming while the master dies and the sentinels promote the replica.
      const load = (async () => {
        for (let i = 0; i < 40; i++) {
          const res = await fetch(`${server.url}/me`, {
            headers: { Accept: 'text/html', ...(cookie ? { Cookie: cookie } : {}) },
            redirect: 'manual',
            // A hang fails the test: a request waiting on the master when it dies gets its 503 after the
            // command timeout (src/platform/redis-deadline.ts), later ones at once; the margin is for
            // a loaded machine.
            signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS * 10),
          });
          statuses.push(res.status);
          await res.arrayBuffer();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const { promoted } = await group.failover();
      await load;
      expect(await group.masterPort()).to.equal(promoted.port);
    } finally {
      await server.close();
    }
    expect(statuses.filter((status) => ![200, 503].includes(status))).to.deep.equal([]);
    expect(statuses).to.include(503);

    await eventually(async () =>
      (await request(gateway.app).get('/ready')).status === 200 ? true : undefined,
    );
    // The replica had the session: the citizen is still logged in; a new case is filed and delivered.
    await browse(gateway.app, citizen);
    await fileAndDeliver(gateway, citizen, procedure);
  });
});

interface Answer {
  status: number | 'aborted';
  type: string;
  retryAfter: string | null;
  text: string;
  /** From sending the request to its answer. */
  waited: number;
}

/**
 * Requests caught in flight: the master is made to sleep (DEBUG SLEEP) so that the commands of the
 * requests sent then are written and unanswered, and is killed while they wait. The Sentinel client would
 * hold them until the sentinels promote the replica (detection here after 3 s, well after the command
 * timeout) or the stall watch drops the connection; each must get its 503 within the command timeout
 * instead, with nothing of the handler's late answer reaching the client, and the gateway must carry on
 * once the replica serves.
 */
describe('Redis Sentinel: requests in flight when the master dies (a real Sentinel group)', function () {
  this.timeout(120_000);
  let group: SentinelGroup;
  let gateway: Awaited<ReturnType<typeof startTopologyGateway>>;
  let procedure: Procedure;

  before(async () => {
    group = await startSentinelGroup(IN_FLIGHT_BASE_PORT, { downAfterMs: 3000 });
    gateway = await startTopologyGateway(
      { sentinel: { name: group.name, nodes: group.nodes } },
      COMMAND_TIMEOUT_MS,
    );
    procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
  });
  after(async () => {
    try {
      await gateway?.stop();
    } finally {
      await group?.dispose();
    }
  });

  it('answers each 503 within the command timeout, not at the promotion, and recovers', async () => {
    const citizen = await logIn(gateway.app, PARENT);
    await browse(gateway.app, citizen);
    const cookie = (await citizen.get('/me').expect(200)).headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    const server = await listen(gateway.app);
    const ask = async (path: string, init: RequestInit = {}): Promise<Answer> => {
      const sentAt = Date.now();
      try {
        const res = await fetch(`${server.url}${path}`, {
          redirect: 'manual',
          // A hang fails the test; the bound asserted is the promotion, below.
          signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS * 10),
          ...init,
        });
        const text = await res.text();
        const type = res.headers.get('content-type') ?? '';
        const waited = Date.now() - sentAt;
        return { status: res.status, type, retryAfter: res.headers.get('retry-after'), text, waited };
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
        return { status: 'aborted', type: '', retryAfter: null, text: '', waited: Date.now() - sentAt };
      }
    };
    const page = { Accept: 'text/html', Cookie: cookie };
    try {
      const masterPort = await group.masterPort();
      const asleep = redisCommand(masterPort, ['DEBUG', 'SLEEP', '2']).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const leaving = new AbortController();
      const inFlight = [
        ask('/me', { headers: page }),
        ask('/services?q=anagrafe', { headers: page }),
        // A body's system with a made-up credential: its rate limit and credential wait on Redis.
        ask('/api/v1/body', { headers: { Authorization: 'Bearer forged.credential' } }),
        // A form posted without its token, and a logout: both read the session first.
        ask('/logout', {
          method: 'POST',
          headers: { ...page, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: '_csrf=forged',
        }),
        // A visitor who gives up while waiting: nothing must break when the answer has nowhere to go.
        ask('/me', { headers: page, signal: leaving.signal }),
      ];
      await new Promise((resolve) => setTimeout(resolve, 150));
      leaving.abort();
      const promoted = group.failover().then(() => Date.now());
      const answers = await Promise.all(inFlight);
      const answeredAt = Date.now();
      const promotedAt = await promoted;
      await asleep;

      const [me, search, api, logout, gaveUp] = answers as [Answer, Answer, Answer, Answer, Answer];
      for (const answer of [me, search, logout]) {
        expect(answer.status).to.equal(503);
        expect(answer.retryAfter).to.equal('30');
        expect(answer.type).to.match(/^text\/html/);
      }
      expect(api.status).to.equal(503);
      expect(api.type).to.match(/^application\/problem\+json/);
      expect(JSON.parse(api.text)).to.include({ code: 'redis_unavailable' });
      expect(gaveUp.status).to.equal('aborted');
      // Answered before the replica was promoted, not held by the client until a master answered: within
      // the command timeout, with a margin for a machine under heavy load (2.3 s seen at a load of 30 on
      // 2 cores). Held, they waited 2.4 to 4.3 s here.
      expect(answeredAt).to.be.below(promotedAt);
      for (const answer of answers) expect(answer.waited).to.be.below(COMMAND_TIMEOUT_MS * 3);
    } finally {
      await server.close();
    }

    await eventually(async () =>
      (await request(gateway.app).get('/ready')).status === 200 ? true : undefined,
    );
    // The held commands reached the new master and their handlers finished: the gateway is still whole,
    // the citizen still logged in, and a new case is filed and delivered (a delivery queue first used
    // while the master was frozen is made again once Redis serves). Waited for: the client may still
    // settle on the new topology for a moment (a 503 then, never a 500).
    await eventually(async () => {
      const me = await citizen.get('/me');
      expect(me.status).to.be.oneOf([200, 503]);
      return me.status === 200 ? true : undefined;
    });
    await browse(gateway.app, citizen);
    await fileAndDeliver(gateway, citizen, procedure);
  });
});
