import type { RequestHandler, Router } from 'express';
import type { Catalog } from '../catalog/catalog.module.ts';
import type { HomeLocals } from '../catalog/catalog.controller.ts';
import type { Config } from '../config/schema.ts';
import type { PersonalAreaSection } from '../identity/identity.controller.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createCaseRepository } from './case.repository.ts';
import {
  createCaseService,
  referenceOf,
  type CaseMovedListener,
  type DeliveryJob,
  type EndpointLookup,
} from './case.service.ts';
import { buildCitizen, type CitizenModule } from '../citizen/citizen.module.ts';
import { createOutboundHttp, loopbackAllowed, type OutboundHttp } from '../platform/outbound-http.ts';
import { createConfirmationRepository } from './confirmation.repository.ts';
import { createDeadLettersController } from './dead-letters.controller.ts';
import { loadDefinitions } from './definitions.ts';
import { createDeliveryQueues } from './delivery-queue.ts';
import { createDeliverySigner } from './delivery-signer.ts';
import { createDeliveryProcessor } from './delivery.processor.ts';
import { createDraftRepository } from './draft.repository.ts';
import { createCasePagesController, type RatingPrompt } from './case-pages.controller.ts';
import { createJourneyController, type JourneyListener } from './journey.controller.ts';
import { journeyRoutes } from './journey.routes.ts';
import type { BodyNameLookup } from './page-context.ts';
import { loadSigningKey } from './keys.ts';
import { createReportController } from './report.controller.ts';
import { deadLetterRoutes, deliveryKeysRoutes, reportApiRoutes } from './procedures.routes.ts';

/** How often an instance running workers sweeps open cases for steps whose enqueueing was cut short. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The composite-procedure engine: definitions (checked here, so an invalid one stops the start with
 * a DefinitionError naming every problem), keys, the encrypted case and draft repositories, the case
 * service, the delivery queues and, when `procedures.delivery.workers`, this instance's workers. Open
 * cases are recovered (their queued steps enqueued again) at start and then every minute.
 */
export async function buildProcedures(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  catalog: Pick<Catalog, 'endpoints'>,
  /** The citizens' references and data cipher; built from the configuration unless given. */
  citizen: Pick<CitizenModule, 'ref' | 'cipher'> = buildCitizen(config, redis),
  /** Requests to bodies' endpoints; made here (and closed with the engine) unless given. */
  outbound?: OutboundHttp,
  /** Who is told when a case moves (the citizen's mail) and when a delivery is dead-lettered (the admins'). */
  listeners: {
    caseMoved?: readonly CaseMovedListener[];
    deadLettered?: ReadonlyArray<
      (letter: DeliveryJob & { reference: string; reason: string }) => Promise<void>
    >;
  } = {},
) {
  const http = outbound ?? createOutboundHttp({ allowLoopback: loopbackAllowed(config) });
  const settings = config.procedures;
  const log = logger.child({ module: 'procedures' });
  const procedures = loadDefinitions(settings.definitionsDir);
  const { cipher, ref: citizenRef } = citizen;
  const signer = await createDeliverySigner(loadSigningKey(settings, config.env), config.http.publicUrl);
  const endpoints: EndpointLookup = async (bodyIpa, endpointId) => {
    const found = await catalog.endpoints.target(bodyIpa, endpointId);
    if (found.deliverable) return { url: found.endpoint.url, status: 'active' };
    if (found.reason === 'host-not-declared') return { url: found.endpoint.url, status: found.reason };
    return undefined;
  };
  const repository = createCaseRepository(redis, citizenRef);
  const drafts = createDraftRepository(redis, cipher, citizenRef, settings.draftSeconds);
  const confirmations = createConfirmationRepository(redis, citizenRef);
  const stepEndpoints = procedures
    .list()
    .flatMap((p) => p.definition.steps.map((s) => ({ bodyIpa: s.body, endpointId: s.endpoint })));
  const queues = createDeliveryQueues(config.redis, settings.delivery, stepEndpoints, log);
  const cases = createCaseService({
    procedures,
    repository,
    cipher,
    endpoints,
    enqueue: (jobs) => queues.enqueue(jobs),
    retainDataSeconds: settings.retainDataSeconds,
    moved: listeners.caseMoved ?? [],
    onListenerError: (error) =>
      log.warn({ err: { message: (error as Error).message } }, 'case listener failed'),
  });

  let sweep: NodeJS.Timeout | undefined;
  const recover = async () => {
    const recovered = await cases.recover();
    if (recovered.jobs > 0) log.info(recovered, 'open cases recovered');
  };
  if (settings.delivery.workers) {
    const deliver = createDeliveryProcessor({
      cases,
      signer,
      endpoints,
      fetch: http.fetch,
      publicUrl: config.http.publicUrl,
      timeoutMs: settings.delivery.timeoutMs,
      logger: log,
    });
    queues.startWorkers(deliver, async (job, reason) => {
      await repository.appendHistory(job.caseId, {
        at: new Date().toISOString(),
        step: job.stepId,
        status: 'dead-lettered',
        reason: reason.slice(0, 200),
      });
      for (const listener of listeners.deadLettered ?? [])
        await listener({ ...job, reference: referenceOf(job.caseId), reason: reason.slice(0, 200) });
    });
    await recover();
    sweep = setInterval(() => {
      recover().catch((error: unknown) => log.warn({ err: error }, 'recovery sweep failed'));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
  }

  return {
    procedures,
    cipher,
    signer,
    cases,
    repository,
    drafts,
    confirmations,
    queues,
    /** Stops the workers (in-flight deliveries finish) and closes the queues' connection. */
    async close(): Promise<void> {
      clearInterval(sweep);
      await queues.close();
      if (!outbound) await http.close();
    },
  };
}

export type Procedures = Awaited<ReturnType<typeof buildProcedures>>;

/**
 * The engine's pages and APIs: the published delivery keys, the step-report API for bodies, the admin's
 * dead-letter page and the citizen's pages (journey, cases), with its sections of the personal area and
 * of the home page.
 */
export function proceduresWeb(
  engine: Procedures,
  inputs: {
    config: Readonly<Config>;
    catalog: Pick<Catalog, 'repository'>;
    authenticateBody: RequestHandler;
    /** The network admins' guard (identity/network-admins.ts), for the failed deliveries' page. */
    requireAdmin: RequestHandler[];
    limits: { forms: RequestHandler; api: RequestHandler };
    /** Where the receipt and a finished case ask for a rating (the participation module's). */
    ratingPrompt?: RatingPrompt;
    /** Told where citizens are in a procedure, without who they are (the usage statistics). */
    journeyMoved?: JourneyListener;
  },
): { routers: Router[]; personalAreaSection: PersonalAreaSection; homeLocals: HomeLocals } {
  const { limits } = inputs;
  const bodyName: BodyNameLookup = async (ipaCode, lang) => {
    const body = await inputs.catalog.repository.getBody(ipaCode);
    return body && { name: body.name[lang], ...(body.article ? { article: body.article } : {}) };
  };
  const journey = createJourneyController({
    procedures: engine.procedures,
    drafts: engine.drafts,
    confirmations: engine.confirmations,
    cases: engine.cases,
    bodyName,
    draftSeconds: inputs.config.procedures.draftSeconds,
    ...(inputs.journeyMoved ? { journeyMoved: inputs.journeyMoved } : {}),
  });
  const casePages = createCasePagesController({
    procedures: engine.procedures,
    drafts: engine.drafts,
    cases: engine.cases,
    casesOf: (owner, limit) => engine.repository.listByCitizen(owner, limit),
    bodyName,
    ratingPrompt: inputs.ratingPrompt,
  });
  const reports = createReportController({ cases: engine.cases, procedures: engine.procedures });
  return {
    routers: [
      deliveryKeysRoutes(engine.signer),
      reportApiRoutes(reports, inputs.authenticateBody, limits.api),
      deadLetterRoutes(createDeadLettersController({ queues: engine.queues }), {
        admin: inputs.requireAdmin,
        formLimit: limits.forms,
      }),
      journeyRoutes(journey, casePages, limits.forms),
    ],
    /** The personal area's section of cases and unfinished forms (the page is identity's). */
    personalAreaSection: casePages.personalArea,
    /** What the home page shows of the procedures: those on offer. */
    homeLocals: journey.homeLocals,
  };
}
