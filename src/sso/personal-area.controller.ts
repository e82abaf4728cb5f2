import type { Request, Response } from 'express';
import type { CatalogRepository } from '../catalog/catalog.repository.ts';
import { serviceId } from '../catalog/model.ts';
import { AppError, NotFoundError } from '../platform/errors.ts';
import type { Language } from '../platform/i18n.ts';
import type { AccessHistory, AccessRecord } from './access-history.repository.ts';
import type { Consents } from './consents.repository.ts';

const HISTORY_ON_PAGE = 50;
const NOTICES = ['consentRevoked', 'servicesEnded'] as const;

/** Neutralises spreadsheet formulas (OWASP "CSV injection") and quotes every field (RFC 4180). */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The SSO part of the personal area: consents given (revocable) and the history of data released. */
export function createPersonalAreaController(deps: {
  catalog: CatalogRepository;
  consents: Consents;
  history: AccessHistory;
  /** Destroys the provider's grants (and so the tokens) made under a revoked consent. */
  revokeGrants: (grantIds: string[]) => Promise<void>;
  /** The ids of the citizen's open gateway sessions. */
  sessionsOf: (fiscalCode: string) => Promise<string[]>;
  /** Back-channel logout to every service entered in those sessions (the gateway sessions stay open). */
  endServices: (fiscalCode: string, sessionIds: readonly string[]) => Promise<void>;
}) {
  const citizenOf = (req: Request) => {
    const citizen = req.session.citizen;
    if (!citizen) throw new AppError(401, 'login_required');
    return citizen;
  };

  /** Names of services and bodies in the page's language (a withdrawn service keeps its id). */
  async function names(records: Array<{ serviceId: string; bodyId: string }>, lang: Language) {
    const services = await deps.catalog.getServices([...new Set(records.map((r) => r.serviceId))]);
    const bodies = await Promise.all(
      [...new Set(records.map((r) => r.bodyId))].map((id) => deps.catalog.getBody(id)),
    );
    const service = new Map(services.map((s) => [s.id, s.title[lang]]));
    const body = new Map(bodies.flatMap((b) => (b ? [[b.ipaCode, b.name[lang]] as const] : [])));
    return (r: { serviceId: string; bodyId: string }) => ({
      service: service.get(r.serviceId) ?? r.serviceId,
      body: body.get(r.bodyId) ?? r.bodyId,
    });
  }

  return {
    /** The personal area's section of consents and latest releases (the page is identity's). */
    async personalArea(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const lang = res.locals.lang as Language;
      const [consents, history] = await Promise.all([
        deps.consents.list(citizen.fiscalCode),
        deps.history.list(citizen.fiscalCode, HISTORY_ON_PAGE),
      ]);
      const label = await names([...consents, ...history], lang);
      res.locals.sso = {
        consents: consents.map((c) => ({ ...c, ...label(c) })),
        history: history.map((h) => ({ ...h, ...label(h) })),
        notice: NOTICES.find((notice) => notice === req.query.notice),
      };
    },

    async revokeConsent(req: Request<{ serviceId: string }>, res: Response) {
      const citizen = citizenOf(req);
      const id = serviceId.safeParse(req.params.serviceId);
      const revoked = id.success ? await deps.consents.revoke(citizen.fiscalCode, id.data) : undefined;
      if (!revoked) throw new NotFoundError('consent_not_found');
      await deps.revokeGrants(revoked.grantIds);
      res.redirect(303, '/me?notice=consentRevoked#consents');
    },

    /** Logs the citizen out of every body's service entered in any of their sessions, on every device. */
    async endServices(req: Request, res: Response) {
      const citizen = citizenOf(req);
      await deps.endServices(citizen.fiscalCode, await deps.sessionsOf(citizen.fiscalCode));
      res.redirect(303, '/me?notice=servicesEnded#services-sessions');
    },

    async historyCsv(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const lang = res.locals.lang as Language;
      const records: AccessRecord[] = await deps.history.list(citizen.fiscalCode);
      const label = await names(records, lang);
      const lines = [
        ['time', 'body_id', 'body', 'service_id', 'service', 'via', 'claims'].map(csvField).join(','),
      ];
      for (const r of records) {
        const { service, body } = label(r);
        lines.push(
          [new Date(r.at).toISOString(), r.bodyId, body, r.serviceId, service, r.via, r.claims.join(' ')]
            .map(csvField)
            .join(','),
        );
      }
      res.attachment('access-history.csv');
      res.type('text/csv; charset=utf-8').send(`${lines.join('\r\n')}\r\n`);
    },
  };
}

export type PersonalAreaController = ReturnType<typeof createPersonalAreaController>;
