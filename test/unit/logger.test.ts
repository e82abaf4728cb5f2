import { Writable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger, redactFiscalCodes, scrub } from '../../src/platform/logger.ts';
import { requestLogging } from '../../src/platform/request-logging.ts';

const FISCAL_CODE = 'RSSMRA80A01H501U';
const OMOCODE = 'RSSMRA80A01H50MU'; // the same code with omocodia substitution in the last digits

/** A logger that writes to memory; returns the parsed lines. */
function memoryLogger(level = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger(level, sink);
  return {
    logger,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    raw: () => lines.join('\n'),
  };
}

describe('logger redaction', () => {
  it('redacts cookies, authorization headers and Set-Cookie of logged requests and responses', () => {
    const { logger, records, raw } = memoryLogger();
    logger.info({
      req: { headers: { cookie: 'varco.sid=s%3Asecret-session', authorization: 'Bearer eyJhbGciOi.secret' } },
      res: { headers: { 'set-cookie': ['varco.sid=s%3Anew-secret; HttpOnly'] } },
    });
    const [record] = records();
    expect(record).to.have.nested.property('req.headers.cookie', '[redacted]');
    expect(record).to.have.nested.property('req.headers.authorization', '[redacted]');
    expect(record).to.have.nested.property('res.headers.set-cookie', '[redacted]');
    expect(raw()).not.to.contain('secret');
  });

  it('redacts fiscal codes and personal data at any of the first three levels', () => {
    const { logger, raw } = memoryLogger();
    logger.info({ fiscalCode: FISCAL_CODE });
    logger.info({
      citizen: { fiscalCode: FISCAL_CODE, name: 'Mario', familyName: 'Rossi', email: 'm@x.it' },
    });
    logger.info({ session: { citizen: { fiscalCode: FISCAL_CODE, dateOfBirth: '1980-01-01' } } });
    logger.info({ attributes: { fiscalNumber: `TINIT-${FISCAL_CODE}`, spidCode: 'ABCD123' } });
    const text = raw();
    expect(text).not.to.contain(FISCAL_CODE);
    expect(text).not.to.contain('Mario').and.not.to.contain('Rossi').and.not.to.contain('m@x.it');
    expect(text).not.to.contain('1980-01-01').and.not.to.contain('ABCD123');
    expect(text.match(/\[redacted\]/g)).to.have.length(9);
  });

  it('masks fiscal codes inside messages, also in omocode form and lower case', () => {
    const { logger, records } = memoryLogger();
    logger.warn(`login of ${FISCAL_CODE} refused`);
    logger.warn({ where: 'acs' }, `citizen ${OMOCODE.toLowerCase()} at level 2`);
    const [first, second] = records();
    expect(first?.msg).to.equal('login of [redacted] refused');
    expect(second?.msg).to.equal('citizen [redacted] at level 2');
  });

  it('masks fiscal codes in logged errors, message and stack', () => {
    const { logger, records, raw } = memoryLogger();
    logger.error({ err: new Error(`no citizen ${FISCAL_CODE}`) }, 'lookup failed');
    const [record] = records();
    expect(record).to.have.nested.property('err.message', 'no citizen [redacted]');
    expect(record).to.have.nested.property('err.type', 'Error');
    expect(raw()).not.to.contain(FISCAL_CODE);
  });

  it('masks fiscal codes in the request log line and in errors logged through req.log', async () => {
    const { logger, raw } = memoryLogger();
    const app = express();
    app.use(requestLogging(logger));
    app.get('/citizens/:code', () => {
      throw new Error(`unknown citizen ${FISCAL_CODE}`);
    });
    app.use((error: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
      req.log.error({ err: error }, 'failed');
      res.status(500).end();
    });
    await request(app).get(`/citizens/${FISCAL_CODE}?fiscalCode=${FISCAL_CODE}`).expect(500);
    const text = raw();
    expect(text).to.contain('/citizens/[redacted]').and.contain('unknown citizen [redacted]');
    expect(text).not.to.contain(FISCAL_CODE);
  });

  it('writes one line per request: id, method, path without the query, status, time; level by status', async () => {
    const { logger, records } = memoryLogger();
    const app = express();
    app.use(requestLogging(logger));
    app.get('/ok', (_req, res) => res.send('ok'));
    app.get('/missing', (_req, res) => res.status(404).send('no'));
    app.get('/broken', (_req, res) => res.status(503).send('down'));
    app.get('/quiet', (req, res) => res.json({ sameId: req.id === res.getHeader('X-Request-Id') }));
    const ok = await request(app).get('/ok?fiscalCode=x&token=y').set('X-Request-Id', 'support-ref-1234');
    expect(ok.headers['x-request-id']).to.equal('support-ref-1234');
    await request(app).get('/missing');
    await request(app).get('/broken');
    expect((await request(app).get('/quiet')).body).to.deep.equal({ sameId: true });
    await new Promise((resolve) => setImmediate(resolve));
    const lines = records();
    expect(lines.map((line) => [line.level, (line.req as { path: string }).path, line.msg])).to.deep.equal([
      [30, '/ok', 'request completed'],
      [40, '/missing', 'request completed'],
      [50, '/broken', 'request completed'],
      [30, '/quiet', 'request completed'],
    ]);
    expect(lines[0]).to.include({ service: 'varco' });
    expect(lines[0]?.req).to.deep.equal({ id: 'support-ref-1234', method: 'GET', path: '/ok' });
    expect(lines[0]?.res).to.deep.equal({ statusCode: 200 });
    expect(lines[0]?.responseTime).to.be.a('number').and.at.least(0);
    // A failed response's line is the same line at its own level, without an error of its own.
    expect(lines[2]).to.have.all.keys('level', 'time', 'service', 'req', 'res', 'responseTime', 'msg');
    expect((lines[1]?.req as { id: string }).id).to.match(/^[0-9a-f-]{36}$/);
  });

  it("logs the probes' successful GET /health and /ready at debug, a failed probe and anything else as usual", async () => {
    const { logger, records } = memoryLogger('debug');
    const app = express();
    app.use(requestLogging(logger));
    let ready = true;
    app.get('/health', (_req, res) => res.json({ status: 'ok' }));
    app.get('/ready', (_req, res) => res.status(ready ? 200 : 503).json({ ready }));
    app.post('/health', (_req, res) => res.send('posted'));
    app.get('/healthy', (_req, res) => res.send('a page'));
    await request(app).get('/health').expect(200);
    await request(app).get('/ready').expect(200);
    ready = false;
    await request(app).get('/ready').expect(503);
    await request(app).post('/health').expect(200);
    await request(app).get('/health?verbose=1').expect(200);
    await request(app).get('/healthy').expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = records().map((line) => [
      line.level,
      (line.req as { method: string }).method,
      (line.req as { path: string }).path,
    ]);
    expect(lines).to.deep.equal([
      [20, 'GET', '/health'],
      [20, 'GET', '/ready'],
      [50, 'GET', '/ready'],
      [30, 'POST', '/health'],
      [20, 'GET', '/health'],
      [30, 'GET', '/healthy'],
    ]);
  });

  it('says so when the client went away before the response was sent, and binds req.log to the request', async () => {
    const { logger, records } = memoryLogger();
    const app = express();
    app.use(requestLogging(logger));
    let served: () => void = () => undefined;
    const abandoned = new Promise<void>((resolve) => (served = resolve));
    app.get('/slow', (req, res) => {
      req.log.info({ step: 'started' }, 'slow page');
      res.once('close', () => served());
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const controller = new AbortController();
      const fetching = fetch(`http://127.0.0.1:${port}/slow`, { signal: controller.signal }).catch(
        () => null,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort();
      await fetching;
      await abandoned;
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      server.close();
    }
    const [own, line] = records();
    expect(own).to.include({ msg: 'slow page', step: 'started' });
    expect(own?.req).to.include({ method: 'GET', path: '/slow' });
    expect(line).to.include({ msg: 'request aborted' });
    expect((line?.req as { id: string }).id).to.equal((own?.req as { id: string }).id);
  });

  it('redacts SAML messages and OAuth/OIDC tokens', () => {
    const { logger, raw } = memoryLogger();
    logger.info({ body: { SAMLResponse: 'PHNhbWxwOlJlc3BvbnNl', RelayState: 'r1' } });
    logger.info({ SAMLRequest: 'fZJNT8MwDIbv' });
    logger.info({
      tokens: { access_token: 'at-1', id_token: 'it-1', refresh_token: 'rt-1' },
      client: { client_secret: 'cs-1' },
      query: { code: 'authz-code-1', state: 's1' },
    });
    logger.info({ token: 'tok-1', csrfToken: 'csrf-1', oidc: { idToken: 'it-2', accessToken: 'at-2' } });
    const text = raw();
    for (const secret of [
      'PHNhbWxw',
      'fZJNT8Mw',
      'at-1',
      'it-1',
      'rt-1',
      'cs-1',
      'authz-code-1',
      'tok-1',
      'csrf-1',
      'it-2',
      'at-2',
    ]) {
      expect(text).not.to.contain(secret);
    }
    expect(text).to.contain('"RelayState":"r1"').and.contain('"state":"s1"');
  });

  it('keeps what operators need: error codes, request ids, paths', () => {
    const { logger, records } = memoryLogger();
    logger.warn(
      { code: 'csrf_invalid', req: { id: 'abc12345', method: 'POST', path: '/logout' } },
      'request rejected',
    );
    const [record] = records();
    expect(record).to.include({ code: 'csrf_invalid', msg: 'request rejected' });
    expect(record).to.have.nested.property('req.path', '/logout');
  });

  it('redacts in child-logger bindings, arrays, deeper levels and the extra fields of errors', () => {
    const { logger, raw, records } = memoryLogger();
    logger.child({ citizen: { fiscalCode: FISCAL_CODE } }).info('bound');
    logger.info({ delivery: { parts: [{ payload: { child: { fiscalCode: FISCAL_CODE } } }] } });
    const error = Object.assign(new Error('rejected'), { details: { email: 'm@x.it' }, code: 'E_BODY' });
    logger.error({ err: error }, 'delivery failed');
    const text = raw();
    expect(text).not.to.contain(FISCAL_CODE).and.not.to.contain('m@x.it');
    const [, , failed] = records();
    expect(failed).to.have.nested.property('err.details.email', '[redacted]');
    expect(failed).to.have.nested.property('err.code', 'E_BODY');
    expect(failed).to.have.nested.property('err.message', 'rejected');
    logger.warn({ cause: new Error(`citizen ${FISCAL_CODE}`) }, 'nested error');
    expect(records()[3]).to.have.nested.property('cause.message', 'citizen [redacted]');
    expect(raw()).not.to.contain(FISCAL_CODE);
  });

  it('never changes the object it was given, and copies only what it redacts', () => {
    const shared = { path: '/me', list: [1, 2] };
    const input = { citizen: { fiscalCode: FISCAL_CODE, name: 'Mario' }, shared, headers: { cookie: 'c=1' } };
    const before = structuredClone(input);
    const output = scrub(input);
    expect(input).to.deep.equal(before);
    expect(output.citizen).to.deep.equal({ fiscalCode: '[redacted]', name: '[redacted]' });
    expect(output.headers.cookie).to.equal('[redacted]');
    expect(output.shared).to.equal(shared);
    const clean = { req: { id: 'abc12345', method: 'GET', path: '/' } };
    expect(scrub(clean)).to.equal(clean);
  });

  it('leaves requests, buffers and self-serializing values to their own serializers, and survives cycles', () => {
    const { logger, records } = memoryLogger();
    const cyclic: Record<string, unknown> = { name: 'Mario' };
    cyclic.self = cyclic;
    const app = express();
    let logged = false;
    app.get('/', (req, res) => {
      expect(scrub({ req }).req).to.equal(req);
      logged = true;
      res.end();
    });
    logger.info({ at: new Date(0), bytes: Buffer.from('x'), tree: cyclic }, 'values');
    const [record] = records();
    expect(record).to.have.property('at', '1970-01-01T00:00:00.000Z');
    expect(record).to.have.nested.property('tree.name', '[redacted]');
    return request(app)
      .get('/')
      .expect(200)
      .then(() => expect(logged).to.equal(true));
  });

  it('redactFiscalCodes leaves other text alone', () => {
    expect(redactFiscalCodes('/me/sessions/abc/end')).to.equal('/me/sessions/abc/end');
    expect(redactFiscalCodes(`/admin/citizens/${FISCAL_CODE}/sessions`)).to.equal(
      '/admin/citizens/[redacted]/sessions',
    );
  });
});

describe('the log destination', () => {
  const run = promisify(execFile);
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'varco-log-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs a script that logs one line through logDestination into a file, then ends as `ending` says. */
  async function logThenEnd(ending: string): Promise<string> {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.log`);
    const logger = new URL('../../src/platform/logger.ts', import.meta.url).href;
    const script = `
      const { createLogger, logDestination } = await import(${JSON.stringify(logger)});
      const log = createLogger('info', logDestination(${JSON.stringify(file)}));
      log.info({ step: 1 }, 'waiting in the buffer');
      ${ending}`;
    await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]).catch(
      (error: { code?: number }) => {
        if (error.code === undefined) throw error;
      },
    );
    return readFile(file, 'utf8');
  }

  it('writes the lines still waiting when the process exits, ends by an error or just stops', async () => {
    const endings = ['process.exit(3);', "throw new Error('boom');", ''];
    // Three processes at once: each spends most of its time starting tsx.
    for (const written of await Promise.all(endings.map(logThenEnd)))
      expect(written).to.contain('"msg":"waiting in the buffer"');
  });

  it('writes a waiting line within a second, not at once: one write per 4 kB, not per line', async () => {
    const kill = "process.kill(process.pid, 'SIGKILL');";
    const [atOnce, later] = await Promise.all([
      logThenEnd(kill),
      logThenEnd(`await new Promise((resolve) => setTimeout(resolve, 1500)); ${kill}`),
    ]);
    expect(atOnce).to.equal('');
    expect(later).to.contain('"msg":"waiting in the buffer"');
  });
});
