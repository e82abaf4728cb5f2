import { expect } from 'chai';
import { Router, type Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { errorSender } from '../../src/platform/error-handler.ts';
import { redisDeadline } from '../../src/platform/redis-deadline.ts';
import { renderPage } from '../../src/platform/views.ts';
import { routeApp } from '../helpers/route-app.ts';

const TIMEOUT_MS = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The per-request deadline (src/platform/redis-deadline.ts) on a small app whose handlers wait on a
 * promise the test settles, as a handler waits on a Redis reply held through a failover; `silentSince`
 * stands for the stall watch's probes (RedisConnection.answeredSince).
 */
describe('a request waiting on a silent Redis (redisDeadline)', () => {
  let silentSince: number;
  let release: () => void;
  let held: Promise<void>;
  let lateOutcome: Promise<unknown>;
  let app: Express;
  /** What the error handler logged (the request's logger). */
  let logged: Array<{ level: number; msg: string }>;

  /** Waits until the error handler has logged `msg`. */
  async function loggedLine(msg: string) {
    for (let i = 0; i < 100 && !logged.some((line) => line.msg === msg); i++) await sleep(10);
    return logged.find((line) => line.msg === msg);
  }

  beforeEach(async () => {
    silentSince = Number.POSITIVE_INFINITY;
    held = new Promise((resolve) => (release = resolve));
    let settleLate: (value: unknown) => void = () => undefined;
    lateOutcome = new Promise((resolve) => (settleLate = resolve));
    logged = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const waiting = Router();
    // Each handler, once the held reply comes, answers in its own way: after the deadline's 503 none of
    // these may throw out of reach (a view rendered on the next tick would be an uncaught exception) or
    // reach the client.
    waiting.get('/page', async (req, res) => {
      await held;
      renderPage(req, res, 'errors/error', { status: 200, heading: 'late', message: 'late', requestId: 'x' });
      setTimeout(() => settleLate('rendered'), 20);
    });
    waiting.get('/redirect', async (_req, res) => {
      await held;
      res.cookie('late', '1');
      res.redirect(303, '/done');
    });
    waiting.get('/api/v1/thing', async (_req, res) => {
      await held;
      res.json({ late: true });
    });
    waiting.get('/slow-but-served', async (_req, res) => {
      await sleep(TIMEOUT_MS * 3);
      res.type('text').send('served');
    });
    const deadline = Router();
    deadline.use((req, _res, next) => {
      req.log = logger;
      next();
    });
    deadline.use(
      redisDeadline({
        answeredSince: (since) => since < silentSince,
        timeoutMs: TIMEOUT_MS,
        answer: errorSender('/api/'),
      }),
    );
    app = await routeApp([deadline, waiting]);
  });
  afterEach(() => release());

  it('answers the page 503 with Retry-After once Redis has been silent for the timeout, and drops the late answer', async () => {
    silentSince = Date.now();
    const startedAt = Date.now();
    const answer = await request(app).get('/page').set('Accept', 'text/html').expect(503);
    expect(Date.now() - startedAt).to.be.below(TIMEOUT_MS * 10);
    expect(answer.headers['retry-after']).to.equal('30');
    expect(answer.headers['content-type']).to.match(/^text\/html/);
    expect(answer.text).not.to.include('late');
    release();
    expect(await lateOutcome).to.equal('rendered');
  });

  it('answers problem+json under /api, and drops the late JSON quietly', async () => {
    silentSince = Date.now();
    const answer = await request(app).get('/api/v1/thing').expect(503);
    expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(answer.body).to.include({ status: 503, code: 'redis_unavailable' });
    release();
    expect(await loggedLine('late answer dropped')).to.include({ level: 20 });
    expect(logged.filter((line) => line.level >= 50)).to.deep.equal([]);
  });

  it('sets none of the cookies and follows none of the redirects the late handler asks for', async () => {
    silentSince = Date.now();
    const answer = await request(app).get('/redirect').expect(503);
    expect(answer.headers['set-cookie']).to.equal(undefined);
    expect(answer.headers.location).to.equal(undefined);
    release();
    // Node refuses the late cookie's header: the handler stops there and the error handler drops it.
    expect(await loggedLine('late answer dropped')).to.include({ level: 20 });
    expect(logged.filter((line) => line.level >= 50)).to.deep.equal([]);
  });

  it('leaves a request alone while Redis answers, however slow the request', async () => {
    silentSince = Number.POSITIVE_INFINITY;
    const answer = await request(app).get('/slow-but-served').expect(200);
    expect(answer.text).to.equal('served');
  });

  it('answers 503 when Redis goes silent while a slow request is still running', async () => {
    setTimeout(() => (silentSince = Date.now()), TIMEOUT_MS);
    await request(app).get('/page').expect(503);
  });

  it('answers as usual when the held reply comes before the deadline', async () => {
    silentSince = Date.now();
    setTimeout(() => release(), TIMEOUT_MS / 3);
    const answer = await request(app).get('/page').expect(200);
    expect(answer.text).to.include('late');
  });
});
