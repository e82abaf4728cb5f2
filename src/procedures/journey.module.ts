import type { Router } from 'express';
import type { Dependencies } from '../dependencies.ts';
import { createCasePagesController } from './case-pages.controller.ts';
import { createJourneyController } from './journey.controller.ts';
import { journeyRoutes } from './journey.routes.ts';
import type { BodyNameLookup } from './page-context.ts';

/** The citizen's pages of composite procedures, on the engine built by buildProcedures. */
export function journeyRouter(
  deps: Pick<Dependencies, 'procedures' | 'catalog' | 'rateLimits' | 'config'>,
): Router {
  const { procedures } = deps;
  const bodyName: BodyNameLookup = async (ipaCode, lang) =>
    (await deps.catalog.repository.getBody(ipaCode))?.name[lang];
  const journey = createJourneyController({
    procedures: procedures.procedures,
    drafts: procedures.drafts,
    confirmations: procedures.confirmations,
    cases: procedures.cases,
    bodyName,
    draftSeconds: deps.config.procedures.draftSeconds,
  });
  const casePages = createCasePagesController({
    procedures: procedures.procedures,
    drafts: procedures.drafts,
    cases: procedures.cases,
    casesOf: (owner, limit) => procedures.repository.listByCitizen(owner, limit),
    bodyName,
  });
  return journeyRoutes(journey, casePages, deps.rateLimits.forms);
}
