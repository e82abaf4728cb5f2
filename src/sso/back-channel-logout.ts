import type Provider from 'oidc-provider';
import type { Logger } from '../platform/logger.ts';
import type { SsoSessions } from './sso-sessions.repository.ts';

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
  destroyOpSession: (id: string) => Promise<void>;
  logger: Logger;
}) {
  async function deliver(clientId: string, accountId: string, sid: string) {
    const client = (await deps.provider.Client.find(clientId)) as LogoutCapable | undefined;
    if (!client?.backchannelLogoutUri) return;
    await client.backchannelLogout(accountId, sid).catch((error: unknown) => {
      deps.logger.warn({ clientId, reason: (error as Error).message }, 'back-channel logout not delivered');
    });
  }

  return async function sessionsEnded(_fiscalCode: string, sessionIds: readonly string[]): Promise<void> {
    const entered = (await Promise.all(sessionIds.map((id) => deps.ssoSessions.take(id)))).flat();
    if (entered.length === 0) return;
    const work = Promise.allSettled(
      entered.flatMap((e) => [deliver(e.clientId, e.accountId, e.sid), deps.destroyOpSession(e.opSession)]),
    );
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DELIVERY_BUDGET_MS);
    });
    await Promise.race([work, budget]);
    clearTimeout(timer);
  };
}
