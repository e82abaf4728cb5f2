import { z } from 'zod';
import { citizenConfigSchema } from '../citizen/citizen.config.ts';
import { mailConfigSchema } from '../mail/mail.config.ts';
import { participationConfigSchema } from '../participation/participation.config.ts';
import { statsConfigSchema } from '../stats/stats.config.ts';
import { proceduresConfigSchema } from '../procedures/procedures.config.ts';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().int().positive();
const hostPort = z.strictObject({ host: z.string().min(1), port });

const redisSchema = z
  .strictObject({
    /** redis:// or rediss:// URL of a single server. */
    url: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Sentinel: the master's name and the sentinels to ask for it. */
    sentinel: z
      .strictObject({
        name: z.string().min(1),
        nodes: z.array(hostPort).min(1),
        password: z.string().optional(),
      })
      .optional(),
    /** Cluster: seed nodes, as redis:// URLs. */
    cluster: z.strictObject({ nodes: z.array(z.url({ protocol: /^rediss?$/ })).min(1) }).optional(),
    /** Every key the gateway writes starts with this prefix. */
    prefix: z
      .string()
      .regex(/^[a-z0-9:_-]+$/i)
      .default('varco:'),
    /** Private redis-server started by the gateway when nothing else is configured or reachable. */
    embedded: z
      .strictObject({
        enabled: z.boolean().default(true),
        binary: z.string().default('redis-server'),
        dir: z.string().default('var/redis'),
        /** Where a Redis already running on this machine is looked for before starting one. */
        probe: hostPort.default({ host: '127.0.0.1', port: 6379 }),
      })
      .prefault({}),
    connectTimeoutMs: z.number().int().positive().default(2000),
    maxReconnectDelayMs: z.number().int().positive().default(5000),
    /**
     * How long Redis may leave commands unanswered on an open connection (a frozen server, a network
     * that drops packets) before the gateway gives up on them: their requests get a 503 and the
     * connection is made again.
     */
    commandTimeoutMs: z.number().int().min(100).default(5000),
  })
  .refine((r) => [r.url, r.sentinel, r.cluster].filter(Boolean).length <= 1, {
    message: 'set only one of redis.url, redis.sentinel and redis.cluster',
  });

/** SPID service provider (src/identity/spid): SPID technical rules and AgID Avviso SPID n.29 v3. */
const spidSchema = z
  .strictObject({
    /** The SP's entityID; defaults to the public URL (a URL of ours, as the SPID rules require). */
    entityId: z.url({ protocol: /^https?$/ }).optional(),
    /** SP signing key and certificate: PEM text or file paths. Demo mode generates a pair under var/spid. */
    key: z.string().optional(),
    cert: z.string().optional(),
    keyFile: z.string().optional(),
    certFile: z.string().optional(),
    /** Where demo mode keeps its generated development keys (never committed). */
    varDir: z.string().default('var/spid'),
    organization: z
      .strictObject({
        name: z.string().min(1).default('Varco demo'),
        displayName: z.string().min(1).default('Varco demo'),
        url: z.url().default('http://localhost:3000'),
        /** Codice IPA of the public body (spid:IPACode; organizationIdentifier "PA:IT-<code>"). */
        ipaCode: z
          .string()
          .regex(/^[a-z0-9_]{1,32}$/i)
          .default('c_g999'),
        locality: z.string().min(1).default('Prato'),
        email: z.email().default('spid@example.invalid'),
        phone: z
          .string()
          .regex(/^\+39\d{6,12}$/)
          .optional(),
      })
      .prefault({}),
    serviceName: z.string().min(1).default('Varco'),
    /** SPID attribute names asked for (AttributeConsumingService index 0). */
    attributes: z
      .array(z.string().regex(/^[a-zA-Z]+$/))
      .min(1)
      .default(['spidCode', 'name', 'familyName', 'fiscalNumber', 'dateOfBirth', 'email']),
    /** Tolerated clock difference with the IdPs, in seconds (bounded). */
    clockSkewSeconds: z.number().int().min(0).max(300).default(60),
    /** How long an AuthnRequest waits for its answer. */
    requestTtlSeconds: seconds.max(3600).default(600),
    /** Folder of trusted IdP metadata files (EntityDescriptor or EntitiesDescriptor). */
    metadataDir: z.string().default('providers/spid'),
    /** The SPID button's IdP logos: entityID → one of AgID's logo files (src/identity/spid/idp-logos.ts). */
    idpLogosFile: z.string().default('providers/spid/idp-logos.json'),
    registry: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }).optional(),
        refreshSeconds: seconds.default(24 * 60 * 60),
        /** PEM certificate (or a file path to one) that must sign the registry's aggregate. */
        cert: z.string().optional(),
        certFile: z.string().optional(),
      })
      .prefault({}),
  })
  .prefault({});

/** OpenID Connect relying party (src/identity/oidc): providers are YAML descriptors in `providersDir`. */
const oidcSchema = z
  .strictObject({
    /** Folder of provider descriptors (one YAML file per provider). */
    providersDir: z.string().default('providers/oidc'),
    /** The OIDC_* environment variables descriptors may refer to ({ env: OIDC_… }); filled by loadConfig. */
    environment: z.record(z.string(), z.string()).default({}),
    /** Bound on every request to a provider (discovery, token, userinfo), in seconds. */
    timeoutSeconds: z.number().positive().max(60).default(10),
    /** Tolerated clock difference with the providers when checking an id_token, in seconds (bounded). */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(60),
    /** How long a started login waits for its callback. */
    stateTtlSeconds: seconds.max(3600).default(600),
    /** How often each provider's discovery document is fetched again; a failed fetch retries sooner. */
    discoveryRefreshSeconds: seconds.default(60 * 60),
    discoveryRetrySeconds: seconds.default(30),
  })
  .prefault({});

const rateLimitSchema = z.strictObject({ windowSeconds: seconds, max: z.number().int().positive() });

export const configSchema = z.strictObject({
  env: z.enum(['development', 'test', 'production']),
  /** Demo mode: demo identity providers, demo body systems and the demo catalog. */
  demo: z.boolean(),
  network: z
    .strictObject({
      name: z.string().min(1).default('Varco Prato'),
      territory: z.string().min(1).default('Prato'),
      /** The accessibility statement (Dichiarazione di accessibilità, published through AgID's form.agid.gov.it). */
      accessibilityStatementUrl: z.url({ protocol: /^https?$/ }).optional(),
      /** The privacy notice of the network's data controller (GDPR articles 13-14). */
      privacyPolicyUrl: z.url({ protocol: /^https?$/ }).optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(3000),
      /** The address citizens and identity providers reach the gateway at. */
      publicUrl: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
      /** express "trust proxy": false, a hop count, or a list of addresses/subnets. */
      trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).default(false),
      bodyLimit: z.string().default('100kb'),
      shutdownGraceMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  redis: redisSchema.prefault({}),
  session: z
    .strictObject({
      /** Signing secrets, newest first; older ones still verify cookies during a rotation. */
      secrets: z
        .array(z.string().min(32, 'each session secret needs at least 32 characters'))
        .min(1, 'set SESSION_SECRETS (comma separated, newest first, at least 32 characters each)')
        .prefault([]),
      cookieName: z.string().default('varco.sid'),
      idleTimeoutSeconds: seconds.default(30 * 60),
      absoluteLifetimeSeconds: seconds.default(12 * 60 * 60),
    })
    .prefault({ secrets: [] }),
  rateLimit: z
    .strictObject({
      /**
       * Starting a login (/spid/login, /oidc/login/…), per client address. A municipal office's public
       * PCs share one address: 30 citizens logging in within a minute, each starting up to three times
       * (a retry, another provider, a step-up), still get through, while one address can keep at most
       * 90 outstanding requests a minute in Redis.
       */
      login: rateLimitSchema.default({ windowSeconds: 60, max: 90 }),
      /**
       * What identity providers send back through the browser (/spid/acs, /spid/slo,
       * /oidc/callback/…), per client address. Each answer is checked against a single-use request
       * started within the request TTL, so the starts bound the work; this counter stops floods of
       * forged or replayed posts, each parsed before it is refused.
       */
      loginReturn: rateLimitSchema.default({ windowSeconds: 60, max: 120 }),
      api: rateLimitSchema.default({ windowSeconds: 60, max: 300 }),
      forms: rateLimitSchema.default({ windowSeconds: 60, max: 60 }),
      /**
       * Sessions started for visitors who had none (the way back a protected page or a deep link asks
       * to remember, an OpenID Connect login), per client address. Logins are not counted (the login
       * limit bounds them); an office or a carrier-grade NAT may share one address.
       */
      newSessions: rateLimitSchema.default({ windowSeconds: 60, max: 60 }),
      /**
       * The OpenID Provider's pages a browser is sent to (authorization and its resume, RP-initiated
       * logout), per client address, apart from the forms: entering a body's service costs two or
       * three hits, and a whole office or a carrier-grade NAT can share one address.
       */
      ssoAuth: rateLimitSchema.default({ windowSeconds: 60, max: 300 }),
      /**
       * The OpenID Provider's endpoints that bodies' systems call (token, userinfo, pushed authorization
       * requests), per client address: a body's system calls them for every citizen who enters.
       */
      ssoEndpoints: rateLimitSchema.default({ windowSeconds: 60, max: 1200 }),
      /** The token endpoint per client address and client (client_secret_basic), within ssoEndpoints. */
      ssoToken: rateLimitSchema.default({ windowSeconds: 60, max: 300 }),
    })
    .prefault({}),
  spid: spidSchema,
  oidc: oidcSchema,
  /** The gateway's OpenID Provider for bodies' services (src/sso). */
  sso: z
    .strictObject({
      /** Signing keys as a JWK Set (JSON text); the first key signs, the others stay published (rollover). */
      signingKeys: z.string().optional(),
      /** Files holding the signing keys (a JWK Set as .json, or a PEM private key each), first one signs. */
      signingKeysFiles: z.array(z.string().min(1)).default([]),
      /** Secret mixed into pairwise subject identifiers; changing it changes every body's `sub`. */
      pairwiseSalt: z.string().min(32, 'the pairwise salt needs at least 32 characters').optional(),
      /** Where development and demo mode keep the signing key and salt they generate once (never committed). */
      varDir: z.string().default('var/sso'),
      /** Access history entries kept per citizen (oldest dropped first). */
      historyLength: z.number().int().min(10).max(10_000).default(500),
    })
    .prefault({}),
  /** What every module shares about citizens (src/citizen): the keys of their references and data. */
  citizen: citizenConfigSchema,
  /** Composite procedures (src/procedures): definitions, delivery queue, keys. */
  procedures: proceduresConfigSchema,
  /** The network's registry (src/registry): who administers it, by fiscal code (checked on every request). */
  registry: z
    .strictObject({
      admins: z.array(z.string().regex(/^[A-Z0-9]{16}$/, 'a fiscal code in capitals')).default([]),
      /** Where the network admins are told of new membership requests and dead letters. */
      adminEmails: z.array(z.email('an e-mail address').max(254)).max(50).default([]),
    })
    .prefault({}),
  /** Outgoing mail (src/mail): the SMTP relay, sender and reply-to, the queue. */
  mail: mailConfigSchema,
  /** Citizens' participation (src/participation): ratings of services and information sheets. */
  participation: participationConfigSchema,
  /** Usage statistics and the operators' metrics (src/stats): retention, threshold, the /metrics token. */
  stats: statsConfigSchema,
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type RedisConfig = Config['redis'];
