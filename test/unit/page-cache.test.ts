import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { createPageCache } from '../../src/platform/page-cache.ts';
import { setUpViews } from '../../src/platform/views.ts';

describe('pages kept for every visitor', () => {
  let views: string;
  before(async () => {
    views = await mkdtemp(path.join(tmpdir(), 'varco-views-'));
    await writeFile(
      path.join(views, 'page.ejs'),
      '<script nonce="<%= cspNonce %>"></script><p><%= text %></p><style nonce="<%= cspNonce %>"></style>',
    );
    await writeFile(path.join(views, 'form.ejs'), '<input name="_csrf" value="<%= csrfToken() %>">');
  });
  after(() => rm(views, { recursive: true, force: true }));

  function app(version: () => string) {
    const pages = createPageCache({ maxKeys: 2 });
    const server = express();
    setUpViews(server, { viewsDir: views, cache: true });
    server.use((_req, res, next) => {
      res.locals.cspNonce = `nonce${Math.random().toString(36).slice(2)}`;
      res.locals.csrfToken = () => 'one-sessions-token';
      next();
    });
    server.get('/:view', (req, res, next) => {
      const view = String(req.params.view);
      pages
        .send(req, res, { key: view, version: version(), view, locals: () => ({ text: `v${version()}` }) })
        .catch(next);
    });
    server.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status((error as { status?: number }).status ?? 500).send(error.message);
    });
    return server;
  }

  it("puts each response's own nonce everywhere the page has it, and renders again for a new version", async () => {
    let version = '1';
    const server = app(() => version);
    const first = await request(server).get('/page').expect(200);
    const nonce = /nonce="([^"]+)"/.exec(first.text)?.[1];
    expect(first.text).to.equal(
      `<script nonce="${nonce}"></script><p>v1</p><style nonce="${nonce}"></style>`,
    );
    const second = await request(server).get('/page').expect(200);
    expect(second.text).to.not.equal(first.text);
    expect(second.text.split(/nonce="[^"]+"/)).to.deep.equal(first.text.split(/nonce="[^"]+"/));
    version = '2';
    expect((await request(server).get('/page').expect(200)).text).to.contain('<p>v2</p>');
  });

  it('refuses to keep a page that asks for a form token (500, nothing kept)', async () => {
    const server = app(() => '1');
    const res = await request(server).get('/form').expect(500);
    expect(res.text).to.contain('cannot carry a form token');
    expect(res.text).to.not.contain('one-sessions-token');
    await request(server).get('/form').expect(500);
  });

  it('answers 406 to a client that does not accept HTML', async () => {
    await request(app(() => '1'))
      .get('/page')
      .set('Accept', 'application/json')
      .expect(406);
  });
});
