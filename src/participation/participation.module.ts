import type { Request, RequestHandler, Response, Router } from 'express';
import type { Catalog } from '../catalog/catalog.module.ts';
import type { CitizenModule } from '../citizen/citizen.module.ts';
import type { Config } from '../config/schema.ts';
import type { Language } from '../platform/i18n.ts';
import { createRateLimit } from '../platform/rate-limit.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createRatingsController } from './ratings/ratings.controller.ts';
import { createRatingStore } from './ratings/ratings.repository.ts';
import { ratingsRoutes } from './ratings/ratings.routes.ts';
import { createRatings, type Ratings } from './ratings/ratings.service.ts';
import { createUses } from './ratings/uses.repository.ts';
import { createUrpCitizenController } from './urp/citizen.controller.ts';
import { createPeople } from './urp/people.repository.ts';
import { createReminders } from './urp/reminders.ts';
import { createOpen311Controller } from './urp/open311.controller.ts';
import { createUrpStaffController } from './urp/staff.controller.ts';
import { open311Routes, urpCitizenRoutes, urpStaffRoutes } from './urp/urp.routes.ts';
import { createUrpStore } from './urp/urp.repository.ts';
import { createUrpDesk, type UrpListener, type UrpNotices } from './urp/urp.service.ts';

/**
 * Citizens' participation: ratings of the services they used and of information sheets, and the URP
 * desk (requests to the network's public-relations office, routed to the bodies, and its reminders of
 * the legal deadlines). Built before
 * the modules that report uses (the catalog's deep links, single sign-on, procedures), which are given
 * its listeners by the composition root; its pages are built once those modules are (participationWeb).
 */
export function buildParticipation(
  config: Readonly<Config>,
  redis: RedisConnection,
  inputs: {
    citizen: Pick<CitizenModule, 'ref' | 'keys' | 'cipher'>;
    /** Whether a body of the network can be sent requests (approved). */
    bodyExists: (ipaCode: string) => Promise<boolean>;
    /** The IPA codes of the network's approved bodies. */
    bodies: () => Promise<string[]>;
    /** What the desk tells requesters and staff by mail (the mail module). */
    urpNotices: UrpNotices;
    /** Told of requests filed and first answered, by body and times only (the usage statistics). */
    urpMoved?: UrpListener;
  },
) {
  const settings = config.participation.ratings;
  const ratings = createRatings({
    uses: createUses(redis, { openDays: settings.openDays }),
    store: createRatingStore(redis, { keepDays: settings.keepDays }),
    ref: inputs.citizen.ref,
  });
  const urpSettings = config.participation.urp;
  const urpStore = createUrpStore(redis, inputs.citizen.cipher, {
    retainDataSeconds: urpSettings.retainDataDays * 86_400,
  });
  const people = createPeople(redis, inputs.citizen.keys, urpSettings.confirmHours * 3600);
  const urp = createUrpDesk({
    store: urpStore,
    people,
    cipher: inputs.citizen.cipher,
    ref: inputs.citizen.ref,
    settings: urpSettings,
    bodyExists: inputs.bodyExists,
    notices: inputs.urpNotices,
    ...(inputs.urpMoved ? { moved: inputs.urpMoved } : {}),
  });
  return {
    ratings,
    urp,
    /** Hourly reminders of the URP's deadlines to those who must answer (started by the composition root). */
    urpReminders: createReminders({
      store: urpStore,
      people,
      bodies: inputs.bodies,
      daysBefore: urpSettings.remindDaysBefore,
      send: inputs.urpNotices.remind,
    }),
    /** A deep link followed (/go) by a logged-in citizen. */
    deepLinkFollowed: (fiscalCode: string, service: { id: string; bodyId: string }) =>
      ratings.serviceUsed(fiscalCode, service, 'deepLink'),
    /** A citizen entered a body's service through single sign-on (the client id is the service id). */
    serviceEntered: (fiscalCode: string, service: { id: string; bodyId: string }) =>
      ratings.serviceUsed(fiscalCode, service, 'sso'),
    /** The procedures' listener: a finished case can be rated. */
    caseMoved: (event: Parameters<Ratings['caseMoved']>[0]) => ratings.caseMoved(event),
  };
}

export type Participation = ReturnType<typeof buildParticipation>;

/** The participation pages, and what they add to the sheets, the receipts and the personal area. */
export function participationWeb(
  participation: Participation,
  inputs: {
    config: Readonly<Config>;
    redis: RedisConnection;
    catalog: Pick<Catalog, 'index' | 'repository'>;
    procedures: {
      title: (procedureId: string, lang: Language) => string | undefined;
      ids: () => readonly string[];
    };
    requireAdmin: RequestHandler[];
    formLimit: RequestHandler;
  },
) {
  const { config, redis } = inputs;
  const settings = config.participation.ratings;
  const { ratings } = participation;
  const controller = createRatingsController({
    ratings,
    catalog: inputs.catalog,
    procedureTitles: inputs.procedures.title,
    procedureIds: inputs.procedures.ids,
    threshold: settings.threshold,
    publicUrl: config.http.publicUrl,
  });
  // Sheets are rated anonymously: throttled per client address and sheet, then per client address over
  // all sheets (a post refused for its sheet does not use up the client's allowance).
  const sheetLimits = [
    inputs.formLimit,
    createRateLimit(redis, 'sheet-rating-page', settings.sheetPerPage, {
      partition: (req) => String(req.params.serviceId ?? ''),
    }),
    createRateLimit(redis, 'sheet-rating', settings.sheetPerClient),
  ];
  // Requests and messages to the URP desk, per client address (logged in or not, people or apps).
  const urpPostLimit = createRateLimit(redis, 'urp-posts', config.participation.urp.postsPerClient);
  const urpCitizen = createUrpCitizenController({ desk: participation.urp, catalog: inputs.catalog });
  const routers: Router[] = [
    ratingsRoutes(controller, { formLimit: inputs.formLimit, sheetLimits, admin: inputs.requireAdmin }),
    urpCitizenRoutes(urpCitizen, { formLimit: inputs.formLimit, postLimit: urpPostLimit }),
    urpStaffRoutes(createUrpStaffController({ desk: participation.urp, catalog: inputs.catalog }), {
      formLimit: inputs.formLimit,
      admin: inputs.requireAdmin,
    }),
    open311Routes(
      createOpen311Controller({
        desk: participation.urp,
        catalog: inputs.catalog,
        publicUrl: config.http.publicUrl,
        area: config.participation.urp.area,
      }),
      { postLimit: urpPostLimit },
    ),
  ];
  return {
    routers,
    /** The personal area's sections: the services to rate, the requests to the URP desk. */
    async personalAreaSection(req: Request, res: Response) {
      await controller.personalArea(req, res);
      await urpCitizen.personalArea(req, res);
    },
    /** What an information sheet shows of its ratings, and the version of it for the sheet's cache. */
    sheetLocals: controller.sheetLocals,
    /**
     * Where a procedure's receipt (`filed`) or finished case (`finished`) asks for a rating: the use is
     * recorded (once per case and moment) and its rating page returned; nothing once the days to rate
     * that moment are over (an old receipt opened again does not open a new use).
     */
    async ratingPrompt(use: {
      owner: string;
      procedureId: string;
      caseId: string;
      moment: 'filed' | 'finished';
      at: string;
    }): Promise<string | undefined> {
      if (Date.now() - Date.parse(use.at) > settings.openDays * 24 * 3600 * 1000) return undefined;
      return `/me/ratings/${await ratings.procedureUsed(use.owner, use.procedureId, use.caseId, use.moment)}`;
    },
  };
}
