import { expect } from 'chai';
import express, { Router } from 'express';
import request from 'supertest';
import { enteredByTheirPaths } from '../../src/platform/path-gate.ts';

describe('routers entered only by their own paths', () => {
  const routes = () => {
    const router = Router();
    router.get('/', (_req, res) => res.send('home'));
    router.get('/me/sessions', (_req, res) => res.send('sessions'));
    router.post('/services/:id/favourite', (_req, res) => res.send('favourite'));
    return router;
  };

  it('serves its routes whatever the case, with or without a trailing slash, and any query', async () => {
    const app = express().use(enteredByTheirPaths([routes()]));
    await request(app).get('/').expect(200, 'home');
    await request(app).get('/me/sessions').expect(200, 'sessions');
    await request(app).get('/ME/Sessions/').expect(200, 'sessions');
    await request(app).get('/me/sessions?x=/other').expect(200, 'sessions');
    await request(app).post('/services/a1/favourite').expect(200, 'favourite');
  });

  it('is not entered by other paths: the request goes on to what comes after', async () => {
    const router = routes();
    let tries = 0;
    // Every route the router tries is counted (the router's layers answer match(path)).
    for (const layer of router.stack as unknown as { match(path: string): boolean }[]) {
      const match = layer.match.bind(layer);
      layer.match = (path: string) => {
        tries++;
        return match(path);
      };
    }
    const app = express()
      .use(enteredByTheirPaths([router]))
      .use((_req, res) => res.status(404).send('after'));
    for (const path of ['/other', '/mex', '/servicesx/a1/favourite', '/%6de/sessions'])
      await request(app).get(path).expect(404, 'after');
    expect(tries).to.equal(0);
    await request(app).get('//me/sessions').expect(404, 'after'); // entered (empty first segment), no route
    await request(app).get('/me/sessions').expect(200);
    expect(tries).to.be.greaterThan(0);
  });

  it('is entered by every request when the router has middleware or a route starting with a parameter', async () => {
    const withMiddleware = routes();
    withMiddleware.use((req, res, next) => (req.path === '/anything' ? res.send('middleware') : next()));
    await request(express().use(enteredByTheirPaths([withMiddleware])))
      .get('/anything')
      .expect(200, 'middleware');

    const withParameter = Router();
    withParameter.get('/:lang/home', (req, res) => res.send(req.params.lang));
    await request(express().use(enteredByTheirPaths([withParameter])))
      .get('/en/home')
      .expect(200, 'en');
  });

  it('reads the paths of middleware mounted at a path (one or several), and of a mounted router', async () => {
    const router = Router();
    const seen: string[] = [];
    router.use(['/op/auth', '/op/session/end'], (req, _res, next) => {
      seen.push(`limit ${req.originalUrl}`);
      next();
    });
    router.use('/assets/kit/1.0', (req, res) => res.send(`asset ${req.path}`));
    const inner = Router();
    inner.get('/x', (_req, res) => res.send('inner x'));
    router.use('/OP', inner);
    router.get('/.well-known/openid-configuration', (_req, res) => res.send('discovery'));
    const app = express()
      .use(enteredByTheirPaths([router]))
      .use((req, res) => res.status(404).send(`after ${req.path}`));
    await request(app).get('/assets/kit/1.0/a.css').expect(200, 'asset /a.css');
    await request(app).get('/op/x').expect(200, 'inner x');
    await request(app).get('/op/auth/y').expect(404, 'after /op/auth/y');
    await request(app).get('/.well-known/openid-configuration').expect(200, 'discovery');
    await request(app).get('/assetsx/kit/1.0/a.css').expect(404, 'after /assetsx/kit/1.0/a.css');
    expect(seen).to.deep.equal(['limit /op/auth/y']);
  });

  it('is entered by every request when middleware is mounted at the root path', async () => {
    const router = Router();
    router.use('/', (_req, res) => res.send('root middleware'));
    router.get('/x', (_req, res) => res.send('x'));
    await request(express().use(enteredByTheirPaths([router])))
      .get('/anything')
      .expect(200, 'root middleware');
  });

  it('sees routes registered after it was mounted', async () => {
    const router = Router();
    const app = express().use(enteredByTheirPaths([router]));
    router.get('/late', (_req, res) => res.send('late'));
    await request(app).get('/late').expect(200, 'late');
  });
});

describe('several routers behind one handler, each entered only by its own paths', () => {
  /** A router that notes each request it is entered by, then serves `path` or passes on. */
  function noting(name: string, seen: string[], path: string, answer?: string) {
    const router = Router();
    router.get(path, (req, res, next) => {
      seen.push(`${name} ${req.path}`);
      return answer ? res.send(answer) : next();
    });
    return router;
  }

  it('tries, in their order, only the routers a path can enter, and those with root middleware', async () => {
    const seen: string[] = [];
    const everywhere = Router();
    everywhere.use((req, _res, next) => {
      seen.push(`everywhere ${req.path}`);
      next();
    });
    const app = express()
      .use(
        enteredByTheirPaths([
          noting('first', seen, '/', undefined),
          noting('services', seen, '/services', 'services'),
          everywhere,
          noting('home', seen, '/', 'home'),
        ]),
      )
      .use((req, res) => res.status(404).send(`after ${req.path}`));
    await request(app).get('/').expect(200, 'home');
    expect(seen).to.deep.equal(['first /', 'everywhere /', 'home /']);
    seen.length = 0;
    await request(app).get('/Services').expect(200, 'services');
    await request(app).get('/nowhere/x').expect(404, 'after /nowhere/x');
    await request(app).get('/other').expect(404, 'after /other');
    expect(seen).to.deep.equal(['services /Services', 'everywhere /nowhere/x', 'everywhere /other']);
  });

  it("passes a router's error on to the error handlers, past the routers after it", async () => {
    const seen: string[] = [];
    const failing = Router();
    failing.get('/x', (_req, _res, next) => next(new Error('broken')));
    const leaving = Router();
    leaving.get('/x', (_req, _res, next) => next('router'));
    const app = express()
      .use(enteredByTheirPaths([leaving, failing, noting('later', seen, '/x', 'later')]))
      .use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).send(error.message);
      });
    await request(app).get('/x').expect(500, 'broken');
    expect(seen).to.deep.equal([]);
  });
});
