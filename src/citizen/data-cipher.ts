import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataKey } from './secrets.ts';

const VERSION = 'v1';

/**
 * AES-256-GCM for personal data at rest. A ciphertext reads "v1.<key id>.<iv>.<tag>.<data>" (base64url):
 * the first key encrypts, any configured key decrypts, so keys rotate by adding a new one in front and
 * dropping the old one once no case uses it. `context` (the case and field) is authenticated data: a
 * value copied to another case or field does not decrypt.
 */
export function createDataCipher(keys: readonly DataKey[]) {
  const [current] = keys;
  if (!current) throw new Error('no data key');
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  return {
    encrypt(plaintext: string, context: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(context));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
      return [VERSION, current.id, ...parts].join('.');
    },

    /** The same plaintext under the current key, or undefined when it already is (key rotation). */
    rotate(ciphertext: string, context: string): string | undefined {
      if (ciphertext.split('.')[1] === current.id) return undefined;
      return this.encrypt(this.decrypt(ciphertext, context), context);
    },

    /** Throws when the value was not encrypted by one of the keys for this context. */
    decrypt(ciphertext: string, context: string): string {
      const [version, keyId = '', iv = '', tag = '', data = ''] = ciphertext.split('.');
      const key = byId.get(keyId);
      if (version !== VERSION || !key) throw new Error(`cannot decrypt: unknown key "${keyId}"`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

export type DataCipher = ReturnType<typeof createDataCipher>;
