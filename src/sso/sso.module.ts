import type { Request, RequestHandler, Response, Router } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Catalog } from '../catalog/catalog.module.ts';
import type { Config } from '../config/schema.ts';
import type { CitizenModule } from '../citizen/citizen.module.ts';
import type { Logger } from '../platform/logger.ts';
import type { OutboundHttp } from '../platform/outbound-http.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createAccessHistory } from './access-history.repository.ts';
import { createAccounts } from './accounts.repository.ts';
import { createBackChannelLogout } from './back-channel-logout.ts';
import { createClientSecretController } from './client-secret.controller.ts';
import { createClientSecrets } from './client-secrets.repository.ts';
import { createCatalogClientAdapter } from './clients.ts';
import { createConsents, type ConsentListener } from './consents.repository.ts';
import { createInteractionController } from './interaction.controller.ts';
import { createPersonalAreaController } from './personal-area.controller.ts';
import { createProvider } from './provider.ts';
import { createRedisAdapter } from './redis-adapter.ts';
import { loadPairwiseSalt, loadSigningKeys } from './signing-keys.ts';
import { createSsoSessions } from './sso-sessions.repository.ts';
import { ssoProviderRoutes, ssoRoutes, type ProviderLimits } from './sso.routes.ts';

/** Renders a gateway view into the provider's (koa) response, with the request's page locals. */
async function renderIntoKoa(ctx: KoaContextWithOIDC, view: string, locals: Record<string, unknown>) {
  const res = ctx.res as unknown as Response;
  const html = await new Promise<string>((resolve, reject) => {
    res.render(view, locals, (error: Error | null, out: string) => (error ? reject(error) : resolve(out)));
  });
  ctx.type = 'html';
  ctx.body = html;
}

/**
 * The gateway's OpenID Provider for bodies' services: oidc-provider on Redis, clients from the catalog,
 * consents, access history and back-channel logout. Returns its routers (`ownBodies`: the provider's
 * endpoints, which parse and protect their own requests; `pages`: interactions, the personal area's
 * forms and the client-secret API), its section of the personal area and what to do when gateway
 * sessions end.
 */
export function buildSso(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  inputs: {
    catalog: Pick<Catalog, 'repository' | 'writer' | 'linkPolicy'>;
    citizen: Pick<CitizenModule, 'keys' | 'cipher' | 'sessions'>;
    outbound: OutboundHttp;
    /** The gateway's session middleware: the provider's endpoints are mounted before it. */
    session: RequestHandler | RequestHandler[];
    limits: { provider: ProviderLimits; forms: RequestHandler; api: RequestHandler };
    authenticateBody: RequestHandler;
    /** Who is told when a logged-in citizen enters a body's service (the ratings record a use). */
    serviceEntered?: ReadonlyArray<
      (fiscalCode: string, service: { id: string; bodyId: string }) => Promise<unknown>
    >;
    /** Told of consents given and revoked, by service only (the usage statistics). */
    consentChanged?: ConsentListener;
  },
) {
  const { catalog, citizen } = inputs;
  const sessionTtlSeconds = config.session.absoluteLifetimeSeconds;
  const secrets = createClientSecrets(redis);
  const consents = createConsents(redis, citizen.keys, inputs.consentChanged);
  const history = createAccessHistory(redis, citizen.keys, { length: config.sso.historyLength });
  const accounts = createAccounts(redis, citizen.keys, citizen.cipher, { ttlSeconds: sessionTtlSeconds });
  const ssoSessions = createSsoSessions(redis, { ttlSeconds: sessionTtlSeconds });
  const clientAdapter = createCatalogClientAdapter(catalog.repository, secrets, catalog.linkPolicy);
  const adapter = (name: string) => (name === 'Client' ? clientAdapter : createRedisAdapter(redis, name));
  const log = logger.child({ module: 'sso' });

  const provider = createProvider({
    issuer: config.http.publicUrl,
    signingKeys: loadSigningKeys(config),
    cookieKeys: config.session.secrets,
    pairwiseSalt: loadPairwiseSalt(config),
    sessionTtlSeconds,
    adapter,
    accounts,
    consents,
    history,
    renderPage: renderIntoKoa,
    serviceTitle: async (clientId) => (await catalog.repository.getService(clientId))?.title,
    fetch: inputs.outbound.fetch,
    onError: (error) => log.warn({ reason: (error as Error)?.message }, 'provider error'),
  });
  provider.proxy = config.http.trustProxy !== false && config.http.trustProxy !== 0;

  // Which services each gateway session entered, for back-channel logout when that session ends.
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const { session, client } = ctx.oidc;
    const sessionId = (ctx.req as unknown as Request).sessionID;
    if (!session?.accountId || !client || !sessionId) return;
    ssoSessions
      .add(sessionId, {
        clientId: client.clientId,
        accountId: session.accountId,
        sid: session.sidFor(client.clientId) ?? '',
        opSession: session.jti,
      })
      .catch((error: unknown) => log.error({ err: error }, 'cannot record the service entered'));
    const fiscalCode = (ctx.req as unknown as Request).session?.citizen?.fiscalCode;
    const listeners = inputs.serviceEntered ?? [];
    if (!fiscalCode || listeners.length === 0) return;
    catalog.repository
      .getService(client.clientId)
      .then(async (service) => {
        if (service) for (const listener of listeners) await listener(fiscalCode, service);
      })
      .catch((error: unknown) => log.error({ err: error }, 'cannot tell who listens of the service entered'));
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => log.error({ err: error }, 'provider failure'));

  /**
   * A service's logout where the citizen chose "also log out of the portal" (logout=yes): the provider
   * has ended its session and told the other services; the gateway session ends too, at once (detached
   * from the request before the response is written), then its index entry.
   */
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const req = ctx.req as unknown as Request;
    const signedIn = req.session?.citizen;
    if (!ctx.oidc.params?.logout || !signedIn) return;
    const sessionId = req.sessionID;
    req.session.destroy(() => undefined);
    Promise.all([ssoSessions.take(sessionId), citizen.sessions.end(signedIn.fiscalCode, [sessionId])]).catch(
      (error: unknown) => log.error({ err: error }, 'cannot end the gateway session'),
    );
  });

  const sessionsEnded = createBackChannelLogout({
    provider,
    ssoSessions,
    opSessions: adapter('Session'),
    logger: log,
  });

  /** Destroys grants and every token issued under them. */
  async function revokeGrants(grantIds: string[]) {
    await Promise.all(
      grantIds.map(async (grantId) => {
        const grant = await provider.Grant.find(grantId);
        await grant?.destroy();
        for (const model of ['AccessToken', 'AuthorizationCode', 'RefreshToken']) {
          await adapter(model).revokeByGrantId(grantId);
        }
      }),
    );
  }

  const personalArea = createPersonalAreaController({
    catalog: catalog.repository,
    consents,
    history,
    revokeGrants,
    sessionsOf: async (fiscalCode) =>
      (await citizen.sessions.list(fiscalCode)).map((entry) => entry.sessionId),
    endServices: sessionsEnded,
  });
  const ownBodies: Router[] = [
    ssoProviderRoutes(
      provider.callback() as unknown as RequestHandler,
      inputs.session,
      inputs.limits.provider,
    ),
  ];
  const pages: Router[] = [
    ssoRoutes(
      {
        interactions: createInteractionController({
          provider,
          catalog: catalog.repository,
          accounts,
          consents,
        }),
        personalArea,
        clientSecret: createClientSecretController({
          writer: catalog.writer,
          repository: catalog.repository,
          secrets,
        }),
      },
      {
        formLimit: inputs.limits.forms,
        apiLimit: inputs.limits.api,
        bodyAuthentication: inputs.authenticateBody,
      },
    ),
  ];

  return {
    provider,
    secrets,
    consents,
    history,
    accounts,
    ssoSessions,
    revokeGrants,
    /** Back-channel logout of the services a gateway session entered, when those sessions end. */
    sessionsEnded,
    /** The personal area's section of consents and data released (the page is identity's). */
    personalAreaSection: personalArea.personalArea,
    routers: { ownBodies, pages },
  };
}

export type Sso = ReturnType<typeof buildSso>;
