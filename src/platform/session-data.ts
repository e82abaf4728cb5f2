import 'express-session';
import type { CitizenIdentity } from '../identity/citizen.ts';

// The session is typed and small: who the citizen is, when the session began, where to return to.
// Never raw assertions or tokens: a stolen session store must not hand out credentials.
declare module 'express-session' {
  interface SessionData {
    /** Milliseconds since the epoch; the session ends `absoluteLifetimeSeconds` after this, however active. */
    createdAt: number;
    /** Last time the per-citizen session index was refreshed (throttled). */
    indexedAt: number;
    citizen: CitizenIdentity;
    csrfToken: string;
    /** A local path to go back to after login or step-up. */
    returnTo: string;
  }
}

export {};
