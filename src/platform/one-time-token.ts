import { createHash, randomBytes } from 'node:crypto';

/** What a one-time link carries: 32 random bytes in base64url. Anything else is refused unread. */
export const ONE_TIME_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const newOneTimeToken = () => randomBytes(32).toString('base64url');

/**
 * The name a one-time token is stored under: its SHA-256, so what Redis holds (or a copy of it) opens
 * nothing. The token has 256 random bits, so a fast hash is enough.
 */
export const tokenId = (token: string) => createHash('sha256').update(token).digest('hex');
