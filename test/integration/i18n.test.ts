import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

const htmlLang = (html: string) => cheerio.load(html)('html').attr('lang');

describe('language choice', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway();
  });
  after(() => gateway.close());

  it('serves Italian by default', async () => {
    const res = await request(gateway.app).get('/').expect(200);
    expect(htmlLang(res.text)).to.equal('it');
    expect(res.headers['content-language']).to.equal('it');
    expect(res.headers.vary).to.match(/Accept-Language/i);
    expect(res.text).to.contain('Vai al contenuto principale');
  });

  it('follows Accept-Language when no language was chosen', async () => {
    const en = await request(gateway.app).get('/').set('Accept-Language', 'en-GB,en;q=0.9').expect(200);
    expect(htmlLang(en.text)).to.equal('en');
    expect(en.text).to.contain('Skip to main content');
    const fr = await request(gateway.app).get('/').set('Accept-Language', 'fr-FR,de;q=0.5').expect(200);
    expect(htmlLang(fr.text)).to.equal('it');
  });

  it('remembers the chosen language in a cookie, which wins over Accept-Language', async () => {
    const agent = request.agent(gateway.app);
    const res = await agent.get('/lang/en?next=%2Fme%3Fx%3D1').expect(303);
    expect(res.headers.location).to.equal('/me?x=1');
    const cookie = res.headers['set-cookie']?.[0] ?? '';
    expect(cookie)
      .to.match(/^varco\.lang=en;/)
      .and.match(/HttpOnly/)
      .and.match(/SameSite=Lax/);
    expect(cookie).to.match(/Max-Age=31536000/);
    const page = await agent.get('/').set('Accept-Language', 'it').expect(200);
    expect(htmlLang(page.text)).to.equal('en');
    await agent.get('/lang/it').expect(303).expect('Location', '/');
    const back = await agent.get('/').set('Accept-Language', 'en').expect(200);
    expect(htmlLang(back.text)).to.equal('it');
  });

  for (const header of [';;;,,,q=abc', 'en;q=2', '*', 'x'.repeat(4000), 'en-GB;q=0, it;q=0']) {
    it(`copes with the Accept-Language ${JSON.stringify(header.slice(0, 20))}`, async () => {
      const res = await request(gateway.app).get('/').set('Accept-Language', header).expect(200);
      expect(['it', 'en']).to.include(htmlLang(res.text));
    });
  }

  for (const [cookie, expected] of [
    ['varco.sid=s%3Aabc; varco.lang=en', 'en'],
    ['varco.lang=en;varco.sid=x', 'en'],
    // Whitespace around the name and the value is dropped, as RFC 6265 section 5.2 reads a cookie pair.
    ['  varco.lang = en', 'en'],
    ['xvarco.lang=en; a=varco.lang=en', 'it'],
    ['xvarco.lang=it; varco.lang=en ', 'en'],
    ['varco.language=en', 'it'],
    ['varco.lang=', 'it'],
  ] as const) {
    it(`reads the chosen language from the Cookie header ${JSON.stringify(cookie)} as ${expected}`, async () => {
      const res = await request(gateway.app).get('/').set('Cookie', cookie).expect(200);
      expect(htmlLang(res.text)).to.equal(expected);
    });
  }

  it('gives each Accept-Language the same answer the first time and every later time', async () => {
    const cases: Array<[string, string]> = [
      ['en-GB,en;q=0.9', 'en'],
      ['fr-FR,de;q=0.5', 'it'],
      ['it;q=0.1, en;q=0.5', 'en'],
      ['en;q=0, it;q=0.2', 'it'],
      ['de, en-US;q=0.8', 'en'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [header, expected] of cases) {
        const res = await request(gateway.app).get('/').set('Accept-Language', header).expect(200);
        expect(htmlLang(res.text), `${header} (round ${round})`).to.equal(expected);
      }
    }
  });

  it('ignores an unknown language in the cookie', async () => {
    const res = await request(gateway.app).get('/').set('Cookie', 'varco.lang=xx').expect(200);
    expect(htmlLang(res.text)).to.equal('it');
  });

  it('offers the switch as plain links back to the same page (works without JavaScript)', async () => {
    const res = await request(gateway.app).get('/?q=1').expect(200);
    const $ = cheerio.load(res.text);
    const link = $('header a[hreflang="en"]');
    expect(link.attr('href')).to.equal('/lang/en?next=%2F%3Fq%3D1');
    expect(link.attr('lang')).to.equal('en');
    expect($('header [aria-current="true"]').text().trim()).to.equal('IT');
  });

  for (const code of ['xx', 'EN', 'it-IT', 'en%00', '..', 'a'.repeat(300)]) {
    it(`answers 400 with a page for the unknown language ${JSON.stringify(code.slice(0, 12))}, setting nothing`, async () => {
      const res = await request(gateway.app).get(`/lang/${code}?next=/me`).expect(400);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(cheerio.load(res.text)('h1').text()).to.equal('Lingua non disponibile');
    });
  }

  const hostileNext = [
    '//evil.example',
    '/\\evil.example',
    'https://evil.example',
    'http:evil.example',
    '/%2F%2Fevil.example',
    '%2F%2Fevil.example',
    '/%5Cevil.example',
    '/%09/evil.example',
    '/%0D%0ALocation:%20https://evil.example',
    '/%00//evil.example',
    'javascript:alert(1)',
    '///evil.example',
  ];
  for (const next of hostileNext) {
    it(`never redirects off the site for next=${next}`, async () => {
      const res = await request(gateway.app)
        .get(`/lang/en?next=${encodeURIComponent(next)}`)
        .expect(303);
      const location = res.headers.location ?? '';
      expect(location).to.match(/^\/(?![\\/])/);
      expect([...location].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).to.equal(false);
      expect(new URL(location, 'https://varco.example').host).to.equal('varco.example');
    });
    it(`also with the raw next=${next} in the query string`, async () => {
      const res = await request(gateway.app).get(`/lang/en?next=${next}`).expect(303);
      const location = res.headers.location ?? '';
      expect(location).to.match(/^\/(?![\\/])/);
      expect(new URL(location, 'https://varco.example').host).to.equal('varco.example');
    });
  }

  it('offers a switch back to the home page from the answer to a form post', async () => {
    const res = await request(gateway.app).post('/logout').type('form').send({}).expect(403);
    expect(cheerio.load(res.text)('header a[hreflang="en"]').attr('href')).to.equal('/lang/en?next=%2F');
  });

  it("puts a citizen's name into a translated text escaped once, in each language", async () => {
    const agent = request.agent(gateway.app);
    const name = encodeURIComponent(`Ada <i> & "D'Este"`);
    await agent.get(`/__test/login?fiscalCode=LVLDAA85T50G702B&name=${name}`).expect(200);
    const it_ = await agent.get('/').expect(200);
    expect(it_.text).to.contain('Bentornato, Ada &lt;i&gt; &amp; &#34;D&#39;Este&#34;</p>');
    const en = await agent.get('/').set('Accept-Language', 'en').expect(200);
    expect(en.text).to.contain('Welcome back, Ada &lt;i&gt; &amp; &#34;D&#39;Este&#34;</p>');
  });

  it('falls back to the home page when next is repeated (an array)', async () => {
    await request(gateway.app)
      .get('/lang/en?next=/me&next=//evil.example')
      .expect(303)
      .expect('Location', '/');
  });
});
