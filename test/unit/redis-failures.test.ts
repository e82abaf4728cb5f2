import { expect } from 'chai';
import { ClientOfflineError, ErrorReply, MultiErrorReply, TimeoutError } from 'redis';
import { createLogThrottle, errorKey } from '../../src/platform/log-throttle.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { isRedisUnavailable } from '../../src/platform/redis.ts';
import { networkFailure } from '../../src/procedures/delivery.processor.ts';

const systemError = (code: string, syscall = 'read') =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -1 });

describe('Redis failures that mean "not now" (isRedisUnavailable)', () => {
  it('recognises the error replies of a failover, a full memory, a load, a busy script', () => {
    for (const reply of [
      "OOM command not allowed when used memory > 'maxmemory'.",
      "READONLY You can't write against a read only replica.",
      'CLUSTERDOWN The cluster is down',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script.',
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
      'NOREPLICAS Not enough good replicas to write.',
    ])
      expect(isRedisUnavailable(new ErrorReply(reply)), reply).to.equal(true);
  });

  it('recognises connection errors, timeouts, a dead node socket, and wrapped or transaction failures', () => {
    expect(isRedisUnavailable(new ClientOfflineError())).to.equal(true);
    expect(isRedisUnavailable(new TimeoutError())).to.equal(true);
    expect(isRedisUnavailable(systemError('ECONNRESET'))).to.equal(true);
    const wrapped = new Error('session store failed', { cause: new ErrorReply('OOM command not allowed') });
    expect(isRedisUnavailable(wrapped)).to.equal(true);
    const multi = new MultiErrorReply([new ErrorReply('OOM command not allowed')], [0]);
    expect(isRedisUnavailable(multi)).to.equal(true);
  });

  it('does not take a wrong command, a bug or an outbound request failing for Redis being away', () => {
    expect(isRedisUnavailable(new ErrorReply('ERR wrong number of arguments for command'))).to.equal(false);
    expect(
      isRedisUnavailable(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind')),
    ).to.equal(false);
    expect(isRedisUnavailable(new ErrorReply('NOSCRIPT No matching script'))).to.equal(false);
    expect(isRedisUnavailable(new TypeError('x is undefined'))).to.equal(false);
    expect(
      isRedisUnavailable(new TypeError('fetch failed', { cause: systemError('ECONNREFUSED', 'connect') })),
    ).to.equal(false);
    expect(isRedisUnavailable('OOM')).to.equal(false);
    expect(isRedisUnavailable(undefined)).to.equal(false);
  });
});

describe('repeated failures in the log (createLogThrottle)', () => {
  it('writes a kind of failure once per interval, then with the count of the repeats', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const throttle = createLogThrottle(logger, 50);
    const oom = new ErrorReply('OOM command not allowed');
    for (let i = 0; i < 100; i++)
      throttle.log('error', errorKey('worker', oom), { queue: 'q' }, 'worker error');
    throttle.log('warn', errorKey('worker', new ClientOfflineError()), {}, 'worker error');
    expect(lines.map((line) => [line.level, line.msg, line.repeated])).to.deep.equal([
      [50, 'worker error', undefined],
      [40, 'worker error', undefined],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    throttle.log('error', errorKey('worker', oom), { queue: 'q' }, 'worker error');
    expect(lines[2]).to.include({ msg: 'worker error', repeated: 99, queue: 'q' });
  });
});

describe('why a delivery could not reach its endpoint (networkFailure)', () => {
  it("names the system error fetch wraps, or a timeout, instead of the wrapper's TypeError", () => {
    expect(
      networkFailure(new TypeError('fetch failed', { cause: systemError('ECONNREFUSED', 'connect') })),
    ).to.equal('ECONNREFUSED');
    expect(
      networkFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ).to.equal('timeout');
    expect(networkFailure(new TypeError('fetch failed'))).to.equal('fetch failed');
  });
});
