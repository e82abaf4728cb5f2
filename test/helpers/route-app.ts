import express, { Router, type Express, type Request } from 'express';
import session from 'express-session';
import type { CitizenIdentity } from '../../src/identity/citizen.ts';
import type { SessionEntry, SessionIndex } from '../../src/citizen/session-index.ts';
import { createCsrf } from '../../src/platform/csrf.ts';
import { errorHandler, notFound } from '../../src/platform/error-handler.ts';
import { createI18n, languageMiddleware, readTranslations } from '../../src/platform/i18n.ts';
import { securityHeaders } from '../../src/platform/security.ts';
import { ASSETS, pageLocals, setUpViews } from '../../src/platform/views.ts';
import { TEST_ONLY_SESSION_SECRET, testCitizen } from './gateway.ts';

/**
 * A small app for route tests that need neither Redis nor the whole gateway: the platform's views,
 * languages, form tokens and error pages, sessions in express-session's MemoryStore, and the routers
 * under test built on fakes. GET /__test/login?fiscalCode=… starts a citizen's session.
 */
export async function routeApp(
  routers: readonly Router[],
  options: {
    /** How the test login starts the session (a real LoginSessions' `establish`); by default in the session only. */
    establish?: (req: Request, identity: CitizenIdentity) => Promise<void>;
  } = {},
): Promise<Express> {
  const app = express();
  setUpViews(app, { viewsDir: 'views', cache: true });
  app.use(securityHeaders({ https: false }));
  // The kit's whole stylesheet: these apps serve no assets, and their tests read the HTML.
  const assets = {
    bootstrapItalia: ASSETS.bootstrapItalia,
    kitStylesheet: `${ASSETS.bootstrapItalia}/css/bootstrap-italia.min.css`,
  };
  app.use(pageLocals({ name: 'Rete di prova', territory: 'Prato' }, assets));
  app.use(languageMiddleware(await createI18n(readTranslations())));
  const csrf = createCsrf({ secrets: [TEST_ONLY_SESSION_SECRET], secureCookie: false });
  app.use(csrf.locals);
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      store: new session.MemoryStore(),
      secret: TEST_ONLY_SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      unset: 'destroy',
    }),
  );
  app.use(csrf.protection([]));
  app.use((req, res, next) => {
    res.locals.citizen = req.session.citizen;
    next();
  });
  const login = Router();
  login.get('/__test/login', (req, res, next) => {
    const fiscalCode = typeof req.query.fiscalCode === 'string' ? req.query.fiscalCode : undefined;
    const identity = testCitizen(fiscalCode ? { fiscalCode } : {});
    const establish =
      options.establish ??
      (async (request: Request, citizen: CitizenIdentity) => {
        request.session.citizen = citizen;
        request.session.createdAt = Date.now();
      });
    establish(req, identity).then(() => res.json({ ok: true }), next);
  });
  app.use(login, ...routers);
  app.use(notFound);
  app.use(errorHandler('/api/'));
  return app;
}

/** A session index in memory, with the real one's interface (src/citizen/session-index.ts). */
export function fakeSessionIndex(): SessionIndex {
  const entries = new Map<string, string[]>();
  const remove = async (fiscalCode: string, sessionIds: string[]) => {
    entries.set(
      fiscalCode,
      (entries.get(fiscalCode) ?? []).filter((id) => !sessionIds.includes(id)),
    );
  };
  return {
    async add(fiscalCode, sessionId) {
      entries.set(fiscalCode, [...(entries.get(fiscalCode) ?? []), sessionId]);
    },
    async touch() {},
    async list(fiscalCode) {
      return (entries.get(fiscalCode) ?? []).map((sessionId): SessionEntry & { sessionId: string } => ({
        sessionId,
        handle: sessionId,
        userAgent: '',
        provider: 'spid',
        createdAt: 0,
        lastSeenAt: 0,
      }));
    },
    end: remove,
    remove,
  };
}
