import { expect } from 'chai';
import * as cheerio from 'cheerio';
import type * as oidc from 'openid-client';
import type { Procedure } from '../../src/procedures/definitions.ts';
import { csrfTokenFrom } from '../helpers/gateway.ts';
import { confirmationForm, fillNewborn, logIn, NEWBORN, receiptCase } from '../helpers/journeys.ts';
import { finished, startDeliveringGateway } from '../helpers/procedures.ts';
import {
  TestBrowser,
  discoverClient,
  enterService,
  registerSsoService,
  startSsoGateway,
  type SsoGateway,
} from '../helpers/sso.ts';

const CITIZEN = 'RSSMRA80A01H501U';

/** The rating links of a personal area page. */
const ratingLinks = (html: string) => {
  const $ = cheerio.load(html);
  return $('#ratings a[href^="/me/ratings/"]')
    .map((_, a) => ({ href: $(a).attr('href')!, text: $(a).text() }))
    .get();
};

describe('ratings: the uses that can be rated', () => {
  describe('a single sign-on entry', () => {
    let op: SsoGateway;
    let config: oidc.Configuration;
    const rpOrigin = 'http://127.0.0.1:9';
    const redirectUri = `${rpOrigin}/rated-sso/callback`;

    before(async () => {
      op = await startSsoGateway();
      const secret = await registerSsoService(op.gateway, {
        body: 'comune_alfa',
        service: 'rated-sso',
        rpOrigin,
        auth: { method: 'client_secret_basic' },
        claims: ['given_name'],
      });
      config = await discoverClient(op.url, 'rated-sso', { secret: secret! });
    });
    after(() => op.close());

    it('lets the citizen rate the service they entered, from the personal area', async () => {
      const browser = new TestBrowser(op.url);
      await browser.login(CITIZEN);
      await enterService(browser, config, redirectUri);
      // The use is recorded when the authorization succeeds, beside the response.
      let links: { href: string; text: string }[] = [];
      for (let i = 0; i < 40 && links.length === 0; i++) {
        links = ratingLinks(await (await browser.follow('/me')).response.text());
        if (links.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(links).to.have.length(1);
      expect(links[0]!.text).to.contain('Servizio rated-sso');
      const step2 = await (await browser.follow(`${links[0]!.href}?stars=3`)).response.text();
      const answer = await browser.post(links[0]!.href, {
        _csrf: csrfTokenFrom(step2),
        stars: '3',
        reasons: 'unsureProgress',
      });
      expect(answer.status).to.equal(303);
      const summary = await op.gateway.deps.participation.ratings.store.summary({
        kind: 'service',
        id: 'rated-sso',
        body: 'comune_alfa',
      });
      expect(summary.count).to.equal(1);
      expect(summary.reasons).to.deep.equal({ 'bad:unsureProgress': 1 });
    });
  });

  describe('the newborn bundle', () => {
    let gateway: Awaited<ReturnType<typeof startDeliveringGateway>>;
    before(async () => {
      gateway = await startDeliveringGateway({ rateLimit: { forms: { windowSeconds: 60, max: 100_000 } } });
    });
    after(() => gateway.stop());

    it('asks at the receipt and again when the case finished: two uses, each rated once', async () => {
      const procedure = gateway.deps.procedures.procedures.get('newborn') as Procedure;
      const agent = await logIn(gateway.app, CITIZEN);
      await fillNewborn(agent, procedure);
      const filed = await agent
        .post(`${NEWBORN}/preview`)
        .type('form')
        .send(await confirmationForm(agent))
        .expect(303);
      const caseId = receiptCase(filed.headers.location)!;
      const receipt = cheerio.load((await agent.get(filed.headers.location!).expect(200)).text);
      const prompt = receipt('.varco-rating-prompt a').attr('href')!;
      expect(prompt).to.match(/^\/me\/ratings\/[A-Za-z0-9_-]{22}$/);
      // The receipt seen again asks for the same use.
      const again = cheerio.load((await agent.get(filed.headers.location!).expect(200)).text);
      expect(again('.varco-rating-prompt a').attr('href')).to.equal(prompt);

      const form = await agent.get(prompt).expect(200);
      expect(cheerio.load(form.text)('legend').first().text()).to.equal(
        'Quanto sei soddisfatto del servizio?',
      );
      const step2 = await agent.get(`${prompt}?stars=5`).expect(200);
      await agent
        .post(prompt)
        .type('form')
        .send({ _csrf: csrfTokenFrom(step2.text), stars: '5', reasons: ['clear', 'complete'] })
        .expect(303);

      await finished(gateway, caseId, 30_000);
      const links = ratingLinks((await agent.get('/me').expect(200)).text);
      expect(links).to.have.length(2);
      const caseCheck = cheerio.load((await agent.get(`/cases/${caseId}`).expect(200)).text);
      const finishedPrompt = caseCheck('.varco-rating-prompt a').attr('href')!;
      expect(finishedPrompt).to.not.equal(prompt);
      expect(links.map((l) => l.href)).to.include.members([prompt, finishedPrompt]);

      const summary = await gateway.deps.participation.ratings.store.summary({
        kind: 'procedure',
        id: 'newborn',
      });
      expect(summary.count).to.equal(1);
      expect(summary.average).to.equal(5);

      // A receipt opened again once its days to rate are over asks nothing.
      const caseKey = `${gateway.config.redis.prefix}proc:case:{${caseId}}`;
      expect(await gateway.redis.client.hExists(caseKey, 'createdAt')).to.equal(1);
      await gateway.redis.client.hSet(
        caseKey,
        'createdAt',
        new Date(Date.now() - 8 * 86_400_000).toISOString(),
      );
      const old = cheerio.load((await agent.get(filed.headers.location!).expect(200)).text);
      expect(old('.varco-rating-prompt')).to.have.length(0);
    });
  });
});
