import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import request, { type Agent } from 'supertest';
import { createDemoOp, DEMO_ACR, generateSigningKey, type DemoOp } from '../../src/demo/oidc-op/demo-op.ts';
import { DEMO_OIDC_IDENTITIES, type DemoOidcIdentity } from '../../src/demo/oidc-op/identities.ts';
import { CIE_FISCAL_NUMBER } from '../../src/demo/oidc-op/identities.ts';

/** Client secret of the test relying party: test-only, never used outside the test suite. */
export const TEST_ONLY_CLIENT_SECRET = 'test-only-oidc-client-secret-0123456789';
export const TEST_CLIENT_ID = 'varco-test-rp';

/** A person with a valid fiscal code (the demo SPID IdP's, so a SPID login can join the same citizen). */
export const OIDC_PERSON = DEMO_OIDC_IDENTITIES[2]!;

/** A person the provider knows without a fiscal code (as staff directories, or foreign providers). */
export const PERSON_WITHOUT_FISCAL_CODE: DemoOidcIdentity = {
  sub: 'test-no-fiscal-code',
  person: { name: 'Anna', familyName: 'Operatrice', maxLevel: 2 },
  claims: { given_name: 'Anna', family_name: 'Operatrice', email: 'anna@ente.test.invalid' },
};

type JwtPayload = Record<string, unknown>;

/**
 * What the test makes the provider do wrong. Everything is done by the real oidc-provider; these only
 * change its answers on the wire, as a broken or hostile provider would.
 */
export interface Misbehaviour {
  /** Delay before the token endpoint answers (the relying party's timeout is shorter). */
  tokenDelayMs?: number;
  /** Rewrites the id_token the token endpoint returns; it is signed again (see `signWith`). */
  idToken?: (payload: JwtPayload) => JwtPayload;
  /** Sign the rewritten id_token with this private JWK instead of the provider's own key. */
  signWith?: Record<string, unknown>;
}

export interface TestOp {
  url: string;
  issuer: string;
  op: DemoOp;
  /** The provider's signing key (test-only, generated per provider). */
  privateJwk: Record<string, unknown>;
  /** Who logs in at the next interaction (a `sub` of the provider's identities). */
  loginAs: string;
  misbehave: Misbehaviour;
  close(): Promise<void>;
}

/** Signs a JWT with an ES256 private JWK, as a provider would (header keeps the key id). */
function signJwt(payload: JwtPayload, jwk: Record<string, unknown>): string {
  const header = { alg: 'ES256', typ: 'JWT', kid: jwk.kid };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

export function decodeJwt(jwt: string): JwtPayload {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as JwtPayload;
}

/** Rewrites the token endpoint's JSON answer on its way out (oidc-provider ends it with one res.end). */
function rewriteTokenResponse(res: Response, rewrite: (body: Record<string, unknown>) => object) {
  const end = res.end.bind(res) as (chunk?: unknown) => Response;
  (res as { end: unknown }).end = (chunk?: unknown) => {
    if (res.statusCode !== 200 || chunk === undefined) return end(chunk);
    const body = JSON.parse(Buffer.from(chunk as Buffer).toString('utf8')) as Record<string, unknown>;
    const text = JSON.stringify(rewrite(body));
    res.setHeader('Content-Length', Buffer.byteLength(text));
    return end(text);
  };
}

/**
 * A real OpenID Provider (oidc-provider, through the demo provider's factory) on 127.0.0.1 on a spare
 * port, for tests. Its login page is replaced by an automatic login of `loginAs`; `misbehave` lets a
 * test make it slow or make it answer with altered id_tokens.
 */
export async function startTestOp(options: {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  identities?: readonly DemoOidcIdentity[];
  codeTtlSeconds?: number;
  /** The relying party's public keys: it then authenticates with private_key_jwt and signs its requests. */
  clientJwks?: { keys: Array<Record<string, unknown>> };
}): Promise<TestOp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = generateSigningKey();
  const op = createDemoOp({
    issuer: url,
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        ...(options.clientJwks ? { jwks: options.clientJwks } : { client_secret: TEST_ONLY_CLIENT_SECRET }),
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
      },
    ],
    identities: options.identities ?? [...DEMO_OIDC_IDENTITIES, PERSON_WITHOUT_FISCAL_CODE],
    interactionPath: (uid) => `/interaction/${uid}`,
    signingKey: key.privateJwk,
    ...(options.codeTtlSeconds ? { codeTtlSeconds: options.codeTtlSeconds } : {}),
  });

  const testOp: TestOp = {
    url,
    issuer: url,
    op,
    privateJwk: key.privateJwk,
    loginAs: OIDC_PERSON.sub,
    misbehave: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const app = express();
  app.post('/token', (_req: Request, res: Response, next: NextFunction) => {
    const { tokenDelayMs, idToken, signWith } = testOp.misbehave;
    if (idToken || signWith) {
      rewriteTokenResponse(res, (body) => {
        const payload = decodeJwt(String(body.id_token));
        return {
          ...body,
          id_token: signJwt(idToken ? idToken(payload) : payload, signWith ?? key.privateJwk),
        };
      });
    }
    if (tokenDelayMs) setTimeout(next, tokenDelayMs).unref();
    else next();
  });
  app.get('/interaction/:uid', async (req: Request<{ uid: string }>, res: Response, next: NextFunction) => {
    try {
      res.redirect(303, await op.login(req, res, req.params.uid, testOp.loginAs));
    } catch (error) {
      next(error);
    }
  });
  app.use(op.provider.callback());
  server.on('request', app);
  return testOp;
}

/**
 * Walks the browser through the provider: from the gateway's redirect to the provider to the callback
 * URL the provider sends back (path and query, for the gateway's agent). `opAgent` keeps the
 * provider's cookies (its session), as a browser would.
 */
export async function throughProvider(authorizationUrl: string, opAgent: Agent): Promise<string> {
  let location = authorizationUrl;
  for (let hop = 0; hop < 6; hop++) {
    const target = new URL(location);
    if (target.pathname.startsWith('/oidc/callback/')) return `${target.pathname}${target.search}`;
    const res = await opAgent.get(`${target.pathname}${target.search}`);
    if (res.status !== 302 && res.status !== 303) {
      throw new Error(`the provider answered ${res.status} at ${target.pathname}: ${res.text.slice(0, 300)}`);
    }
    location = new URL(res.headers.location ?? '', target).href;
  }
  throw new Error('the provider never redirected back to the gateway');
}

export const providerAgent = (op: TestOp) => request.agent(op.url);

/** A descriptor for the test provider (providers/oidc/*.yaml format), with fields overridable. */
export function testDescriptor(op: TestOp, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: op.issuer,
    enabled: true,
    clientId: TEST_CLIENT_ID,
    auth: { method: 'client_secret_basic', secret: { env: 'OIDC_TEST_SECRET' } },
    scopes: ['openid', 'profile', 'email'],
    claimsParameter: true,
    prompt: 'consent login',
    claims: {
      fiscalCode: CIE_FISCAL_NUMBER,
      name: 'given_name',
      familyName: 'family_name',
      dateOfBirth: 'birthdate',
      email: 'email',
    },
    acr: { 1: DEMO_ACR[1], 2: DEMO_ACR[2], 3: DEMO_ACR[3] },
    label: { it: 'Entra con Prova', en: 'Log in with Test' },
    ...overrides,
  };
}

/** A providers folder written at test time (YAML is a superset of JSON); removed by `remove`. */
export function writeProvidersDir(descriptors: Record<string, Record<string, unknown>>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-oidc-'));
  for (const [id, descriptor] of Object.entries(descriptors)) {
    writeFileSync(path.join(dir, `${id}.yaml`), JSON.stringify(descriptor, null, 2));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The configuration overrides that point the gateway at a providers folder, with the test secret. */
export function oidcConfig(dir: string, extra: Record<string, unknown> = {}) {
  return {
    oidc: {
      providersDir: dir,
      environment: { OIDC_TEST_SECRET: TEST_ONLY_CLIENT_SECRET },
      timeoutSeconds: 1,
      clockToleranceSeconds: 30,
      ...extra,
    },
  };
}

/**
 * A relying-party key pair for private_key_jwt and request objects (test-only, generated at test time):
 * the PEM file the descriptor's auth.keyFile names, and the public JWK the provider registers.
 */
export function writeClientKey(kid = 'test-rp-key') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-rp-key-'));
  const keyFile = path.join(dir, 'test-only-rp-key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return {
    keyFile,
    kid,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
