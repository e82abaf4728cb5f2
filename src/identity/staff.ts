import 'express-session';
import type { Level } from './citizen.ts';

/**
 * Someone logged in through a staff-only OpenID Connect provider (descriptor `staffOnly: true`). A staff
 * identity has no fiscal code and is never a citizen: it gets no citizen record, no favourites and no
 * session-index entry, and pages that need a citizen send it to the login page. It is keyed by provider
 * and subject (`<provider>:<sub>`), the only stable identifier such a provider guarantees.
 */
export interface StaffIdentity {
  key: string;
  provider: string;
  issuer: string;
  subject: string;
  name?: string;
  familyName?: string;
  email?: string;
  level: Level;
  loginAt: number;
}

declare module 'express-session' {
  interface SessionData {
    staff: StaffIdentity;
  }
}
