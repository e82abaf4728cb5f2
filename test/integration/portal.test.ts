import { expect } from 'chai';
import * as cheerio from 'cheerio';
import { Router, type Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import {
  AppError,
  BadRequestError,
  ForbiddenError,
  NotAcceptableError,
  NotFoundError,
  ServiceUnavailableError,
  TooManyRequestsError,
} from '../../src/platform/errors.ts';
import { createTestGateway, csrfTokenFrom, testLoginRoutes, type TestGateway } from '../helpers/gateway.ts';

const LEAK = 'db password hunter2 at /srv/varco/secret.ts';

/** Routes that raise each error the way a controller would, under a page path and under /api. */
function failingRoutes(): Router {
  const errors: Record<string, () => unknown> = {
    400: () => new BadRequestError(),
    403: () => new ForbiddenError(),
    404: () => new NotFoundError(),
    405: () => new AppError(405, 'method_not_allowed'),
    406: () => new NotAcceptableError(),
    413: () => Object.assign(new Error('request entity too large'), { status: 413 }),
    415: () => new AppError(415, 'unsupported_media_type'),
    429: () => new TooManyRequestsError(60),
    500: () => new Error(LEAK),
    503: () => new ServiceUnavailableError(),
  };
  const router = Router();
  router.get(['/__test/error/:status', '/api/__test/error/:status'], (req) => {
    throw errors[req.params.status as string]!();
  });
  return router;
}

const TITLES: Record<string, [string, string]> = {
  400: ['Richiesta non valida', 'Invalid request'],
  403: ['Accesso negato', 'Access denied'],
  404: ['Pagina non trovata', 'Page not found'],
  405: ['Operazione non consentita', 'Method not allowed'],
  406: ['Formato non disponibile', 'Format not available'],
  413: ['Dati troppo grandi', 'Data too large'],
  415: ['Formato dei dati non supportato', 'Unsupported data format'],
  429: ['Troppe richieste', 'Too many requests'],
  500: ['Errore del servizio', 'Service error'],
  503: ['Servizio temporaneamente non disponibile', 'Service temporarily unavailable'],
};

describe('portal pages', () => {
  let gateway: TestGateway;
  let app: Express;
  before(async () => {
    gateway = await createTestGateway();
    app = createApp(gateway.deps, [testLoginRoutes(gateway.deps), failingRoutes()]);
  });
  after(() => gateway.close());

  describe('error pages', () => {
    for (const [status, [italian, english]] of Object.entries(TITLES)) {
      it(`${status}: a translated HTML page with the status code`, async () => {
        const italianPage = await request(app).get(`/__test/error/${status}`).expect(Number(status));
        expect(italianPage.headers['content-type']).to.match(/^text\/html/);
        expect(italianPage.headers['cache-control']).to.equal('no-store');
        const $ = cheerio.load(italianPage.text);
        expect($('html').attr('lang')).to.equal('it');
        expect($('h1').text()).to.equal(italian);
        expect($('title').text()).to.contain(italian);
        expect($('main').text()).to.contain(`Errore ${status}`);
        const en = await request(app)
          .get(`/__test/error/${status}`)
          .set('Accept-Language', 'en')
          .expect(Number(status));
        expect(cheerio.load(en.text)('h1').text()).to.equal(english);
      });

      it(`${status}: application/problem+json under /api and for clients asking for JSON`, async () => {
        const api = await request(app).get(`/api/__test/error/${status}`).expect(Number(status));
        expect(api.headers['content-type']).to.match(/^application\/problem\+json/);
        const body = JSON.parse(api.text) as Record<string, unknown>;
        expect(body).to.include({ type: 'about:blank', status: Number(status) });
        expect(body.code).to.be.a('string').and.not.equal('');
        expect(body.title).to.be.a('string').and.not.equal('');
        expect(body.instance).to.equal(`/api/__test/error/${status}`);
        for (const accept of ['application/json', 'application/problem+json']) {
          const json = await request(app).get(`/__test/error/${status}`).set('Accept', accept);
          expect(json.status).to.equal(Number(status));
          expect(json.headers['content-type']).to.match(/^application\/problem\+json/);
        }
      });
    }

    it('a 500 leaks neither the message nor the stack', async () => {
      const page = await request(app).get('/__test/error/500').expect(500);
      const api = await request(app).get('/api/__test/error/500').expect(500);
      for (const text of [page.text, api.text]) {
        expect(text)
          .not.to.contain('hunter2')
          .and.not.to.contain('secret.ts')
          .and.not.to.match(/at .*\.ts:\d+/);
      }
      expect(JSON.parse(api.text)).to.deep.equal({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        code: 'internal_error',
        instance: '/api/__test/error/500',
      });
    });

    it('says when to retry after 429 and 503', async () => {
      await request(app).get('/__test/error/429').expect(429).expect('Retry-After', '60');
      await request(app).get('/__test/error/503').expect(503).expect('Retry-After', '30');
    });

    it('answers a real rate-limit hit with the 429 page (counters in Redis)', async () => {
      const limited = await createTestGateway({ rateLimit: { forms: { windowSeconds: 60, max: 2 } } });
      try {
        const agent = request.agent(limited.app);
        await agent.get('/__test/login').expect(200);
        const token = csrfTokenFrom((await agent.get('/me').expect(200)).text);
        const post = () => agent.post('/me/sessions/end-others').type('form').send({ _csrf: token });
        await post().expect(303);
        await post().expect(303);
        // Retry-After is the time left until the counter resets: the whole 60 s window only when the
        // hits came within the same second (so 59 or 60 here, never the window rounded up).
        const res = await post().expect(429);
        expect(Number(res.headers['retry-after'])).to.be.within(59, 60);
        const $ = cheerio.load(res.text);
        expect($('h1').text()).to.equal('Troppe richieste');
        expect($('main').text()).to.contain(`Riprova tra ${res.headers['retry-after']} secondi.`);
        // Later in the window, less is left: the header and the page say so, in the page's language.
        const counters = await limited.redis.client.keys(`${limited.config.redis.prefix}ratelimit:forms:*`);
        expect(counters).to.have.length(1);
        await limited.redis.client.pExpire(counters[0]!, 20_000);
        const later = await post().set('Cookie', 'varco.lang=en').expect(429);
        expect(Number(later.headers['retry-after'])).to.be.within(19, 20);
        expect(cheerio.load(later.text)('main').text()).to.contain(
          `Please try again in ${later.headers['retry-after']} seconds.`,
        );
        await agent.get('/me').expect(200);
      } finally {
        await limited.close();
      }
    });

    it('gives the request reference on the page', async () => {
      const res = await request(app).get('/no-such-page').set('X-Request-Id', 'support-ref-1234').expect(404);
      expect(cheerio.load(res.text)('main').text()).to.contain('support-ref-1234');
    });

    it('answers an unknown page with 404 and a page that has the usual shell', async () => {
      const res = await request(app).get('/no-such-page').expect(404);
      const $ = cheerio.load(res.text);
      expect($('header.it-header-wrapper')).to.have.length(1);
      expect($('footer#footer')).to.have.length(1);
      expect($('a[href="/"]').length).to.be.greaterThan(0);
    });
  });

  describe('shell', () => {
    it('has skip links to landmarks that exist, and the page language', async () => {
      const res = await request(app).get('/').expect(200);
      const $ = cheerio.load(res.text);
      const targets = $('.skiplinks a')
        .map((_, a) => $(a).attr('href'))
        .get();
      expect(targets).to.deep.equal(['#main', '#footer']);
      expect($('main#main')).to.have.length(1);
      expect($('footer#footer')).to.have.length(1);
      expect($('html').attr('lang')).to.equal('it');
    });

    it('tells a public body where to join the network, from the footer of every page', async () => {
      for (const path of ['/', '/services', '/login', '/no-such-page']) {
        const $ = cheerio.load((await request(app).get(path)).text);
        expect($('footer a[href="/join"]').text(), path).to.equal('Per gli enti: aderire alla rete');
      }
      await request(app).get('/join').expect(200);
    });

    it('in demo mode, links the demo mailbox from the footer, where the mail sent can be read', async () => {
      const $ = cheerio.load((await request(app).get('/').expect(200)).text);
      expect($('footer a[href="/demo/mailbox"]').text()).to.equal(
        'Casella di prova: le e-mail inviate in modalità dimostrativa',
      );
      await request(app).get('/demo/mailbox').expect(200);
    });

    it('offers the login entry to an anonymous visitor and no logout form', async () => {
      const $ = cheerio.load((await request(app).get('/').expect(200)).text);
      expect($('header a[href="/login"]')).to.have.length(1);
      expect($('header form[action="/logout"]')).to.have.length(0);
    });

    it('shows a logged-in citizen the personal area and a logout form with a CSRF token', async () => {
      const agent = request.agent(app);
      await agent.get('/__test/login').expect(200);
      const $ = cheerio.load((await agent.get('/').expect(200)).text);
      expect($('header a[href="/me"]').text()).to.contain('Mario Rossi');
      const form = $('header form[action="/logout"]');
      expect(form.attr('method')).to.equal('post');
      expect(form.find('input[name="_csrf"]').val()).to.be.a('string').with.length.greaterThan(20);
      expect($('header a[href="/login"]')).to.have.length(0);
    });

    it('keeps the logged-in header on an error page, also one raised before the page saw the session', async () => {
      const agent = request.agent(app);
      await agent.get('/__test/login').expect(200);
      // A form without its token is refused by the CSRF check, which runs before the page locals.
      const refused = await agent.post('/me/sessions/end-others').type('form').send({ _csrf: 'forged' });
      expect(refused.status).to.equal(403);
      const $ = cheerio.load(refused.text);
      expect($('header a[href="/me"]').text()).to.contain('Mario Rossi');
      expect($('header a[href="/login"]')).to.have.length(0);
      const anonymous = await request(app).post('/me/sessions/end-others').type('form').send({ _csrf: 'x' });
      expect(cheerio.load(anonymous.text)('header a[href="/login"]')).to.have.length(1);
    });

    it('links the accessibility statement and the privacy notice from the footer of every page', async () => {
      const statement = 'https://form.agid.gov.it/view/test-only-statement';
      const privacy = 'https://varco.example.it/test-only/privacy';
      const configured = await createTestGateway({
        network: { accessibilityStatementUrl: statement, privacyPolicyUrl: privacy },
      });
      try {
        const agent = request.agent(configured.app);
        for (const [path, status] of [
          ['/', 200],
          ['/login', 200],
          ['/no-such-page', 404],
        ] as const) {
          const italian = cheerio.load((await agent.get(path).expect(status)).text);
          expect(italian(`footer a[href="${statement}"]`).text(), path).to.equal(
            'Dichiarazione di accessibilità',
          );
          expect(italian(`footer a[href="${privacy}"]`).text(), path).to.equal('Informativa sulla privacy');
        }
        const english = cheerio.load((await agent.get('/').set('Accept-Language', 'en').expect(200)).text);
        expect(english(`footer a[href="${statement}"]`).text()).to.equal('Accessibility statement');
        expect(english(`footer a[href="${privacy}"]`).text()).to.equal('Privacy notice');
      } finally {
        await configured.close();
      }
    });

    it('has no privacy link when none is configured (demo), never an empty href', async () => {
      const $ = cheerio.load((await request(app).get('/').expect(200)).text);
      expect($('footer a').filter((_, a) => $(a).text() === 'Informativa sulla privacy')).to.have.length(0);
      expect($('footer a[href=""]')).to.have.length(0);
      // Demo mode falls back to AgID's accessibility-statement service.
      expect($('footer a[href="https://form.agid.gov.it/"]').text()).to.equal(
        'Dichiarazione di accessibilità',
      );
    });

    it('points /favicon.ico at the portal icon (browsers ask for it on non-HTML documents)', async () => {
      await request(app).get('/favicon.ico').expect(301).expect('Location', '/assets/favicon.svg');
      await request(app).get('/assets/favicon.svg').expect(200).expect('Content-Type', /svg/);
    });

    it('links only to pages that exist', async () => {
      const agent = request.agent(app);
      const pages = ['/', '/login', '/no-such-page'];
      await agent.get('/__test/login').expect(200);
      const hrefs = new Set<string>();
      for (const path of [...pages, '/me']) {
        const $ = cheerio.load((await agent.get(path)).text);
        $('a[href^="/"], link[href^="/"], script[src^="/"]').each((_, el) => {
          hrefs.add($(el).attr('href') ?? $(el).attr('src')!);
        });
      }
      expect(hrefs.size).to.be.greaterThan(5);
      for (const href of hrefs) {
        if (href.startsWith('/lang/')) continue; // sets a cookie and redirects; tested in i18n.test.ts
        const res = await request(app).get(href.split('#')[0]!);
        expect([200, 303], `${href} answered ${res.status}`).to.include(res.status);
      }
    });
  });
});
