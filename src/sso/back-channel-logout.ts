import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';
import type { Logger } from '../platform/logger.ts';
import type { EnteredService, SsoSessions } from './sso-sessions.repository.ts';

/** The part of oidc-provider's stored Session read here: the account and each client's sid. */
interface StoredOpSession {
  accountId?: string;
  authorizations?: Record<string, { sid?: string }>;
}

/** oidc-provider's Client can send the logout token itself (not in its published types). */
interface LogoutCapable {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

/** How long logout waits for the bodies' systems before going on without them. */
const DELIVERY_BUDGET_MS = 3000;

/**
 * When gateway sessions end (logout, "end all sessions"), every service entered in them gets an OpenID
 * Connect Back-Channel Logout token (https://openid.net/specs/openid-connect-backchannel-1_0.html), and
 * the provider's sessions behind them end too. Failures are logged (service id and reason only) and never
 * hold the logout up for more than the delivery budget.
 */
export function createBackChannelLogout(deps: {
  provider: Provider;
  ssoSessions: SsoSessions;
  /** The provider's Session model in Redis (read for its clients, then destroyed). */
  opSessions: Adapter;
  logger: Logger;
}) {
  async function deliver({ clientId, accountId, sid }: Omit<EnteredService, 'opSession'>) {
    const client = (await deps.provider.Client.find(clientId)) as LogoutCapable | undefined;
    if (!client?.backchannelLogoutUri) return;
    await client.backchannelLogout(accountId, sid).catch((error: unknown) => {
      deps.logger.warn({ clientId, reason: (error as Error).message }, 'back-channel logout not delivered');
    });
  }

  /**
   * The services to tell: those recorded for the gateway sessions, and every client the provider's
   * sessions behind them still hold — a step-up gives the citizen a new gateway session id, and the
   * services entered before it live on in the same provider session.
   */
  async function servicesOf(entered: EnteredService[]) {
    const targets = new Map(entered.map((e) => [`${e.clientId} ${e.sid}`, e]));
    const opSessionIds = [...new Set(entered.map((e) => e.opSession))];
    for (const id of opSessionIds) {
      const stored = (await deps.opSessions.find(id)) as StoredOpSession | undefined;
      if (!stored?.accountId) continue;
      for (const [clientId, { sid }] of Object.entries(stored.authorizations ?? {})) {
        if (sid)
          targets.set(`${clientId} ${sid}`, { clientId, accountId: stored.accountId, sid, opSession: id });
      }
    }
    return { targets: [...targets.values()], opSessionIds };
  }

  return async function sessionsEnded(_fiscalCode: string, sessionIds: readonly string[]): Promise<void> {
    const entered = (await Promise.all(sessionIds.map((id) => deps.ssoSessions.take(id)))).flat();
    if (entered.length === 0) return;
    const { targets, opSessionIds } = await servicesOf(entered);
    const work = Promise.allSettled([
      ...targets.map(deliver),
      ...opSessionIds.map((id) => deps.opSessions.destroy(id)),
    ]);
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DELIVERY_BUDGET_MS);
    });
    await Promise.race([work, budget]);
    clearTimeout(timer);
  };
}
