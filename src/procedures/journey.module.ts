import type { Router } from 'express';
import type { Dependencies } from '../dependencies.ts';
import { createConfirmationRepository } from './confirmation.repository.ts';
import { createJourneyController } from './journey.controller.ts';
import { journeyRoutes } from './journey.routes.ts';

/** The citizen's pages of composite procedures, on the engine built by buildProcedures. */
export function journeyRouter(
  deps: Pick<Dependencies, 'procedures' | 'catalog' | 'redis' | 'rateLimits' | 'config'>,
): Router {
  const { procedures } = deps;
  const controller = createJourneyController({
    procedures: procedures.procedures,
    drafts: procedures.drafts,
    confirmations: createConfirmationRepository(deps.redis),
    cases: procedures.cases,
    casesOf: (owner, limit) => procedures.repository.listByCitizen(owner, limit),
    bodyName: async (ipaCode, lang) => (await deps.catalog.repository.getBody(ipaCode))?.name[lang],
    draftSeconds: deps.config.procedures.draftSeconds,
  });
  return journeyRoutes(controller, deps.rateLimits.forms);
}
