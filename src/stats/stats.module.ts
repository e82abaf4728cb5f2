import type { Request, RequestHandler, Router } from 'express';
import type { Config } from '../config/schema.ts';
import type { Language } from '../platform/i18n.ts';
import type { Logger } from '../platform/logger.ts';
import type { RedisConnection } from '../platform/redis.ts';
import type { RecordEvent } from './events.ts';
import {
  createStatsController,
  type BodySatisfaction,
  type EndpointHealth,
  type StatsNames,
} from './stats.controller.ts';
import { statsRoutes } from './stats.routes.ts';
import { createMetrics, metricsRoutes, type DeliveryCounts, type Metrics } from './metrics.ts';
import { createStatsReader } from './stats.reader.ts';
import { createStatsRecorder } from './stats.recorder.ts';

/**
 * Usage statistics without personal data: the one recorder every module reports to (given to them by
 * the composition root as a listener), its storage in Redis and its reader. Built first, so every
 * other module can be given `record`; started at once, closed last (what it holds is written then).
 */
export function buildStats(
  config: Readonly<Config>,
  logger: Logger,
  redis: RedisConnection,
  inputs: { deliveries?: DeliveryCounts; mail?: () => Promise<Record<string, number>> } = {},
) {
  const metrics = createMetrics({ redis, ...inputs });
  const recorder = createStatsRecorder(redis, config.stats, {
    logger,
    visitorKey: config.session.secrets[0] ?? '',
    onWriteError: metrics.statsBatchLost,
  });
  recorder.start();
  const reader = createStatsReader(redis);
  const record: RecordEvent = config.stats.recording ? (event) => recorder.record(event) : () => undefined;
  return {
    record,
    /** What the other modules are given to report to (each maps its own event, keeping no citizen). */
    listeners: statsListeners(record, metrics),
    metrics,
    /** GET /metrics for operators (needs no session and no Redis: mounted beside the probes). */
    metricsRouter: metricsRoutes(metrics, config.stats.metricsToken),
    /** Writes what this instance counted so far (tests, and close). */
    flush: async () => {
      await recorder.flush();
      reader.invalidate();
    },
    reader,
    close: () => recorder.close(),
  };
}

export type Stats = ReturnType<typeof buildStats>;

/** The statistics' pages, built once the catalog, the ratings and the procedures they name are. */
export function statsWeb(
  stats: Stats,
  inputs: {
    config: Readonly<Config>;
    names: StatsNames;
    satisfaction: BodySatisfaction;
    deliveries: EndpointHealth;
    editableBody: (
      req: Request,
      ipaCode: string,
    ) => Promise<{ ipaCode: string; name: Record<Language, string> }>;
    requireAdmin: RequestHandler[];
  },
): { routers: Router[] } {
  const controller = createStatsController({
    reader: stats.reader,
    names: inputs.names,
    satisfaction: inputs.satisfaction,
    deliveries: inputs.deliveries,
    editableBody: inputs.editableBody,
    threshold: inputs.config.stats.threshold,
    keptMonths: inputs.config.stats.monthlyRetentionMonths,
    keptDays: inputs.config.stats.dailyRetentionDays,
  });
  return { routers: [statsRoutes(controller, { admin: inputs.requireAdmin })] };
}

/** The listeners the composition root hands to the modules, each turning their event into counts. */
function statsListeners(record: RecordEvent, metrics: Metrics) {
  return {
    login: (outcome: { provider: string; level: number | undefined; outcome: 'success' | 'failure' }) => {
      record({ kind: 'login', ...outcome });
      metrics.loginOutcome(outcome);
    },
    serviceEntered: async (_fiscalCode: string, service: { id: string; bodyId: string }) =>
      record({ kind: 'sso', service: service.id, body: service.bodyId }),
    consentChanged: (change: 'given' | 'revoked', service: { serviceId: string; bodyId: string }) =>
      record({ kind: 'consent', service: service.serviceId, body: service.bodyId, change }),
    journeyMoved: (
      event: { procedure: string; stage: 'started' | 'confirmed' } | { procedure: string; page: string },
    ) => record('page' in event ? { kind: 'procedure-page', ...event } : { kind: 'procedure', ...event }),
    async caseMoved(event: {
      procedureId: string;
      step: { id: string; body: string };
      status: string;
      caseStatus: 'open' | 'completed' | 'closed';
      openedAt: string;
      at: string;
      since: string;
    }) {
      const procedure = event.procedureId;
      const step = { procedure, body: event.step.body, step: event.step.id };
      const seconds = (from: string) => Math.max(0, (Date.parse(event.at) - Date.parse(from)) / 1000);
      record({ kind: 'step', ...step, status: event.status });
      // How long the body took to complete the step, from the state it left (delivered, usually).
      if (event.status === 'completed') record({ kind: 'step-time', ...step, seconds: seconds(event.since) });
      if (event.caseStatus !== 'open')
        record({
          kind: 'procedure-end',
          procedure,
          outcome: event.caseStatus,
          seconds: seconds(event.openedAt),
        });
    },
    /**
     * The URP desk's listener (src/participation): a request received or overdue for its competent body,
     * or answered, with the time from its arrival to the first answer. Only the body and the times.
     */
    urpMoved: (
      event:
        | { body: string; stage: 'received' | 'overdue' }
        | { body: string; stage: 'answered'; seconds: number },
    ) => record({ kind: 'urp', ...event }),
    async deadLettered(letter: { bodyIpa: string; endpointId: string }) {
      record({ kind: 'delivery', body: letter.bodyIpa, endpoint: letter.endpointId, outcome: 'dead-letter' });
    },
  };
}
