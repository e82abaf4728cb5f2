import type { NextFunction, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { CatalogRepository } from '../catalog/catalog.repository.ts';
import type { SsoClient } from '../catalog/model.ts';
import { requireLevel } from '../identity/step-up.ts';
import { AppError, BadRequestError, ForbiddenError } from '../platform/errors.ts';
import type { Language } from '../platform/i18n.ts';
import { renderPage } from '../platform/views.ts';
import { acrOf, citizenClaims, knownScopes } from './claims.ts';
import type { Accounts } from './accounts.repository.ts';
import type { Consents } from './consents.repository.ts';
import { allowFormTarget } from './form-action.ts';
import { declaredClaims, requiredLevel } from './provider.ts';

/** The interaction is gone (expired, finished, or its cookie is missing): start again from the service. */
export class InteractionExpiredError extends AppError {
  constructor() {
    super(400, 'interaction_expired');
  }
}

const uidSchema = z.string().regex(/^[A-Za-z0-9_-]{10,64}$/);
const consentFormSchema = z.strictObject({ _csrf: z.string(), decision: z.enum(['allow', 'deny']) });

type ClientLike = { clientId: string; [key: string]: unknown };

/** The acr member of the claims parameter (already validated by the provider at the authorization endpoint). */
function acrClaimOf(raw: unknown) {
  if (typeof raw !== 'string') return undefined;
  try {
    return (JSON.parse(raw) as { id_token?: { acr?: { value?: string; values?: string[] } } }).id_token?.acr;
  } catch {
    return undefined;
  }
}

/**
 * Whether the service asked for an authentication newer than the gateway session's (OpenID Connect
 * Core 1.0, 3.1.2.1): prompt=login wants one made after its request began ("SHOULD prompt the End-User
 * for reauthentication"), max_age one no older than that many seconds ("MUST attempt to actively
 * re-authenticate"). The reasons are the provider's, whose session holds the gateway session's login
 * time; `loginAt` is that login, in milliseconds.
 */
export function freshLoginDemanded(
  interaction: { iat: number; params: Record<string, unknown>; prompt: { reasons: string[] } },
  loginAt: number,
  now = Date.now(),
): boolean {
  const loginSeconds = Math.floor(loginAt / 1000);
  // A login made since the request began is as fresh as can be (and max_age=0 cannot loop).
  if (loginSeconds >= interaction.iat) return false;
  const { reasons } = interaction.prompt;
  const maxAge = Number(interaction.params.max_age);
  return (
    reasons.includes('login_prompt') ||
    (reasons.includes('max_age') && Number.isInteger(maxAge) && now / 1000 - loginSeconds > maxAge)
  );
}

/**
 * The provider's interactions, as gateway pages: login (the gateway session, or the gateway's own login
 * and step-up), and consent (which data goes to which body, and why).
 */
export function createInteractionController(deps: {
  provider: Provider;
  catalog: CatalogRepository;
  accounts: Accounts;
  consents: Consents;
}) {
  const { provider } = deps;

  async function detailsOf(req: Request<{ uid: string }>, res: Response) {
    const uid = uidSchema.safeParse(req.params.uid);
    if (!uid.success) throw new InteractionExpiredError();
    const details = await provider.interactionDetails(req, res).catch(() => {
      throw new InteractionExpiredError();
    });
    if (details.uid !== uid.data) throw new InteractionExpiredError();
    const client = (await provider.Client.find(String(details.params.client_id))) as unknown as
      ClientLike | undefined;
    if (!client) throw new AppError(400, 'unknown_client');
    return { details, client };
  }

  /** The consent page's content: the service, its body, and each declared claim with its value and purpose. */
  async function consentPage(req: Request, res: Response, client: ClientLike, uid: string) {
    const service = await deps.catalog.getService(client.clientId);
    const body = service ? await deps.catalog.getBody(service.bodyId) : undefined;
    const citizen = req.session.citizen;
    if (!service?.sso || !body || !citizen) throw new AppError(400, 'unknown_client');
    const lang = res.locals.lang as Language;
    const values = citizenClaims(citizen);
    renderPage(req, res, 'sso/consent', {
      uid,
      serviceTitle: service.title[lang],
      bodyName: body.name[lang],
      claims: (service.sso as SsoClient).claims.map((c) => ({
        claim: c.claim,
        // The service receives the SPID form (TINIT-…); the citizen reads their fiscal code as they know it.
        value: c.claim === 'fiscal_number' ? citizen.fiscalCode : values[c.claim],
        purpose: c.purpose[lang],
      })),
    });
  }

  return {
    async show(req: Request<{ uid: string }>, res: Response, next: NextFunction) {
      const { details, client } = await detailsOf(req, res);
      const citizen = req.session.citizen;
      if (details.prompt.name === 'login') {
        const needed = requiredLevel(
          client,
          details.params.acr_values as string | undefined,
          acrClaimOf(details.params.claims),
        );
        // No session, one below the level, or one older than the service accepts: the gateway's login,
        // step-up or fresh login (ForceAuthn at SPID levels 2 and 3), then back here.
        const fresh = citizen !== undefined && freshLoginDemanded(details, citizen.loginAt);
        if (!citizen || citizen.level < needed || fresh)
          return requireLevel(needed, { fresh })(req, res, next);
        await deps.accounts.save(citizen);
        const result = {
          login: {
            accountId: citizen.fiscalCode,
            acr: acrOf(citizen.level),
            amr: [citizen.provider],
            ts: Math.floor(citizen.loginAt / 1000),
            remember: false,
          },
        };
        return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      }
      if (details.prompt.name !== 'consent') throw new BadRequestError('unsupported_prompt');
      if (!citizen || details.session?.accountId !== citizen.fiscalCode) throw new InteractionExpiredError();
      // Either answer goes back to the service (the redirect_uri the provider has checked).
      allowFormTarget(res, String(details.params.redirect_uri));
      await consentPage(req, res, client, details.uid);
    },

    async decide(req: Request<{ uid: string }>, res: Response) {
      const form = consentFormSchema.safeParse(req.body);
      if (!form.success) throw new BadRequestError('consent_invalid');
      const { details, client } = await detailsOf(req, res);
      const citizen = req.session.citizen;
      if (details.prompt.name !== 'consent') throw new InteractionExpiredError();
      if (!citizen || details.session?.accountId !== citizen.fiscalCode)
        throw new ForbiddenError('not_your_interaction');
      if (form.data.decision === 'deny') {
        const result = {
          error: 'access_denied',
          error_description: 'the citizen declined to share the data',
        };
        return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      }
      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ??
          new provider.Grant({ accountId: citizen.fiscalCode, clientId: client.clientId }))
        : new provider.Grant({ accountId: citizen.fiscalCode, clientId: client.clientId });
      grant.addOIDCScope(knownScopes(String(details.params.scope ?? '').split(' ')).join(' '));
      const missing = (details.prompt.details.missingOIDCClaims as string[] | undefined) ?? [];
      grant.addOIDCClaims(missing);
      const grantId = await grant.save();
      const service = await deps.catalog.getService(client.clientId);
      await deps.consents.remember(
        citizen.fiscalCode,
        { serviceId: client.clientId, bodyId: service?.bodyId ?? '', claims: declaredClaims(client) },
        grantId,
      );
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    },
  };
}

export type InteractionController = ReturnType<typeof createInteractionController>;
