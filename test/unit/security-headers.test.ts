import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { helmetMiddleware, securityHeaders } from '../../src/platform/security.ts';

/** The headers an app with `middleware` answers, the nonce replaced by NONCE. */
async function headersWith(middleware: RequestHandler[]) {
  const app = express();
  app.disable('x-powered-by');
  app.use(...middleware, (_req, res) => res.send('ok'));
  const res = await request(app).get('/').expect(200);
  const csp = String(res.headers['content-security-policy']);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] ?? 'no nonce';
  const headers = { ...(res.headers as Record<string, string>) };
  delete headers.date;
  delete headers.etag;
  return { nonce, headers: JSON.parse(JSON.stringify(headers).split(nonce).join('NONCE')) as object };
}

describe('security headers', () => {
  for (const https of [false, true])
    it(`are helmet's own, with a new nonce per response (https: ${https})`, async () => {
      const ours = await headersWith([securityHeaders({ https })]);
      const again = await headersWith([securityHeaders({ https })]);
      // helmet itself, given the nonce the way the pages get it.
      const nonce: RequestHandler = (_req, res, next) => {
        res.locals.cspNonce = 'fixed-nonce';
        res.setHeader('Cache-Control', 'no-store');
        next();
      };
      const helmets = await headersWith([nonce, helmetMiddleware({ https })]);
      expect(ours.headers).to.deep.equal(helmets.headers);
      expect(ours.nonce).to.match(/^[A-Za-z0-9+/]{22}==$/);
      expect(again.nonce).to.not.equal(ours.nonce);
      expect(Object.keys(ours.headers)).to.include.members([
        'content-security-policy',
        'x-frame-options',
        'x-content-type-options',
        'referrer-policy',
        'cache-control',
        ...(https ? ['strict-transport-security'] : []),
      ]);
    });
});
