import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { DEMO_RATED_SERVICE } from '../../src/demo/ratings-seed.ts';
import { createRatingStore } from '../../src/participation/ratings/ratings.repository.ts';
import type { SingleClient } from '../../src/platform/redis.ts';
import { createTestGateway, csrfTokenFrom, type TestGateway } from '../helpers/gateway.ts';
import { logIn, type Agent } from '../helpers/journeys.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const OTHER = 'VRDLGU75B02D612X';
const EDITOR = 'BNCGNN70C03G999Y';
const ADMIN = 'NRELNE66D44G999Z';
const SERVICE = 'prato-cambio-residenza';
const SYSTEM = { kind: 'system' as const, id: 'ratings-test' };

/** The rating links of the personal area's section. */
async function ratingLinks(agent: Agent): Promise<string[]> {
  const $ = cheerio.load((await agent.get('/me').expect(200)).text);
  return $('#ratings a[href^="/me/ratings/"]')
    .map((_, a) => $(a).attr('href'))
    .get();
}

/** Rates from the rating page: step 1 (stars, GET), step 2 (reasons and comment, POST with the token). */
async function rate(agent: Agent, path: string, stars: number, reasons: string[], comment = '') {
  const step1 = await agent.get(path).expect(200);
  expect(cheerio.load(step1.text)('fieldset legend').first().text()).to.not.equal('');
  const step2 = await agent.get(`${path}?stars=${stars}`).expect(200);
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfTokenFrom(step2.text), stars: String(stars), reasons, comment });
}

/** The cookies an answer set (the anonymous visitor's form-token cookie). */
const cookiesOf = (answer: request.Response): string[] =>
  ([] as string[]).concat(answer.headers['set-cookie'] ?? []);

async function ratingValues(gateway: TestGateway): Promise<string[]> {
  const client = gateway.redis.client as SingleClient;
  const values: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${gateway.config.redis.prefix}ratings:*` }))
    for (const key of keys)
      values.push(
        key,
        (await client.type(key)) === 'string'
          ? ((await client.get(key)) ?? '')
          : JSON.stringify(await client.hGetAll(key).catch(() => ({}))),
      );
  return values;
}

describe('ratings of services', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({
      registry: { admins: [ADMIN] },
      rateLimit: { forms: { windowSeconds: 60, max: 10_000 } },
      participation: { ratings: { sheetPerPage: { windowSeconds: 60, max: 1000 } } },
    });
    await gateway.deps.catalog.writer.setEditors(SYSTEM, 'c_g999', [EDITOR]);
  });
  after(() => gateway.close());

  describe('a deep link followed, then rated from the personal area', () => {
    let agent: Agent;
    let path: string;

    before(async () => {
      agent = await logIn(gateway.app, CITIZEN);
      expect(await ratingLinks(agent)).to.deep.equal([]);
      await agent.get(`/go/${SERVICE}`).expect(303);
      // The same service the same day is one use, however often the link is followed.
      await agent.get(`/go/${SERVICE}`).expect(303);
      const links = await ratingLinks(agent);
      expect(links).to.have.length(1);
      path = links[0]!;
    });

    it('rates the use, stores it without the citizen, and shows it can be changed', async () => {
      const answer = await rate(
        agent,
        path,
        5,
        ['clear', 'noProblems'],
        'Tutto ok, scrivetemi a mario@example.it',
      );
      expect(answer.status).to.equal(303);
      expect(answer.headers.location).to.equal(`${path}?saved=1`);
      const saved = cheerio.load((await agent.get(answer.headers.location!).expect(200)).text);
      expect(saved('[role="status"]').text()).to.contain('Grazie');

      const summary = await gateway.deps.participation.ratings.store.summary({
        kind: 'service',
        id: SERVICE,
        body: 'c_g999',
      });
      expect(summary.count).to.equal(1);
      expect(summary.distribution).to.deep.equal([0, 0, 0, 0, 1]);
      expect(summary.reasons).to.deep.equal({ 'good:clear': 1, 'good:noProblems': 1 });

      const stored = await ratingValues(gateway);
      const all = stored.join('\n');
      expect(all).to.contain('[e-mail]');
      expect(all).to.not.contain('mario@example.it');
      for (const secret of [CITIZEN, gateway.deps.citizen.ref(CITIZEN), path.split('/').pop()!])
        expect(all).to.not.contain(secret);
    });

    it('changes the rating: the counters move, the count stays one', async () => {
      const answer = await rate(agent, path, 2, ['technicalProblems']);
      expect(answer.status).to.equal(303);
      const summary = await gateway.deps.participation.ratings.store.summary({
        kind: 'service',
        id: SERVICE,
        body: 'c_g999',
      });
      expect(summary.count).to.equal(1);
      expect(summary.distribution).to.deep.equal([0, 1, 0, 0, 0]);
      expect(summary.reasons).to.deep.equal({ 'bad:technicalProblems': 1 });
      const page = cheerio.load((await agent.get(path).expect(200)).text);
      expect(page('input[name="stars"]').val()).to.equal('2');
      expect(page('#reason-technicalProblems').attr('checked')).to.not.equal(undefined);
    });

    it('refuses hostile answers with 422 and changes nothing', async () => {
      const html = (await agent.get(`${path}?stars=4`).expect(200)).text;
      const _csrf = csrfTokenFrom(html);
      const before = await ratingValues(gateway);
      const hostile = [
        { stars: '9' },
        { stars: '0' },
        { stars: '4', reasons: ['unclear'] },
        { stars: '4', reasons: ['drop table'] },
        { stars: '4', comment: 'x'.repeat(201) },
        { stars: '4', extra: 'field' },
      ];
      for (const fields of hostile) {
        const answer = await agent
          .post(path)
          .type('form')
          .send({ _csrf, ...fields });
        expect(answer.status, JSON.stringify(fields).slice(0, 60)).to.equal(422);
        expect(cheerio.load(answer.text)('[role="alert"]').text()).to.not.equal('');
      }
      expect(await ratingValues(gateway)).to.deep.equal(before);
      await agent.get(`${path}?stars=7`).expect(400);
    });

    it('refuses a post without its form token (403)', async () => {
      await agent.post(path).type('form').send({ stars: '4' }).expect(403);
    });

    it("keeps one citizen's uses from another: 404 to read or rate them", async () => {
      const other = await logIn(gateway.app, OTHER);
      await other.get(path).expect(404);
      const html = (await other.get('/me').expect(200)).text;
      await other
        .post(path)
        .type('form')
        .send({ _csrf: csrfTokenFrom(html), stars: '1' })
        .expect(404);
      await other.get('/me/ratings/not-a-use-id').expect(404);
      await request(gateway.app).get(path).expect(303);
    });

    it('closes a use after its days: 410 to show or rate it, and it leaves the personal area', async () => {
      const client = gateway.redis.client as SingleClient;
      const useId = path.split('/').pop()!;
      const [key] = await client.keys(`${gateway.config.redis.prefix}citizen:*:rating-use:${useId}`);
      const html = (await agent.get(`${path}?stars=3`).expect(200)).text;
      await client.hSet(key!, 'closesAt', String(Date.now() - 1000));
      const page = await agent.get(path).expect(410);
      expect(cheerio.load(page.text)('form.varco-rating-form')).to.have.length(0);
      await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfTokenFrom(html), stars: '3' })
        .expect(410);
      expect(await ratingLinks(agent)).to.deep.equal([]);
    });
  });

  describe('an information sheet', () => {
    const SHEET = 'prato-certificato-nascita';

    it('says "not enough ratings yet" below the threshold, then shows the average and the distribution', async () => {
      const sheet = () => request(gateway.app).get(`/services/${SHEET}`).expect(200);
      let $ = cheerio.load((await sheet()).text);
      expect($('.varco-sheet-ratings .varco-not-enough')).to.have.length(2);
      expect($('.varco-rating-average')).to.have.length(0);
      // The first step is a GET form on the sheet itself: stars as radio buttons in a fieldset.
      const form = $('form.varco-clarity-form');
      expect(form.attr('method')).to.equal('get');
      expect(form.find('fieldset legend').text()).to.contain('Quanto sono chiare le informazioni');
      expect(form.find('input[type="radio"][name="stars"]')).to.have.length(5);

      for (let i = 0; i < 10; i++) {
        const stars = i < 7 ? 4 : 2;
        const step2 = await request(gateway.app).get(`/services/${SHEET}/clarity?stars=${stars}`).expect(200);
        const cookie = cookiesOf(step2);
        const answer = await request(gateway.app)
          .post(`/services/${SHEET}/clarity`)
          .set('Cookie', cookie)
          .type('form')
          .send({
            _csrf: csrfTokenFrom(step2.text),
            stars: String(stars),
            reasons: stars === 4 ? 'clear' : 'unclear',
          });
        expect(answer.status).to.equal(303);
        expect(answer.headers.location).to.equal(`/services/${SHEET}/clarity?thanks=1`);
        $ = cheerio.load((await sheet()).text);
        expect($('.varco-rating-average'), `after ${i + 1}`).to.have.length(i < 9 ? 0 : 1);
      }
      expect($('.varco-rating-average').text()).to.equal('3,4');
      expect($('.varco-rating-count').text()).to.equal('10 valutazioni');
      const rows = $('.varco-rating-distribution tbody tr')
        .map((_, tr) => $(tr).find('td').first().text())
        .get();
      expect(rows).to.deep.equal(['0', '7', '0', '3', '0']);
      const en = await request(gateway.app)
        .get(`/services/${SHEET}`)
        .set('Accept-Language', 'en')
        .expect(200);
      expect(cheerio.load(en.text)('.varco-rating-average').text()).to.equal('3.4');
    });

    it('shows the demo service’s seeded ratings', async () => {
      const $ = cheerio.load(
        (await request(gateway.app).get(`/services/${DEMO_RATED_SERVICE}`).expect(200)).text,
      );
      expect($('.varco-rating-average')).to.have.length(2);
    });

    it('refuses a sheet rating without a token, for an unknown sheet, or out of range', async () => {
      await request(gateway.app)
        .post(`/services/${SHEET}/clarity`)
        .type('form')
        .send({ stars: '4' })
        .expect(403);
      const step2 = await request(gateway.app).get(`/services/${SHEET}/clarity?stars=4`).expect(200);
      const cookie = cookiesOf(step2);
      const _csrf = csrfTokenFrom(step2.text);
      for (const stars of ['6', '', 'x'])
        await request(gateway.app)
          .post(`/services/${SHEET}/clarity`)
          .set('Cookie', cookie)
          .type('form')
          .send({ _csrf, stars })
          .expect(422);
      const page = await request(gateway.app)
        .post(`/services/${SHEET}/clarity`)
        .set('Cookie', cookie)
        .type('form')
        .send({ _csrf, stars: '4', comment: '<script>alert(1)</script>'.repeat(9) })
        .expect(422);
      // The refused comment is shown back as text.
      expect(page.text).to.not.contain('<script>alert(1)</script>');
      expect(cheerio.load(page.text)('#rating-comment').text()).to.contain('<script>alert(1)</script>');
      await request(gateway.app)
        .post('/services/no-such-service/clarity')
        .set('Cookie', cookie)
        .type('form')
        .send({ _csrf, stars: '4' })
        .expect(404);
      await request(gateway.app).get('/services/no-such-service/clarity').expect(404);
    });
  });

  describe('what the body and the network see', () => {
    before(async () => {
      // A comment with markup, to see it stays text on the editors' page.
      const agent = await logIn(gateway.app, OTHER);
      await agent.get('/go/prato-carta-identita-elettronica').expect(303);
      const [link] = await ratingLinks(agent);
      const comment = '<img src=x onerror=alert(1)> chiamate 3471234567';
      expect((await rate(agent, link!, 4, ['complete'], comment)).status).to.equal(303);
    });

    it("shows a body's editors its ratings per service, the reasons, the trend and the screened comments", async () => {
      const editor = await logIn(gateway.app, EDITOR);
      const html = (await editor.get('/editor/bodies/c_g999/ratings').expect(200)).text;
      const $ = cheerio.load(html);
      expect($('h1').text()).to.contain('Valutazioni');
      expect($(`tr[data-service="${DEMO_RATED_SERVICE}"]`).text()).to.contain('su 5');
      expect($('.varco-latest-ratings .varco-comment').text()).to.contain(
        '<img src=x onerror=alert(1)> chiamate [telefono]',
      );
      expect(html).to.not.contain('<img src=x');
      expect($('caption').text()).to.contain('mese per mese');
      // Another body's editor, or a citizen, is refused.
      await (await logIn(gateway.app, OTHER)).get('/editor/bodies/c_g999/ratings').expect(403);
      await editor.get('/editor/bodies/not_a_body/ratings').expect(403);
    });

    it('shows the network admins every body, and refuses others', async () => {
      const admin = await logIn(gateway.app, ADMIN);
      const $ = cheerio.load((await admin.get('/admin/ratings').expect(200)).text);
      expect($('tr[data-body="c_g999"]').text()).to.contain('su 5');
      expect($('li[data-procedure="newborn"]')).to.have.length(1);
      await (await logIn(gateway.app, EDITOR)).get('/admin/ratings').expect(403);
    });

    it('publishes aggregates only, as JSON and CSV', async () => {
      const json = await request(gateway.app).get('/ratings.json').expect(200);
      const rows = json.body.ratings as { kind: string; subject: string; count: number; average: number }[];
      const demo = rows.find((r) => r.kind === 'service' && r.subject === DEMO_RATED_SERVICE);
      expect(demo?.count).to.be.greaterThanOrEqual(12);
      // The service rated once above is not published: fewer than 10 ratings say too much of each one.
      expect(rows.map((r) => r.subject)).to.not.include(SERVICE);
      expect(rows.every((r) => r.count >= 10)).to.equal(true);
      expect(JSON.stringify(json.body)).to.not.match(/onerror|telefono|comment/);
      const csv = await request(gateway.app).get('/ratings.csv').expect(200);
      expect(csv.headers['content-type']).to.match(/^text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).to.match(/^kind,subject,body_ipa_code,page_url,count,average,stars_1/);
      expect(lines.some((l) => l.startsWith(`"service","${DEMO_RATED_SERVICE}"`))).to.equal(true);
      expect(csv.text).to.not.contain(`"${SERVICE}"`);
      expect(csv.text).to.not.contain('onerror');
    });
  });

  describe('anonymous sheet ratings are throttled', () => {
    let limited: TestGateway;
    before(async () => {
      limited = await createTestGateway({
        participation: { ratings: { sheetPerClient: { windowSeconds: 3600, max: 3 } } },
      });
    });
    after(() => limited.close());

    async function rateSheet(service: string) {
      const step2 = await request(limited.app).get(`/services/${service}/clarity?stars=5`).expect(200);
      return request(limited.app)
        .post(`/services/${service}/clarity`)
        .set('Cookie', cookiesOf(step2))
        .type('form')
        .send({ _csrf: csrfTokenFrom(step2.text), stars: '5' });
    }

    it('twice a day per sheet, and a few an hour over all sheets, per client address: then 429', async () => {
      expect((await rateSheet('prato-cambio-residenza')).status).to.equal(303);
      expect((await rateSheet('prato-cambio-residenza')).status).to.equal(303);
      const third = await rateSheet('prato-cambio-residenza');
      expect(third.status).to.equal(429);
      expect(Number(third.headers['retry-after'])).to.be.greaterThan(3600);
      // Another sheet is still open to this client, until the limit over all sheets.
      expect((await rateSheet('prato-certificato-nascita')).status).to.equal(303);
      expect((await rateSheet('prato-suap')).status).to.equal(429);
      const summary = await limited.deps.participation.ratings.store.summary({
        kind: 'sheet',
        id: 'prato-cambio-residenza',
        body: 'c_g999',
      });
      expect(summary.count).to.equal(2);
    });
  });

  describe('kept for a while, then gone', () => {
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const rating = (id: string, daysAgo: number) => ({
      id,
      kind: 'service' as const,
      subject: 'retention-test',
      body: 'c_retention',
      stars: 2 as const,
      reasons: ['unclear'],
      comment: 'lenta',
      day: day(daysAgo),
    });

    it('keeps each rating its days, then drops it from the list; the counters stay', async () => {
      const store = createRatingStore(gateway.redis, { keepDays: 90 });
      const client = gateway.redis.client as SingleClient;
      const ids = ['retentionOld000000000A', 'retentionNew000000000A'];
      await store.save(rating(ids[0]!, 91));
      expect(await store.get('c_retention', ids[0]!)).to.equal(undefined);
      await store.save(rating(ids[1]!, 0));
      const kept = await store.get('c_retention', ids[1]!);
      expect(kept?.comment).to.equal('lenta');
      const ttl = await client.ttl(`${gateway.config.redis.prefix}ratings:{b:c_retention}:rating:${ids[1]}`);
      expect(ttl).to.be.within(90 * 86_400, 91 * 86_400);
      // The expired one left the body's list when the new one came; both are counted.
      expect((await store.latest('c_retention')).map((r) => r.id)).to.deep.equal([ids[1]]);
      expect(
        await client.zRange(`${gateway.config.redis.prefix}ratings:{b:c_retention}:list`, 0, -1),
      ).to.deep.equal([ids[1]]);
      const summary = await store.summary({ kind: 'service', id: 'retention-test', body: 'c_retention' });
      expect(summary.count).to.equal(2);
    });
  });
});
