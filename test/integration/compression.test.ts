import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import request from 'supertest';
import { ASSETS } from '../../src/platform/views.ts';
import { createTestGateway, csrfTokenFrom, listen, type TestGateway } from '../helpers/gateway.ts';

/** A GET whose body comes back as sent, still compressed. */
function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = (encoding: string | undefined, body: Buffer) =>
  encoding === 'br' ? zlib.brotliDecompressSync(body) : encoding === 'gzip' ? zlib.gunzipSync(body) : body;

describe('compressed answers', () => {
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    gateway = await createTestGateway();
    server = await listen(gateway.app);
  });
  after(async () => {
    await server.close();
    await gateway.close();
  });

  const css = `${ASSETS.bootstrapItalia}/css/bootstrap-italia.min.css`;
  const cssFile = readFileSync(path.join(ASSETS.bootstrapItaliaDir, 'css/bootstrap-italia.min.css'));

  for (const [accept, expected] of [
    ['br, gzip', 'br'],
    ['gzip', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
  ] as const) {
    it(`sends pages and the UI kit compressed with ${expected} for Accept-Encoding "${accept}"`, async () => {
      const page = await rawGet(`${server.url}/`, { 'Accept-Encoding': accept });
      expect(page.status).to.equal(200);
      expect(page.headers['content-encoding']).to.equal(expected);
      expect(page.headers.vary).to.match(/Accept-Encoding/i);
      expect(decode(expected, page.body).toString('utf8')).to.match(/^<!doctype html>/);

      const kit = await rawGet(`${server.url}${css}`, { 'Accept-Encoding': accept });
      expect(kit.status).to.equal(200);
      expect(kit.headers['content-encoding']).to.equal(expected);
      expect(kit.headers['content-type']).to.match(/^text\/css/);
      expect(kit.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
      expect(Number(kit.headers['content-length'])).to.equal(kit.body.length);
      expect(decode(expected, kit.body).equals(cssFile)).to.equal(true);
    });
  }

  it('compresses the UI kit to a fraction of its size, once, and answers its validator with 304', async () => {
    const first = await rawGet(`${server.url}${css}`, { 'Accept-Encoding': 'br' });
    expect(first.body.length).to.be.below(cssFile.length / 5);
    const etag = String(first.headers.etag);
    expect(etag).to.match(/-br"$/);
    const again = await rawGet(`${server.url}${css}`, { 'Accept-Encoding': 'br', 'If-None-Match': etag });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
    const head = await rawGet(`${server.url}${css}`, { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(head.headers['content-length']).to.equal(String(first.body.length));
    expect(head.body.length).to.equal(0);
  });

  it('sends files as they are to a client that takes no compression, or asks for a range', async () => {
    const plain = await rawGet(`${server.url}${css}`);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.body.equals(cssFile)).to.equal(true);
    const identity = await rawGet(`${server.url}${css}`, { 'Accept-Encoding': 'identity' });
    expect(identity.headers['content-encoding']).to.equal(undefined);
    const range = await rawGet(`${server.url}${css}`, { 'Accept-Encoding': 'br', Range: 'bytes=0-99' });
    expect(range.status).to.equal(206);
    expect(range.headers['content-encoding']).to.equal(undefined);
    expect(range.body.equals(cssFile.subarray(0, 100))).to.equal(true);
    // Fonts are compressed already: never again.
    const font = await rawGet(
      `${server.url}${ASSETS.bootstrapItalia}/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2`,
      { 'Accept-Encoding': 'br, gzip' },
    );
    expect(font.status).to.equal(200);
    expect(font.headers['content-encoding']).to.equal(undefined);
  });

  for (const hostile of [
    `${ASSETS.bootstrapItalia}/..%2f..%2fpackage.json`,
    `${ASSETS.bootstrapItalia}/%2e%2e/%2e%2e/package.json`,
    `${ASSETS.bootstrapItalia}/css/%00.css`,
    `${ASSETS.bootstrapItalia}/css/%E0%A4%A.css`,
    `${ASSETS.bootstrapItalia}/css/missing.css`,
    '/assets/../package.json',
  ]) {
    it(`serves nothing from outside the folders, compressed or not: ${hostile}`, async () => {
      const res = await rawGet(`${server.url}${hostile}`, { 'Accept-Encoding': 'br, gzip' });
      expect(res.status).to.be.oneOf([400, 403, 404]);
      expect(decode(res.headers['content-encoding'], res.body).toString('utf8')).to.not.contain(
        '"dependencies"',
      );
    });
  }

  it('masks the form token afresh in every page, so a compressed page tells nothing of it', async () => {
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) tokens.push(csrfTokenFrom((await agent.get('/me')).text));
    expect(new Set(tokens).size).to.equal(3);
    for (const token of tokens) expect(token).to.match(/^[A-Za-z0-9_-]{86}$/);
    // Each is accepted; one altered, or the bare session token, is not.
    const endOthers = (token: string) =>
      agent.post('/me/sessions/end-others').type('form').send({ _csrf: token });
    for (const token of tokens) await endOthers(token).expect(303);
    const altered = `${tokens[0]!.slice(0, 50)}${tokens[0]![50] === 'A' ? 'B' : 'A'}${tokens[0]!.slice(51)}`;
    await endOthers(altered).expect(403);
    await endOthers(tokens[0]!.slice(0, 43)).expect(403);
    await endOthers(`${tokens[0]!}A`).expect(403);
  });

  it('draws one mask per page, however many forms it shows', async () => {
    const agent = request.agent(gateway.app);
    await agent.get('/__test/login').expect(200);
    const pages = [(await agent.get('/me')).text, (await agent.get('/me')).text];
    const [first, second] = pages.map((page) =>
      [...page.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(first!.length).to.be.above(1);
    expect(new Set(first).size).to.equal(1);
    expect(new Set(second).size).to.equal(1);
    expect(first![0]).to.not.equal(second![0]);
  });
});
