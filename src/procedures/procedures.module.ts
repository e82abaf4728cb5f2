import type { Router } from 'express';
import type { Catalog } from '../catalog/catalog.module.ts';
import type { HomeLocals } from '../catalog/catalog.controller.ts';
import { demoBodySystemsRoutes } from '../demo/body-systems/body-systems.routes.ts';
import { createDemoReporter } from '../demo/body-systems/demo-reporter.ts';
import type { Config } from '../config/schema.ts';
import type { Dependencies } from '../dependencies.ts';
import type { PersonalAreaSection } from '../identity/identity.controller.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { bodyAuthentication } from '../registry/api-auth.ts';
import { createCredentials } from '../registry/credentials.repository.ts';
import { createCaseRepository } from './case.repository.ts';
import { createCaseService, type EndpointLookup } from './case.service.ts';
import { createCitizenRef, type CitizenRef } from '../platform/citizen-ref.ts';
import { createOutboundHttp, loopbackAllowed, type OutboundHttp } from '../platform/outbound-http.ts';
import { createConfirmationRepository } from './confirmation.repository.ts';
import { createDataCipher } from './data-cipher.ts';
import { createDeadLettersController } from './dead-letters.controller.ts';
import { loadDefinitions } from './definitions.ts';
import { createDeliveryQueues } from './delivery-queue.ts';
import { createDeliverySigner } from './delivery-signer.ts';
import { createDeliveryProcessor } from './delivery.processor.ts';
import { createDraftRepository } from './draft.repository.ts';
import { journeyRouter } from './journey.module.ts';
import { loadDataKeys, loadIndexKey, loadSigningKey } from './keys.ts';
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
  citizenRef: CitizenRef = createCitizenRef(loadIndexKey(config.procedures, config.env)),
  /** Requests to bodies' endpoints; made here (and closed with the engine) unless given. */
  outbound?: OutboundHttp,
) {
  const http = outbound ?? createOutboundHttp({ allowLoopback: loopbackAllowed(config) });
  const settings = config.procedures;
  const log = logger.child({ module: 'procedures' });
  const procedures = loadDefinitions(settings.definitionsDir);
  const cipher = createDataCipher(loadDataKeys(settings, config.env));
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
    queues.startWorkers(deliver, (job, reason) =>
      repository.appendHistory(job.caseId, {
        at: new Date().toISOString(),
        step: job.stepId,
        status: 'dead-lettered',
        reason: reason.slice(0, 200),
      }),
    );
    await recover();
    sweep = setInterval(() => {
      recover().catch((error: unknown) => log.warn({ err: error }, 'recovery sweep failed'));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
  }

  // Demo mode only: the demo body systems' reports sent later through the API (src/demo/body-systems).
  const demoReporter =
    config.demo && config.env !== 'production'
      ? createDemoReporter({
          redis,
          credentials: createCredentials(redis),
          publicUrl: config.http.publicUrl,
          logger: log,
        })
      : undefined;
  await demoReporter?.resume();

  return {
    procedures,
    demoReporter,
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
      await demoReporter?.close();
      if (!outbound) await http.close();
    },
  };
}

export type Procedures = Awaited<ReturnType<typeof buildProcedures>>;

/**
 * The engine's routers: the published delivery keys and the step-report API for bodies. The citizen's
 * pages (journey), the admin's dead-letter page and the demo body systems are added to this list.
 */
export function proceduresRouters(deps: Dependencies): {
  routers: Router[];
  personalAreaSection: PersonalAreaSection;
  homeLocals: HomeLocals;
} {
  const { procedures, catalog } = deps;
  const journey = journeyRouter(deps);
  const authenticate = bodyAuthentication(createCredentials(deps.redis), catalog.repository);
  const reports = createReportController({ cases: procedures.cases, procedures: procedures.procedures });
  const routers = [
    deliveryKeysRoutes(procedures.signer),
    reportApiRoutes(reports, authenticate, deps.rateLimits.api),
    deadLetterRoutes(
      createDeadLettersController({ queues: procedures.queues, admins: deps.config.registry.admins }),
      deps.rateLimits.forms,
    ),
    journey.router,
  ];
  const { config } = deps;
  if (procedures.demoReporter) {
    const settings = { publicUrl: config.http.publicUrl, ...config.procedures.demoBodySystems };
    routers.push(
      demoBodySystemsRoutes(
        procedures.procedures,
        deps.redis,
        settings,
        procedures.demoReporter,
        deps.logger,
      ),
    );
  }
  return {
    routers,
    personalAreaSection: journey.personalAreaSection,
    homeLocals: journey.homeLocals,
  };
}
