import { randomBytes, randomFillSync } from 'node:crypto';

/** How many bytes are drawn from the system's generator at once. */
const POOL_BYTES = 4096;

/**
 * Random bytes for what every page needs a few of (its CSP nonce, the pad of each form token), cut
 * from a buffer the operating system's CSPRNG fills 4 KiB at a time: each call to it cost 7 µs of CPU
 * here, whatever the size asked for, and a personal area asks for eight. Every byte is handed out once.
 * Node does the same for crypto.randomUUID (its entropy cache). Larger sizes go to randomBytes.
 */
export function createRandomPool(size = POOL_BYTES) {
  const pool = Buffer.alloc(size);
  let used = size;
  return (bytes: number): Buffer => {
    if (bytes > size) return randomBytes(bytes);
    if (used + bytes > size) {
      randomFillSync(pool);
      used = 0;
    }
    const out = Buffer.from(pool.subarray(used, used + bytes));
    // Nothing handed out stays behind in the pool.
    pool.fill(0, used, used + bytes);
    used += bytes;
    return out;
  };
}

/** The process's pool, for the values sent with every page. */
export const pooledRandomBytes = createRandomPool();
