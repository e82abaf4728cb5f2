import { createPrivateKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import type { Logger } from '../../platform/logger.ts';
import { classifyLoginFailure, OidcError } from './oidc-errors.ts';
import type { ProviderDescriptor } from './provider-descriptor.ts';

export interface RegistryOptions {
  timeoutSeconds: number;
  clockToleranceSeconds: number;
  refreshSeconds: number;
  retrySeconds: number;
  /** http:// issuers are accepted outside production only (local and test providers). */
  allowHttp: boolean;
}

/** A provider whose metadata is known in-process (the demo provider): no discovery request needed. */
export interface KnownMetadata {
  server: client.ServerMetadata;
  jwks: { keys: Array<Record<string, unknown>> };
  /** The private_key_jwt key, when it is generated in-process rather than read from auth.keyFile. */
  signingKey?: SigningKey;
}

const SIGNING_PARAMS: Record<string, RsaHashedImportParams | EcKeyImportParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
};

/** A private key the gateway signs with for a provider (client assertions, request objects). */
export interface SigningKey {
  key: CryptoKey;
  kid?: string;
}

/**
 * How the gateway authenticates at the provider's token endpoint, from the descriptor; with
 * private_key_jwt, also the key (which signs the request objects too).
 */
async function clientAuthentication(
  d: ProviderDescriptor,
): Promise<{ auth: client.ClientAuth; signingKey?: SigningKey }> {
  if (d.auth.method === 'client_secret_basic') return { auth: client.ClientSecretBasic(d.auth.secret ?? '') };
  const file = d.auth.keyFile ?? '';
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`OpenID Connect provider "${d.id}": cannot read auth.keyFile ${file}`);
  }
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  const params = SIGNING_PARAMS[d.auth.alg];
  if (!params) throw new Error(`OpenID Connect provider "${d.id}": unsupported auth.alg ${d.auth.alg}`);
  const key = await webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
  const signingKey: SigningKey = d.auth.kid ? { key, kid: d.auth.kid } : { key };
  return { auth: client.PrivateKeyJwt(signingKey), signingKey };
}

interface Entry {
  descriptor: ProviderDescriptor;
  auth: client.ClientAuth;
  signingKey?: SigningKey;
  known?: KnownMetadata;
  configuration?: client.Configuration;
  inflight?: Promise<client.Configuration>;
  timer?: NodeJS.Timeout;
}

/**
 * The enabled OpenID Connect providers and their discovered metadata. Discovery runs at start and again
 * every `refreshSeconds` (sooner after a failure); a failed refresh keeps the last good copy. A login
 * for a provider whose metadata never loaded tries discovery once more, then fails 502/504.
 */
export async function createProviderRegistry(
  descriptors: readonly ProviderDescriptor[],
  options: RegistryOptions,
  logger: Logger,
  known: ReadonlyMap<string, KnownMetadata> = new Map(),
) {
  const entries = new Map<string, Entry>();
  for (const descriptor of descriptors.filter((d) => d.enabled)) {
    if (descriptor.issuer.startsWith('http:') && !options.allowHttp) {
      throw new Error(
        `OpenID Connect provider "${descriptor.id}": the issuer must be https:// in production`,
      );
    }
    const metadata = known.get(descriptor.id);
    entries.set(descriptor.id, {
      descriptor,
      ...(metadata?.signingKey
        ? { auth: client.PrivateKeyJwt(metadata.signingKey), signingKey: metadata.signingKey }
        : await clientAuthentication(descriptor)),
      ...(metadata ? { known: metadata } : {}),
    });
  }

  const clientMetadata = (): Partial<client.ClientMetadata> => ({
    [client.clockTolerance]: options.clockToleranceSeconds,
  });
  // openid-client skips the id_token signature check for tokens fetched over TLS (OIDC Core 3.1.3.7 allows
  // it); the gateway checks it anyway: the identity of a citizen rests on that signature, and a login
  // is kept as evidence (non-repudiation). http:// issuers only outside production (local, tests).
  const execute = (d: ProviderDescriptor) => [
    client.enableNonRepudiationChecks,
    ...(d.issuer.startsWith('http:') ? [client.allowInsecureRequests] : []),
  ];

  async function load(entry: Entry): Promise<client.Configuration> {
    const d = entry.descriptor;
    if (entry.known) {
      const configuration = new client.Configuration(
        entry.known.server,
        d.clientId ?? '',
        clientMetadata(),
        entry.auth,
      );
      for (const apply of execute(d)) apply(configuration);
      configuration.timeout = options.timeoutSeconds;
      client.setJwksCache(configuration, {
        jwks: entry.known.jwks as never,
        uat: Math.floor(Date.now() / 1000),
      });
      return configuration;
    }
    return client.discovery(new URL(d.issuer), d.clientId ?? '', clientMetadata(), entry.auth, {
      timeout: options.timeoutSeconds,
      execute: execute(d),
    });
  }

  function schedule(entry: Entry, seconds: number) {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void refresh(entry), seconds * 1000);
    entry.timer.unref();
  }

  /** Fetches the metadata again; on failure keeps the last good copy and retries sooner. */
  function refresh(entry: Entry): Promise<client.Configuration> {
    entry.inflight ??= load(entry)
      .then((configuration) => {
        entry.configuration = configuration;
        schedule(entry, options.refreshSeconds);
        return configuration;
      })
      .catch((error: unknown) => {
        logger.warn(
          { provider: entry.descriptor.id, code: classifyLoginFailure(error).code },
          'oidc discovery failed',
        );
        schedule(entry, options.retrySeconds);
        throw error;
      })
      .finally(() => {
        entry.inflight = undefined;
      });
    return entry.inflight;
  }

  const started = [...entries.values()].map((entry) => refresh(entry).catch(() => undefined));

  return {
    /** The enabled providers, as described. */
    list: () => [...entries.values()].map((e) => e.descriptor),

    get: (id: string) => entries.get(id)?.descriptor,

    /** The key request objects for the provider are signed with (private_key_jwt providers only). */
    signingKey: (id: string) => entries.get(id)?.signingKey,

    /** The provider's client configuration; discovery is retried now if it never loaded. */
    async configuration(id: string): Promise<client.Configuration> {
      const entry = entries.get(id);
      if (!entry) throw new OidcError('oidc_unknown_provider');
      if (entry.configuration) return entry.configuration;
      try {
        return await refresh(entry);
      } catch (error) {
        const failure = classifyLoginFailure(error);
        throw failure.status >= 500 ? failure : new OidcError('oidc_provider_down', { cause: error });
      }
    },

    /**
     * Fetches the provider's metadata now (what the timer does); true when it loaded. A failure keeps
     * the last good copy, so logins go on while the provider's discovery document is unreachable.
     */
    async refresh(id: string): Promise<boolean> {
      const entry = entries.get(id);
      if (!entry) return false;
      return refresh(entry).then(
        () => true,
        () => false,
      );
    },

    /** Whether the provider's metadata has loaded at least once (readiness). */
    loaded: (id: string) => Boolean(entries.get(id)?.configuration),

    /** Resolves once the first discovery of every provider has succeeded or failed (tests, tools). */
    settled: () => Promise.all(started).then(() => undefined),

    close() {
      for (const entry of entries.values()) clearTimeout(entry.timer);
    },
  };
}

export type ProviderRegistry = Awaited<ReturnType<typeof createProviderRegistry>>;
