import type { Config } from '../../config/schema.ts';
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
import { loadDescriptors, type ProviderDescriptor } from './provider-descriptor.ts';
import { createProviderRegistry, type KnownMetadata } from './provider-registry.ts';

/** Login page order: CIE right after SPID (AgID), then the other providers by `order`, then id. */
const byPlacement = (a: ProviderDescriptor, b: ProviderDescriptor) =>
  Number(b.kind === 'cie') - Number(a.kind === 'cie') || a.order - b.order || a.id.localeCompare(b.id);

/** A provider given in code rather than in the descriptors' folder, with metadata already known. */
export interface BuiltInProvider {
  descriptor: ProviderDescriptor;
  known: KnownMetadata;
}

/**
 * Builds the OpenID Connect relying party from the provider descriptors (and `builtIn` providers, which
 * replace a descriptor of the same id: demo mode's stand-in for CIE) and returns what it contributes: a
 * login option and a logout handler per provider, a readiness check per provider ("oidc-<id>", false
 * while its metadata never loaded), and its login routes.
 */
export async function buildOidc(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  inputs: { loginSessions: LoginSessions; loginLimits: LoginLimits; builtIn?: readonly BuiltInProvider[] },
) {
  const builtIn = inputs.builtIn ?? [];
  const descriptors = [
    ...loadDescriptors(config.oidc.providersDir, config.oidc.environment).filter(
      (d) => !builtIn.some((b) => b.descriptor.id === d.id),
    ),
    ...builtIn.map((b) => b.descriptor),
  ];
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
    new Map(builtIn.map((b) => [b.descriptor.id, b.known])),
  );
  const rp = createOidcRelyingParty({
    registry,
    flows: createFlowStore(redis, config.oidc.stateTtlSeconds),
    publicUrl: config.http.publicUrl,
  });
  const providers = [...registry.list()].sort(byPlacement);

  return {
    rp,
    registry,
    /** A provider's name for people ("CIE"), by provider id; undefined for non-OIDC ones. */
    providerName: (id: string, language: string) => {
      const d = registry.get(id);
      return d ? (d.name ?? (language === 'en' ? d.label.en : d.label.it)) : undefined;
    },
    loginOptions: providers.map((d): LoginOption => ({
      id: d.id,
      label: d.label.it,
      labels: d.label,
      href: `/oidc/login/${d.id}`,
      kind: d.kind,
      ...(d.logo ? { logo: d.logo } : {}),
    })),
    logoutHandlers: Object.fromEntries(
      providers.map((d): [string, LogoutHandler] => [d.id, () => rp.logoutUrl(d.id)]),
    ),
    readiness: providers.map((d): ReadinessCheck => ({
      name: `oidc-${d.id}`,
      check: async () => registry.loaded(d.id),
    })),
    routers: [
      oidcRoutes(createOidcController({ rp, loginSessions: inputs.loginSessions }), inputs.loginLimits),
    ],
  };
}

export type OidcModule = Awaited<ReturnType<typeof buildOidc>>;
