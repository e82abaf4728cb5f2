import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { createPageCache } from '../../src/platform/page-cache.ts';
import { setUpViews } from '../../src/platform/views.ts';

describe('pages kept for every anonymous visitor', () => {
  let views: string;
  before(async () => {
    views = await mkdtemp(path.join(tmpdir(), 'varco-views-'));
    const files = {
      // A template names the locals of its own (text) on its first line; the pages' common ones are given.
      'page.ejs':
        '<% const { text } = locals; %><script nonce="<%= cspNonce %>"></script><p><%= text %></p><style nonce="<%= cspNonce %>"></style>',
      'form.ejs':
        '<% const { text } = locals; %><form><input name="_csrf" value="<%= csrfToken() %>"></form><p><%= text %></p>',
      'header.ejs':
        '<% const { text } = locals; %><% if (citizen) { %><a href="/me"><%= citizen.name %> <%= citizen.familyName %></a>' +
        '<input name="_csrf" value="<%= csrfToken() %>"><% } else { %><a href="/login">Accedi</a><% } %>' +
        '<a href="/lang/en?next=<%= encodeURIComponent(currentPath) %>"><%= lang %></a><p><%= text %></p>',
      'fiscal-code.ejs': '<p><%= citizen ? citizen.fiscalCode : "" %></p>',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(views, name), text);
  });
  after(() => rm(views, { recursive: true, force: true }));

  /**
   * An app that sends each view through one page cache. The request's headers stand in for what the
   * platform puts in res.locals: the visitor's form token, the logged-in citizen, the language.
   */
  function app(version: () => string, maxKeys = 2) {
    const pages = createPageCache({ maxKeys });
    const renders: string[] = [];
    const server = express();
    setUpViews(server, { viewsDir: views, cache: true });
    server.use((req, res, next) => {
      res.locals.cspNonce = `nonce${Math.random().toString(36).slice(2)}`;
      res.locals.csrfToken = () => req.get('x-token') ?? 'no-token';
      const citizen = req.get('x-citizen');
      res.locals.citizen = citizen ? JSON.parse(citizen) : undefined;
      res.locals.lang = req.get('x-lang') ?? 'it';
      res.locals.currentPath = req.originalUrl;
      next();
    });
    server.get('/:view', (req, res, next) => {
      const view = String(req.params.view);
      pages
        .send(req, res, {
          key: view,
          version: version(),
          view,
          locals: () => {
            renders.push(view);
            return { text: `v${version()}` };
          },
        })
        .catch(next);
    });
    server.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status((error as { status?: number }).status ?? 500).send(error.message);
    });
    return { server, renders };
  }

  const ada = { fiscalCode: 'LVLDAA85T50G702B', name: 'Ada', familyName: 'Lovelace', level: 2 };
  const bob = { fiscalCode: 'RSSMRA80A01H501U', name: 'Bob <b>&', familyName: `O'Neil "Jr"`, level: 1 };

  it("puts each response's own nonce everywhere the page has it, and renders again for a new version", async () => {
    let version = '1';
    const { server, renders } = app(() => version);
    const first = await request(server).get('/page').expect(200);
    const nonce = /nonce="([^"]+)"/.exec(first.text)?.[1];
    expect(first.text).to.equal(
      `<script nonce="${nonce}"></script><p>v1</p><style nonce="${nonce}"></style>`,
    );
    const second = await request(server).get('/page').expect(200);
    expect(second.text).to.not.equal(first.text);
    expect(second.text.split(/nonce="[^"]+"/)).to.deep.equal(first.text.split(/nonce="[^"]+"/));
    expect(renders).to.deep.equal(['page']);
    version = '2';
    expect((await request(server).get('/page').expect(200)).text).to.contain('<p>v2</p>');
    expect(renders).to.deep.equal(['page', 'page']);
  });

  it("never keeps a page that asks for a form token: a form token is the visitor's own", async () => {
    const { server, renders } = app(() => '1');
    for (const token of ['token-of-one', 'token-of-two']) {
      const res = await request(server).get('/form').set('x-token', token).expect(500);
      expect(res.text).to.contain('carries no form token').and.not.contain(token);
    }
    expect(renders).to.deep.equal(['form', 'form']);
  });

  it("renders a logged-in citizen's page for them every time, never from a kept copy", async () => {
    const { server, renders } = app(() => '1');
    const anonymous = await request(server).get('/header').expect(200);
    const asAda = await request(server)
      .get('/header')
      .set('x-citizen', JSON.stringify(ada))
      .set('x-token', 't-ada')
      .expect(200);
    const asBob = await request(server)
      .get('/header')
      .set('x-citizen', JSON.stringify(bob))
      .set('x-token', 't-bob')
      .expect(200);
    const tail = '<a href="/lang/en?next=%2Fheader">it</a><p>v1</p>';
    expect(anonymous.text).to.equal(`<a href="/login">Accedi</a>${tail}`);
    expect(asAda.text).to.equal(`<a href="/me">Ada Lovelace</a><input name="_csrf" value="t-ada">${tail}`);
    expect(asBob.text).to.equal(
      `<a href="/me">Bob &lt;b&gt;&amp; O&#39;Neil &#34;Jr&#34;</a><input name="_csrf" value="t-bob">${tail}`,
    );
    // Whatever else of the citizen their page shows is theirs.
    const fiscalCode = await request(server).get('/fiscal-code').set('x-citizen', JSON.stringify(ada));
    expect(fiscalCode.text).to.equal(`<p>${ada.fiscalCode}</p>`);
    // The anonymous copy is still the one kept: anonymous visitors after them get it.
    expect((await request(server).get('/header').expect(200)).text).to.equal(anonymous.text);
    expect(renders).to.deep.equal(['header', 'header', 'header', 'fiscal-code']);
  });

  it('keeps a copy per language and per path the language links come back to', async () => {
    const { server, renders } = app(() => '1', 10);
    const it = await request(server).get('/header').expect(200);
    const en = await request(server).get('/header').set('x-lang', 'en').expect(200);
    const query = await request(server).get('/header?x=1').expect(200);
    expect(it.text).to.contain('>it</a>');
    expect(en.text).to.contain('>en</a>');
    expect(query.text).to.contain('next=%2Fheader%3Fx%3D1');
    expect(renders).to.have.length(3);
  });

  it('forgets the least recently used copy when it holds as many as it may', async () => {
    const { server, renders } = app(() => '1', 2);
    await request(server).get('/page').expect(200);
    await request(server).get('/fiscal-code').expect(200);
    await request(server).get('/page').expect(200); // used again: /fiscal-code is now the oldest
    await request(server).get('/header').expect(200); // a third: /fiscal-code is forgotten
    await request(server).get('/page').expect(200);
    expect(renders).to.deep.equal(['page', 'fiscal-code', 'header']);
    await request(server).get('/fiscal-code').expect(200);
    expect(renders).to.deep.equal(['page', 'fiscal-code', 'header', 'fiscal-code']);
  });

  it('answers 406 to a client that does not accept HTML', async () => {
    await request(app(() => '1').server)
      .get('/page')
      .set('Accept', 'application/json')
      .expect(406);
  });
});
