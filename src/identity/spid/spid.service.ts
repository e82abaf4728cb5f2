import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import { BadRequestError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import { LEVELS, type Level } from '../citizen.ts';
import { createAssertionVerifier } from './assertion-verifier.ts';
import { buildAuthnRequest } from './authn-request.ts';
import type { SessionIndex } from '../../citizen/session-index.ts';
import { createIdpRegistry, type IdpRegistryOptions } from './idp-registry.ts';
import { createLogoutStore } from './logout-store.ts';
import { createSingleLogout } from './single-logout.ts';
import { createCompletedRequests, createRequestStore } from './request-store.ts';
import { createBrowserBinding } from './browser-binding.ts';
import { createResponseValidator } from './response-validator.ts';
import { redirectUrl } from './redirect-binding.ts';
import { samlId } from './saml-constants.ts';
import { describeServiceProvider, spEntityId } from './service-provider.ts';
import { loadSpKeyPair } from './sp-keys.ts';
import { buildSpMetadata } from './sp-metadata.ts';
import { loadIdpLogos } from './idp-logos.ts';

/** One IdP of the SPID button. */
export interface SpidChoice {
  entityId: string;
  name: string;
  loginUrl: string;
  /** AgID's logo of this IdP (a local asset path), when there is one. */
  logo: string | undefined;
}

export function parseLevel(raw: unknown): Level | undefined {
  const level = typeof raw === 'string' && /^[123]$/.test(raw) ? Number(raw) : NaN;
  return LEVELS.find((l) => l === level);
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const swap = out[i] as T;
    out[i] = out[j] as T;
    out[j] = swap;
  }
  return out;
}

const pemOrFile = (pem: string | undefined, file: string | undefined) =>
  pem ?? (file ? readFileSync(file, 'utf8') : undefined);

/**
 * The gateway as a SPID service provider: metadata, AuthnRequests, Response validation.
 * Refuses to build (and so the gateway to start) when production configuration is incomplete.
 */
export async function createSpid(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  sessionIndex: SessionIndex,
  options: { fetchText?: IdpRegistryOptions['fetchText'] } = {},
) {
  const sp = describeServiceProvider(config, loadSpKeyPair(config, spEntityId(config)));
  const logoOf = loadIdpLogos(config.spid.idpLogosFile);
  const registryCert = pemOrFile(config.spid.registry.cert, config.spid.registry.certFile);
  const idps = createIdpRegistry(
    {
      metadataDir: config.spid.metadataDir,
      ...(config.spid.registry.url
        ? {
            registry: {
              url: config.spid.registry.url,
              refreshSeconds: config.spid.registry.refreshSeconds,
              ...(registryCert ? { cert: registryCert } : {}),
            },
          }
        : {}),
      ...(options.fetchText ? { fetchText: options.fetchText } : {}),
    },
    logger,
  );
  await idps.start();
  const requests = createRequestStore(redis, sp.requestTtlSeconds);
  const binding = createBrowserBinding({
    secure: config.http.publicUrl.startsWith('https://'),
    maxAgeSeconds: sp.requestTtlSeconds,
  });
  let metadata: string | undefined;

  return {
    sp,
    idps,
    requests,
    binding,
    validateResponse: createResponseValidator({
      sp,
      idps,
      requests,
      completed: createCompletedRequests(redis, sp.requestTtlSeconds),
      browserOf: binding.of,
      verifyAssertion: createAssertionVerifier(sp),
    }),
    singleLogout: createSingleLogout({
      sp,
      idps,
      sessionIndex,
      store: createLogoutStore(redis, {
        sessionTtlSeconds: config.session.absoluteLifetimeSeconds,
        requestTtlSeconds: sp.requestTtlSeconds,
      }),
    }),

    /** Signed SP metadata; signed once per process (it changes only with the configuration). */
    metadata(): string {
      metadata ??= buildSpMetadata(sp, sp.keys);
      return metadata;
    },

    /** Starts a login: records the request in Redis and returns the IdP URL (HTTP-Redirect binding). */
    async startLogin(input: {
      idp: unknown;
      level: unknown;
      /** Ask the IdP to authenticate the citizen again even at level 1 (ForceAuthn). */
      fresh?: boolean;
      returnTo: string;
      /** The hash of the browser's binding (browser-binding.ts). */
      browser: string;
      replaces?: { sessionId: string; fiscalCode: string } | undefined;
    }): Promise<string> {
      const idp = typeof input.idp === 'string' ? idps.get(input.idp) : undefined;
      const level = parseLevel(input.level);
      if (!idp) throw new BadRequestError('spid_unknown_idp');
      if (!level) throw new BadRequestError('spid_unknown_level');
      const id = samlId(randomBytes(20).toString('hex'));
      const issuedAt = Date.now();
      // RelayState is an opaque random value checked against the stored request, never a URL.
      const relayState = randomBytes(16).toString('base64url');
      await requests.save(id, {
        idp: idp.entityId,
        level,
        issuedAt,
        relayState,
        returnTo: input.returnTo,
        browser: input.browser,
        ...(input.replaces ? { replaces: input.replaces } : {}),
      });
      const xml = buildAuthnRequest({
        id,
        issuedAt,
        spEntityId: sp.entityId,
        destination: idp.ssoRedirect,
        level,
        forceAuthn: input.fresh === true,
      });
      return redirectUrl(idp.ssoRedirect, 'SAMLRequest', xml, relayState, sp.keys.key);
    },

    /**
     * Ends the session a step-up replaced. The IdP's POST to the ACS is cross-site, so the browser
     * does not send the old session's cookie with it and regeneration cannot end it; without this it
     * would linger in Redis and in the citizen's list of active sessions until its idle timeout.
     */
    async endReplacedSession(replaced: { sessionId: string; fiscalCode: string }, current: string) {
      if (replaced.sessionId !== current) await sessionIndex.end(replaced.fiscalCode, [replaced.sessionId]);
    },

    /** The IdPs for the SPID button, in a fresh random order each time (AgID's button guidelines). */
    choices(level: Level = 1, returnTo?: string): SpidChoice[] {
      const next = returnTo ? `&next=${encodeURIComponent(returnTo)}` : '';
      return shuffled(idps.list()).map((idp) => ({
        entityId: idp.entityId,
        name: idp.name,
        loginUrl: `/spid/login?idp=${encodeURIComponent(idp.entityId)}&level=${level}${next}`,
        logo: logoOf(idp.entityId),
      }));
    },
  };
}

export type Spid = Awaited<ReturnType<typeof createSpid>>;
