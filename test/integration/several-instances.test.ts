import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import {
  createTestGateway,
  csrfTokenFrom,
  listen,
  testConfig,
  type TestGateway,
} from '../helpers/gateway.ts';

const FORMS_LIMIT = 4;
const LOGIN_LIMIT = 3;

interface Instance {
  gateway: TestGateway;
  url: string;
  close(): Promise<void>;
}

/** A browser's cookie jar, shared by both instances (as behind a load balancer). */
function browser() {
  let cookie = '';
  const remember = (res: request.Response) => {
    const set = res.headers['set-cookie'] as unknown as string[] | undefined;
    const sid = set?.find((c) => c.startsWith('varco.sid='));
    if (sid) cookie = sid.split(';')[0]!;
    return res;
  };
  return {
    get: (instance: Instance, path: string) =>
      request(instance.url).get(path).set('Cookie', cookie).then(remember),
    post: (instance: Instance, path: string, form: Record<string, string>) =>
      request(instance.url).post(path).set('Cookie', cookie).type('form').send(form).then(remember),
  };
}

describe('two gateway instances on one Redis', () => {
  let a: Instance;
  let b: Instance;

  beforeEach(async () => {
    // One configuration (same key prefix, same session secret), two separate dependency graphs.
    const config = testConfig({
      rateLimit: {
        forms: { windowSeconds: 60, max: FORMS_LIMIT },
        login: { windowSeconds: 60, max: LOGIN_LIMIT },
      },
    });
    const start = async (): Promise<Instance> => {
      const gateway = await createTestGateway({}, config);
      const server = await listen(gateway.app);
      return { gateway, url: server.url, close: () => server.close().then(() => gateway.close()) };
    };
    a = await start();
    b = await start();
    expect(a.gateway.deps).not.to.equal(b.gateway.deps);
    expect(a.url).not.to.equal(b.url);
  });

  afterEach(async () => {
    await b.close();
    await a.close();
  });

  it('honours on one instance a session created through the other', async () => {
    const citizen = browser();
    await citizen.get(a, '/__test/login');
    const page = await citizen.get(b, '/me');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('RSSMRA80A01H501U');
  });

  it('ends a session on both instances when it is ended through one', async () => {
    const laptop = browser();
    const phone = browser();
    await laptop.get(a, '/__test/login');
    await phone.get(b, '/__test/login');
    for (const instance of [a, b]) {
      expect((await phone.get(instance, '/me')).status).to.equal(200);
    }

    // The laptop, served by A, ends the phone's session (the row that is not "this session").
    const me = await laptop.get(a, '/me');
    const $ = cheerio.load(me.text);
    const rows = $('#sessions tbody tr');
    expect(rows).to.have.length(2);
    const other = rows.filter((_, row) => $(row).find('.badge').length === 0);
    expect(other).to.have.length(1);
    const action = other.find('form').attr('action')!;
    const ended = await laptop.post(a, action, { _csrf: csrfTokenFrom(me.text) });
    expect(ended.status).to.equal(303);
    for (const instance of [a, b]) {
      const res = await phone.get(instance, '/me');
      expect(res.status, `phone on ${instance.url}`).to.equal(303);
      expect(res.headers.location).to.equal('/login');
    }

    // "End all", through B, ends the laptop's own session on A too.
    await phone.get(a, '/__test/login');
    const onB = await laptop.get(b, '/me');
    const endAll = cheerio.load(onB.text)('form[action="/me/sessions/end-all"]');
    expect(endAll).to.have.length(1);
    const all = await laptop.post(b, '/me/sessions/end-all', {
      _csrf: endAll.find('input[name="_csrf"]').val() as string,
    });
    expect(all.status).to.equal(303);
    for (const instance of [a, b]) {
      expect((await laptop.get(instance, '/me')).status).to.equal(303);
      expect((await phone.get(instance, '/me')).status).to.equal(303);
    }
    expect(await a.gateway.deps.citizen.sessions.list('RSSMRA80A01H501U')).to.deep.equal([]);
  });

  it('counts a forms rate limit across both instances', async () => {
    const citizen = browser();
    await citizen.get(a, '/__test/login');
    const token = csrfTokenFrom((await citizen.get(b, '/me')).text);
    const statuses: number[] = [];
    for (let i = 0; i <= FORMS_LIMIT; i++) {
      const instance = i % 2 === 0 ? a : b;
      statuses.push(
        (await citizen.post(instance, '/me/sessions/no-such-handle/end', { _csrf: token })).status,
      );
    }
    expect(statuses).to.deep.equal([...Array<number>(FORMS_LIMIT).fill(404), 429]);
    // Still limited on both.
    expect((await citizen.post(a, '/me/sessions/no-such-handle/end', { _csrf: token })).status).to.equal(429);
    expect((await citizen.post(b, '/me/sessions/no-such-handle/end', { _csrf: token })).status).to.equal(429);
  });

  it('counts the login rate limit across both instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_LIMIT; i++) {
      const instance = i % 2 === 0 ? b : a;
      statuses.push(
        (await request(instance.url).get('/spid/login?idp=https%3A%2F%2Funknown.invalid')).status,
      );
    }
    expect(statuses.slice(0, LOGIN_LIMIT)).to.not.include(429);
    expect(statuses[LOGIN_LIMIT]).to.equal(429);
  });
});
