import { expect } from 'chai';
import request from 'supertest';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { listen } from '../helpers/gateway.ts';
import { browse, fileAndDeliver, logIn, startTopologyGateway, type Agent } from '../helpers/journeys.ts';
import { eventually } from '../helpers/procedures.ts';
import {
  redisCommand,
  startTestCluster,
  type TestCluster,
  TEST_PORT_OFFSET,
} from '../helpers/redis-topology.ts';
import { spawnServer, serverEnvironment } from '../helpers/server-process.ts';

const BASE_PORT = 7110 + TEST_PORT_OFFSET;
const COMMAND_TIMEOUT_MS = 1000;

/**
 * A real Redis Cluster (three masters with a replica each, `cluster-node-timeout` 1 s, append-only
 * file) under the gateway with its delivery workers: the journeys work; a shard lost (master and
 * replica) gives 503s, never a 500 or a hang, and once it is back everything resumes, deliveries
 * included; a master lost alone is replaced by its replica; SIGTERM ends the server within its bound
 * while a shard is down.
 */
describe('Redis Cluster: a master lost (a real cluster)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let gateway: Awaited<ReturnType<typeof startTopologyGateway>>;
  let procedure: Procedure;

  before(async () => {
    cluster = await startTestCluster(BASE_PORT, { nodeTimeoutMs: 1000 });
    gateway = await startTopologyGateway({ cluster: { nodes: cluster.urls } }, COMMAND_TIMEOUT_MS);
    procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
  });
  after(async () => {
    try {
      await gateway?.stop();
    } finally {
      await cluster?.dispose();
    }
  });

  /** Statuses of requests sent every 100 ms while `during` runs; a request that hangs fails the test. */
  async function underLoad(agent: Agent, during: () => Promise<void>): Promise<number[]> {
    const cookie = (await agent.get('/me')).headers['set-cookie']?.[0]?.split(';')[0];
    const server = await listen(gateway.app);
    const statuses: number[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        for (const path of ['/me', '/services?q=anagrafe', '/']) {
          const res = await fetch(`${server.url}${path}`, {
            headers: { Accept: 'text/html', ...(cookie ? { Cookie: cookie } : {}) },
            redirect: 'manual',
            signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS * 4),
          });
          statuses.push(res.status);
          await res.arrayBuffer();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await during();
    } finally {
      running = false;
      await load.finally(() => server.close());
    }
    return statuses;
  }

  it("spreads the catalog over the masters, each body's keys in one slot", async () => {
    const { repository } = gateway.deps.catalog;
    const prefix = gateway.config.redis.prefix;
    const masters = (await cluster.topology()).filter((n) => n.role === 'master').map((n) => n.port);
    const held = await Promise.all(
      masters.map(async (port) => ({
        port,
        keys: (await redisCommand(port, ['KEYS', `${prefix}catalog:*`])) as string[],
      })),
    );
    const holding = held.filter((m) => m.keys.some((key) => key.includes('{b:')));
    expect(holding.length, 'masters holding bodies').to.be.at.least(2);
    // The network's keys are few: the version, the change log and the indexes.
    const network = held.flatMap((m) => m.keys).filter((key) => key.includes('{catalog}'));
    expect(network.length).to.be.at.most(5);

    const slot = async (key: string) => Number(await redisCommand(masters[0]!, ['CLUSTER', 'KEYSLOT', key]));
    const slots = new Set<number>();
    for (const body of await repository.listBodies()) {
      const services = (await repository.listServices()).filter((s) => s.bodyId === body.ipaCode);
      const keys = [
        repository.keys.body(body.ipaCode),
        repository.keys.services(body.ipaCode),
        repository.keys.endpoints(body.ipaCode),
        repository.keys.unpublished(body.ipaCode),
        repository.keys.audit(body.ipaCode),
        ...services.map((s) => repository.keys.service(body.ipaCode, s.id)),
      ];
      const own = new Set(await Promise.all(keys.map(slot)));
      expect(own.size, `${body.ipaCode}'s slots`).to.equal(1);
      slots.add([...own][0]!);
    }
    expect(slots.size).to.be.at.least(10);
    // A change published while the catalog spans the masters is seen by the index at once.
    const before = await repository.version();
    const [body] = await repository.listBodies();
    await gateway.deps.catalog.writer.setBodyStatus(
      { kind: 'system', id: 'test' },
      body!.ipaCode,
      body!.status === 'approved' ? 'suspended' : 'approved',
    );
    expect(await repository.version()).to.equal(before + 1);
    expect((await gateway.deps.catalog.index.body(body!.ipaCode))?.status).to.not.equal(body!.status);
    await gateway.deps.catalog.writer.setBodyStatus(
      { kind: 'system', id: 'test' },
      body!.ipaCode,
      body!.status,
    );
  });

  it('carries the journeys; a shard lost gives 503s only, and everything resumes when it is back', async () => {
    const citizen = await logIn(gateway.app);
    await browse(gateway.app, citizen);
    await fileAndDeliver(gateway, citizen, procedure);

    const { port: masterPort } = (await cluster.topology()).find((node) => node.role === 'master')!;
    const replicaPort = (await cluster.topology()).find((node) => node.masterPort === masterPort)!.port;
    const statuses = await underLoad(citizen, async () => {
      await cluster.process(replicaPort).kill('SIGKILL');
      await cluster.process(masterPort).kill('SIGKILL');
      await eventually(async () => ((await cluster.healthy()) ? undefined : true));
      await new Promise((resolve) => setTimeout(resolve, 3000)); // a shard down for a while
      await cluster.process(masterPort).start();
      await cluster.process(replicaPort).start();
      await cluster.waitHealthy();
      await cluster.waitReplicasInSync();
    });
    expect(statuses.filter((status) => ![200, 503].includes(status))).to.deep.equal([]);
    expect(statuses).to.include(503);

    await eventually(async () =>
      (await request(gateway.app).get('/ready')).status === 200 ? true : undefined,
    );
    await browse(gateway.app, citizen);
    await fileAndDeliver(gateway, citizen, procedure);
  });

  it('keeps serving when a master is lost alone and its replica takes over', async () => {
    const citizen = await logIn(gateway.app, 'BNCLCU85M10G999Z');
    const { port: masterPort } = (await cluster.topology()).find((node) => node.role === 'master')!;
    const replicaPort = (await cluster.topology()).find((node) => node.masterPort === masterPort)!.port;
    try {
      const statuses = await underLoad(citizen, async () => {
        await cluster.process(masterPort).kill('SIGKILL');
        await eventually(async () => {
          const promoted = (await cluster.topology(replicaPort)).find((node) => node.port === replicaPort);
          return promoted?.role === 'master' && (await cluster.healthy()) ? true : undefined;
        }, 30_000);
      });
      expect(statuses.filter((status) => ![200, 503].includes(status))).to.deep.equal([]);
      await eventually(async () =>
        (await request(gateway.app).get('/ready')).status === 200 ? true : undefined,
      );
      // /ready writes one key: the client learns the other slots' new master as it meets them, each
      // with a 503 at most. The journeys work again by themselves, without a restart.
      await eventually(
        () =>
          browse(gateway.app, citizen).then(
            () => true,
            () => undefined,
          ),
        30_000,
      );
      await fileAndDeliver(gateway, citizen, procedure);
    } finally {
      await cluster.process(masterPort).start(); // back as a replica
      await cluster.waitHealthy();
      await cluster.waitReplicasInSync();
    }
  });

  it('ends the server on SIGTERM within its bound while a shard is down', async () => {
    const env = await serverEnvironment({
      REDIS_CLUSTER_NODES: cluster.urls.join(','),
      REDIS_COMMAND_TIMEOUT_MS: '1000',
      SHUTDOWN_GRACE_MS: '2000',
    });
    delete env.REDIS_URL; // a Cluster instead
    const server = spawnServer(env);
    await server.ready();
    const topology = await cluster.topology();
    const master = topology.find((node) => node.role === 'master')!.port;
    const replica = topology.find((node) => node.masterPort === master)!.port;
    await cluster.process(replica).kill('SIGKILL');
    await cluster.process(master).kill('SIGKILL');
    try {
      await eventually(async () => ((await cluster.healthy()) ? undefined : true));
      server.child.kill('SIGTERM');
      // The bound is 2 × SHUTDOWN_GRACE_MS (requests, then connections); a hang fails here.
      const exit = await Promise.race([
        server.exited,
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000)),
      ]);
      if (exit === 'hung') server.child.kill('SIGKILL');
      expect(exit).to.not.equal('hung');
      expect(server.logs().map((line) => line.msg)).to.include('shutting down');
    } finally {
      await cluster.process(master).start();
      await cluster.process(replica).start();
      await cluster.waitHealthy();
      await cluster.waitReplicasInSync();
    }
  });
});
