import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import { parseDescriptor, type ProviderDescriptor } from '../../identity/oidc/provider-descriptor.ts';
import { LOGGED_OUT_PATH } from '../../identity/logged-out.ts';
import type { KnownMetadata } from '../../identity/oidc/provider-registry.ts';
import { demoOpPages } from './demo-op.controller.ts';
import { DEMO_OP_LOGIN_PATH, DEMO_OP_PATH } from './demo-op.routes.ts';
import { createDemoOp, DEMO_ACR } from './demo-op.ts';
import { CIE_FISCAL_NUMBER, DEMO_OIDC_IDENTITIES } from './identities.ts';

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
 * the same mapping built in when the folder has none) pointed at the demo provider. As with CIE id, the gateway authenticates with private_key_jwt and
 * signs its requests, here with a key generated at start.
 */
export async function demoCie(config: Readonly<Config>, descriptors: ProviderDescriptor[]) {
  const base = config.http.publicUrl.replace(/\/+$/, '');
  const clientKey = await demoClientKey();
  const op = createDemoOp({
    issuer: `${base}${DEMO_OP_PATH}`,
    clients: [
      {
        client_id: DEMO_CLIENT_ID,
        jwks: { keys: [clientKey.publicJwk] },
        redirect_uris: [`${base}/oidc/callback/cie`],
        post_logout_redirect_uris: [`${base}${LOGGED_OUT_PATH}`],
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
