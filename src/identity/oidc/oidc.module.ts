import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import type { Router } from 'express';
import type { Config } from '../../config/schema.ts';
import { createDemoOpController, demoOpPages } from '../../demo/oidc-op/demo-op.controller.ts';
import { DEMO_OP_LOGIN_PATH, DEMO_OP_PATH, demoOpRoutes } from '../../demo/oidc-op/demo-op.routes.ts';
import { createDemoOp, DEMO_ACR, type DemoOp } from '../../demo/oidc-op/demo-op.ts';
import { CIE_FISCAL_NUMBER, DEMO_OIDC_IDENTITIES } from '../../demo/oidc-op/identities.ts';
import type { ReadinessCheck } from '../../platform/health.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import type { LoginOption, LogoutHandler } from '../identity.controller.ts';
import type { LoginLimits } from '../login-limits.ts';
import type { LoginSessions } from '../login-session.ts';
import { createFlowStore } from './flow-store.ts';
import { createOidcController } from './oidc.controller.ts';
import { oidcRoutes } from './oidc.routes.ts';
import { createOidcRelyingParty } from './oidc.service.ts';
import { loadDescriptors, parseDescriptor, type ProviderDescriptor } from './provider-descriptor.ts';
import { createProviderRegistry, type KnownMetadata } from './provider-registry.ts';

const DEMO_CLIENT_ID = 'varco-demo';

/** An ES256 key pair for the demo client: the private CryptoKey for the gateway, the public JWK for the provider. */
async function demoClientKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(8).toString('hex');
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ]);
  return {
    signingKey: { key, kid },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  };
}

/**
 * In demo mode the demo provider stands in for CIE: the CIE descriptor (providers/oidc/cie.yaml, or
 * the same mapping built in when the folder has none) pointed at the demo provider, unless CIE is
 * really configured and enabled. As with CIE id, the gateway authenticates with private_key_jwt and
 * signs its requests, here with a key generated at start.
 */
async function demoCie(config: Readonly<Config>, descriptors: ProviderDescriptor[]) {
  const base = config.http.publicUrl.replace(/\/+$/, '');
  const clientKey = await demoClientKey();
  const op = createDemoOp({
    issuer: `${base}${DEMO_OP_PATH}`,
    clients: [
      {
        client_id: DEMO_CLIENT_ID,
        jwks: { keys: [clientKey.publicJwk] },
        redirect_uris: [`${base}/oidc/callback/cie`],
        post_logout_redirect_uris: [`${base}/`],
      },
    ],
    identities: DEMO_OIDC_IDENTITIES,
    interactionPath: (uid) => `${DEMO_OP_LOGIN_PATH}/${uid}`,
    pages: demoOpPages,
  });
  const file = descriptors.find((d) => d.id === 'cie');
  const descriptor: ProviderDescriptor = {
    ...(file ??
      parseDescriptor(
        'cie',
        {
          issuer: op.issuer,
          kind: 'cie',
          scopes: ['openid'],
          claimsParameter: true,
          userinfo: false,
          claims: {
            fiscalCode: CIE_FISCAL_NUMBER,
            name: 'given_name',
            familyName: 'family_name',
            dateOfBirth: 'birthdate',
            email: 'email',
          },
          acr: DEMO_ACR,
          label: { it: 'CIE (demo)', en: 'CIE (demo)' },
        },
        {},
      )),
    issuer: op.issuer,
    enabled: true,
    clientId: DEMO_CLIENT_ID,
    auth: { method: 'private_key_jwt', alg: 'ES256', kid: clientKey.signingKey.kid },
    requestObject: true,
    name: 'CIE (demo)',
    label: { it: 'Entra con CIE (demo)', en: 'Log in with CIE (demo)' },
  };
  const known: KnownMetadata = {
    server: op.metadata,
    jwks: { keys: [op.publicJwk] },
    signingKey: clientKey.signingKey,
  };
  return { op, descriptor, known };
}

/** Login page order: CIE right after SPID (AgID), then the other providers by `order`, then id. */
const byPlacement = (a: ProviderDescriptor, b: ProviderDescriptor) =>
  Number(b.kind === 'cie') - Number(a.kind === 'cie') || a.order - b.order || a.id.localeCompare(b.id);

/**
 * Builds the OpenID Connect relying party from the provider descriptors and plugs it in where identity
 * providers do: a login option and a logout handler per provider, a readiness check per provider
 * ("oidc-<id>", false while its metadata never loaded), and in demo mode the demo provider as CIE.
 */
export async function buildOidc(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  plug: {
    readiness: ReadinessCheck[];
    loginOptions: LoginOption[];
    logoutHandlers: Record<string, LogoutHandler>;
  },
) {
  let descriptors = loadDescriptors(config.oidc.providersDir, config.oidc.environment);
  const known = new Map<string, KnownMetadata>();
  let demoOp: DemoOp | undefined;
  const cieConfigured = descriptors.some((d) => d.id === 'cie' && d.enabled);
  if (config.demo && config.env !== 'production' && !cieConfigured) {
    const demo = await demoCie(config, descriptors);
    demoOp = demo.op;
    descriptors = [...descriptors.filter((d) => d.id !== 'cie'), demo.descriptor];
    known.set('cie', demo.known);
  }
  const registry = await createProviderRegistry(
    descriptors,
    {
      timeoutSeconds: config.oidc.timeoutSeconds,
      clockToleranceSeconds: config.oidc.clockToleranceSeconds,
      refreshSeconds: config.oidc.discoveryRefreshSeconds,
      retrySeconds: config.oidc.discoveryRetrySeconds,
      allowHttp: config.env !== 'production',
    },
    logger,
    known,
  );
  const rp = createOidcRelyingParty({
    registry,
    flows: createFlowStore(redis, config.oidc.stateTtlSeconds),
    publicUrl: config.http.publicUrl,
  });

  for (const d of [...registry.list()].sort(byPlacement)) {
    plug.loginOptions.push({
      id: d.id,
      label: d.label.it,
      labels: d.label,
      href: `/oidc/login/${d.id}`,
      kind: d.kind,
      ...(d.logo ? { logo: d.logo } : {}),
    });
    plug.logoutHandlers[d.id] = () => rp.logoutUrl(d.id);
    plug.readiness.push({ name: `oidc-${d.id}`, check: async () => registry.loaded(d.id) });
  }

  return {
    rp,
    registry,
    demoOp,
    /** A provider's name for people ("CIE"), by provider id; undefined for non-OIDC ones. */
    providerName: (id: string, language: string) => {
      const d = registry.get(id);
      return d ? (d.name ?? (language === 'en' ? d.label.en : d.label.it)) : undefined;
    },
  };
}

export type OidcModule = Awaited<ReturnType<typeof buildOidc>>;

/**
 * The relying party's routes (`pages`: after sessions and CSRF) and, when demo mode built one, the demo
 * provider (`provider`: mounted before the body parsers and CSRF, since oidc-provider parses and
 * protects its own requests) with its login page among the pages.
 */
export function oidcRouters(
  oidc: OidcModule,
  deps: { loginSessions: LoginSessions; loginLimits: LoginLimits },
): { provider: Router[]; pages: Router[] } {
  const pages = [
    oidcRoutes(createOidcController({ rp: oidc.rp, loginSessions: deps.loginSessions }), deps.loginLimits),
  ];
  if (!oidc.demoOp) return { provider: [], pages };
  const demo = demoOpRoutes(oidc.demoOp, createDemoOpController(oidc.demoOp));
  return { provider: [demo.provider], pages: [...pages, demo.pages] };
}
