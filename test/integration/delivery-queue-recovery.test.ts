import { expect } from 'chai';
import { createDeliveryQueues } from '../../src/procedures/delivery-queue.ts';
import { ServiceUnavailableError } from '../../src/platform/errors.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { testConfig } from '../helpers/gateway.ts';
import { eventually } from '../helpers/procedures.ts';
import { startTestRedisServer, type TestRedisServer } from '../helpers/redis-server.ts';

const ENDPOINT = { bodyIpa: 'c_g999', endpointId: 'stato-civile-nascite' };
const job = (caseId: string) => ({ caseId, stepId: 'birth', ...ENDPOINT });

/**
 * A delivery queue first used while Redis is away (a failover in progress, a restart) must serve once
 * Redis is back: BullMQ prepares a queue's connection once, when the queue is made, and a queue made
 * then failed every later operation with "Connection is closed." while its connection was ready again.
 */
describe('delivery queues first used while Redis is away', function () {
  this.timeout(60_000);
  let server: TestRedisServer;

  before(async () => {
    server = await startTestRedisServer();
  });
  after(async () => {
    await server?.dispose();
  });

  it('refuse with a 503 while it is away, then take the jobs once it is back', async () => {
    await server.kill('SIGKILL');
    const config = testConfig({ redis: { url: server.url, commandTimeoutMs: 500, connectTimeoutMs: 500 } });
    const queues = createDeliveryQueues(
      config.redis,
      config.procedures.delivery,
      [ENDPOINT],
      createLogger('silent'),
    );
    try {
      for (const caseId of ['CASE0000000000A1', 'CASE0000000000A2']) {
        const refused = await queues.enqueue([job(caseId)]).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refused).to.be.instanceOf(ServiceUnavailableError);
      }

      await server.start();
      await eventually(async () => {
        try {
          await queues.enqueue([job('CASE0000000000B1')]);
          return true;
        } catch (error) {
          if (!(error instanceof ServiceUnavailableError)) throw error;
          return undefined;
        }
      }, 20_000);
      expect((await queues.counts()).wait).to.equal(1);
    } finally {
      await queues.close(1000);
    }
  });

  it('makes again a worker that seems full but neither starts nor ends a delivery', async () => {
    const config = testConfig({
      redis: { url: server.url, commandTimeoutMs: 500 },
      procedures: { delivery: { concurrency: 1, timeoutMs: 300, supervisionMs: 200, lockMs: 1000 } },
    });
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    const queues = createDeliveryQueues(config.redis, config.procedures.delivery, [ENDPOINT], logger);
    const delivered: string[] = [];
    let first = true;
    queues.startWorkers(
      async (job) => {
        // The first delivery never ends (as one whose end the worker never heard of, its connection lost).
        if (first) {
          first = false;
          return new Promise<string>(() => undefined);
        }
        delivered.push(job.caseId);
        return 'delivered';
      },
      async () => undefined,
    );
    try {
      await queues.enqueue([job('CASE0000000000C1'), job('CASE0000000000C2')]);
      await eventually(async () => (delivered.includes('CASE0000000000C2') ? true : undefined), 20_000);
      expect(lines.some((line) => line.includes('delivery worker restarted'))).to.equal(true);
    } finally {
      await queues.close(500);
    }
  });
});
