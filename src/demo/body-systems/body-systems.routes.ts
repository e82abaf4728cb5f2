import express, { Router, type Request, type Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Logger } from '../../platform/logger.ts';
import type { RedisConnection } from '../../platform/redis.ts';
import { qualifiedStepId } from '../../procedures/definition.schema.ts';
import type { ProcedureCatalogue } from '../../procedures/definitions.ts';
import { DELIVERY_KEYS_PATH, DELIVERY_TYPE } from '../../procedures/delivery-signer.ts';
import { deliveryClaimsSchema } from '../../procedures/delivery.schema.ts';
import type { DemoReporter } from './demo-reporter.ts';
import { DEMO_STEPS, REPORTED_LATER, type DemoAnswer, type DemoDelivery } from './demo-steps.ts';

export const DEMO_BODIES_PATH = '/demo/bodies';
/** How long a demo body remembers an idempotency key it handled. */
const HANDLED_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface DemoBodySettings {
  publicUrl: string;
  delayMs: number;
  failureRate: number;
  /** Replaceable in tests; a number in [0, 1). */
  random?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The demo body systems (demo mode only, never in production): one endpoint per body endpoint of the
 * procedure definitions, at /demo/bodies/<IPA code>/<endpoint id>. Each behaves as a body's system
 * should: it verifies the gateway's signature with the keys the gateway publishes (fetched over HTTP
 * from DELIVERY_KEYS_PATH, like any body), checks the audience, the type and the idempotency key,
 * handles each idempotency key once, and answers with the step's result — or, for the steps
 * REPORTED_LATER, with "accepted", reporting the result through the API `delayMs` later. `delayMs` and `failureRate`
 * (a 503 before any work) make the demo show progress and retries.
 */
export function demoBodySystemsRoutes(
  procedures: ProcedureCatalogue,
  redis: RedisConnection,
  settings: DemoBodySettings,
  reporter: DemoReporter,
  logger: Logger,
): Router {
  const keys = createRemoteJWKSet(new URL(DELIVERY_KEYS_PATH, settings.publicUrl));
  const random = settings.random ?? Math.random;
  const handles = (ipa: string, endpoint: string, step: string) =>
    procedures
      .list()
      .some((p) =>
        p.definition.steps.some(
          (s) => s.body === ipa && s.endpoint === endpoint && qualifiedStepId(p.definition, s) === step,
        ),
      );

  const receive = async (req: Request<{ ipa: string; endpoint: string }>, res: Response) => {
    const { ipa, endpoint } = req.params;
    const token = typeof req.body === 'string' ? req.body.trim() : '';
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: settings.publicUrl,
        audience: ipa,
        typ: DELIVERY_TYPE,
        algorithms: ['ES256'],
      }));
    } catch (error) {
      logger.warn({ body: ipa, reason: (error as Error).name }, 'demo body refused a delivery signature');
      return res.status(401).json({ error: 'invalid_signature' });
    }
    const parsed = deliveryClaimsSchema.safeParse(claims);
    const key = req.get('idempotency-key');
    if (!parsed.success || !key || key !== claims.jti)
      return res.status(400).json({ error: 'invalid_delivery' });
    const delivery: DemoDelivery = parsed.data;
    const handler = DEMO_STEPS[delivery.step];
    if (!handler || !handles(ipa, endpoint, delivery.step))
      return res.status(422).json({ error: 'step_not_handled_here' });

    await sleep(settings.delayMs);
    // Answers are derived from the delivery, so a repeat gets the same one; only the mark is kept.
    const handledKey = `${redis.prefix}demo:bodies:${ipa}:handled:${key}`;
    const handledBefore = (await redis.client.exists(handledKey)) === 1;
    if (!handledBefore && random() < settings.failureRate)
      return res.status(503).json({ error: 'temporarily_unavailable' });
    const answer: DemoAnswer = handler(delivery);
    const later = REPORTED_LATER.has(delivery.step) && answer.status === 'completed';
    if (!handledBefore) {
      if (later)
        await reporter.owe({ body: ipa, reportUrl: parsed.data.reportUrl, report: answer }, settings.delayMs);
      await redis.client.set(handledKey, new Date().toISOString(), { EX: HANDLED_TTL_SECONDS });
    }
    res.json(later ? { status: 'accepted' } : answer);
  };

  const router = Router();
  router.post(
    `${DEMO_BODIES_PATH}/:ipa/:endpoint`,
    express.text({ type: 'application/jwt', limit: '256kb' }),
    receive,
  );
  return router;
}
