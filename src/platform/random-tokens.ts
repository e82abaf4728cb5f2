import { randomFillSync } from 'node:crypto';

/** How many bytes are drawn from the system's CSPRNG at a time. */
const POOL_BYTES = 8192;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/**
 * `bytes` random bytes from the system's CSPRNG, encoded, for the values made on every request (the
 * CSP nonce, the id of an anonymous visitor's session). They are drawn 8 kB at a time, as Node's own
 * crypto.randomUUID does, instead of asking OpenSSL once per value; every value has bytes of its own,
 * never handed out twice.
 */
export function randomToken(bytes: number, encoding: 'base64' | 'base64url'): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES) throw new RangeError('bytes');
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const token = pool.toString(encoding, used, used + bytes);
  pool.fill(0, used, used + bytes); // what was handed out does not stay in memory
  used += bytes;
  return token;
}
