import { expect } from 'chai';
import request from 'supertest';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { listen } from '../helpers/gateway.ts';
import { browse, fileAndDeliver, logIn, startTopologyGateway } from '../helpers/journeys.ts';
import { eventually } from '../helpers/procedures.ts';
import { startSentinelGroup, type SentinelGroup, TEST_PORT_OFFSET } from '../helpers/redis-topology.ts';

const BASE_PORT = 7100 + TEST_PORT_OFFSET;
const COMMAND_TIMEOUT_MS = 1000;

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
            // A hang fails the test. The bound is the promotion's, not the command timeout: a request
            // already waiting on the master when it dies is held by the client until the promotion
            // (docs/operations.md, "When Redis fails"); later ones get their 503 at once.
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
