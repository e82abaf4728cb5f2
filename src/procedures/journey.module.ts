import type { Router } from 'express';
import type { Dependencies } from '../dependencies.ts';
import { createCasePagesController } from './case-pages.controller.ts';
import { createJourneyController } from './journey.controller.ts';
import { journeyRoutes } from './journey.routes.ts';
import type { HomeLocals } from '../catalog/catalog.controller.ts';
import type { PersonalAreaSection } from '../identity/identity.controller.ts';
import type { BodyNameLookup } from './page-context.ts';

/** The citizen's pages of composite procedures (engine: buildProcedures), and their parts of /me and home. */
export function journeyRouter(deps: Pick<Dependencies, 'procedures' | 'catalog' | 'rateLimits' | 'config'>): {
  router: Router;
  personalAreaSection: PersonalAreaSection;
  homeLocals: HomeLocals;
} {
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
  return {
    router: journeyRoutes(journey, casePages, deps.rateLimits.forms),
    /** The personal area's section of cases and unfinished forms (the page is identity's). */
    personalAreaSection: casePages.personalArea,
    /** What the home page shows of the procedures: those on offer. */
    homeLocals: journey.homeLocals,
  };
}
