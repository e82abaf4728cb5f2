import type { NextFunction, Request, Response } from 'express';
import type { CitizenIdentity } from './citizen.ts';
import type { CitizenRecords } from '../citizen/record.ts';
import type { SessionIndex } from '../citizen/session-index.ts';
import type { StaffIdentity } from './staff.ts';

const promisify = (operation: (done: (error?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => operation((error) => (error ? reject(error) : resolve())));

/** A login's outcome as the statistics see it: no citizen, no session. */
export interface LoginOutcome {
  provider: string;
  level: number | undefined;
  outcome: 'success' | 'failure';
}
export type LoginOutcomeListener = (outcome: LoginOutcome) => void;

/**
 * Where a logged-in session begins and ends. Login always gets a fresh session id (against session
 * fixation) and enters the per-citizen index; logout removes both. Every provider (SPID, CIE, other
 * OpenID Connect providers) goes through `establish`, which also records the login in the citizen's
 * one record (the fiscal code joins the providers).
 */
export function createLoginSessions(
  index: SessionIndex,
  options: {
    touchIntervalMs: number;
    citizens?: CitizenRecords;
    /** Told of every citizen login's outcome, by provider and level only (the usage statistics). */
    loginOutcome?: readonly LoginOutcomeListener[];
  },
) {
  const tell = (outcome: LoginOutcome) => {
    for (const listener of options.loginOutcome ?? []) listener(outcome);
  };

  async function regenerate(req: Request): Promise<string | undefined> {
    const returnTo = req.session.returnTo;
    await promisify((done) => req.session.regenerate(done));
    return returnTo;
  }

  return {
    async establish(req: Request, identity: CitizenIdentity): Promise<void> {
      const returnTo = await regenerate(req);
      const now = Date.now();
      req.session.citizen = identity;
      req.session.createdAt = now;
      req.session.indexedAt = now;
      if (returnTo) req.session.returnTo = returnTo;
      await promisify((done) => req.session.save(done));
      await index.add(identity.fiscalCode, req.sessionID, {
        userAgent: (req.get('user-agent') ?? '').slice(0, 300),
        provider: identity.provider,
        createdAt: now,
      });
      await options.citizens?.recordLogin(identity);
      tell({ provider: identity.provider, level: identity.level, outcome: 'success' });
    },

    /** A provider's answer that did not log anyone in (refused, invalid, expired). */
    failed(provider: string): void {
      tell({ provider, level: undefined, outcome: 'failure' });
    },

    /** A staff-only provider's login: a fresh session holding the staff identity, no citizen data. */
    async establishStaff(req: Request, staff: StaffIdentity): Promise<void> {
      const returnTo = await regenerate(req);
      req.session.staff = staff;
      req.session.createdAt = Date.now();
      if (returnTo) req.session.returnTo = returnTo;
      await promisify((done) => req.session.save(done));
    },

    async end(req: Request): Promise<void> {
      const citizen = req.session.citizen;
      if (citizen) await index.remove(citizen.fiscalCode, [req.sessionID]);
      await promisify((done) => req.session.destroy(done));
    },

    /** Records "last seen" in the index, at most once per interval so a page view costs no extra write. */
    trackActivity(req: Request, res: Response, next: NextFunction): void {
      const citizen = req.session?.citizen;
      res.locals.citizen = citizen;
      if (!citizen) return next();
      const now = Date.now();
      if (now - (req.session.indexedAt ?? 0) < options.touchIntervalMs) return next();
      req.session.indexedAt = now;
      index.touch(citizen.fiscalCode, req.sessionID, now).then(() => next(), next);
    },
  };
}

export type LoginSessions = ReturnType<typeof createLoginSessions>;
