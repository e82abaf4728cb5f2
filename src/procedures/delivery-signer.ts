import { createPrivateKey, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

/** The JWT type of a delivery (RFC 8725 section 3.11: explicit typing, so it is never taken for another token). */
export const DELIVERY_TYPE = 'varco-delivery+jwt';
/** Where bodies fetch the gateway's public keys to verify deliveries. */
export const DELIVERY_KEYS_PATH = '/.well-known/varco-delivery-keys.json';

/**
 * Signs deliveries as JWTs (ES256): issuer the gateway's public URL, audience the receiving body's IPA
 * code, jti the idempotency key, valid for 15 minutes from each attempt. The public key is published as
 * a JWK Set at DELIVERY_KEYS_PATH, its kid the JWK thumbprint (RFC 7638).
 */
export async function createDeliverySigner(privateKeyPem: string, issuer: string) {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: { keys: JWK[] } = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };

  return {
    issuer,
    jwks,
    async sign(claims: Record<string, unknown>, options: { audience: string; jti: string }): Promise<string> {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid, typ: DELIVERY_TYPE })
        .setIssuer(issuer)
        .setAudience(options.audience)
        .setJti(options.jti)
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey);
    },
  };
}

export type DeliverySigner = Awaited<ReturnType<typeof createDeliverySigner>>;
