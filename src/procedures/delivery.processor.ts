import { UnrecoverableError } from 'bullmq';
import type { Response } from 'undici';
import type { Logger } from '../platform/logger.ts';
import { addressRefused, type OutboundFetch } from '../platform/outbound-http.ts';
import {
  idempotencyKey,
  type CaseService,
  type DeliveryJob,
  type EndpointLookup,
  type StepReport,
} from './case.service.ts';
import type { DeliverySigner } from './delivery-signer.ts';
import type { DeliveryClaims } from './delivery.schema.ts';
import { stepReportSchema } from './report.schema.ts';

/** Answers worth trying again: the endpoint is down, overloaded or timed out. Other 4xx are final. */
const RETRYABLE = new Set([408, 425, 429]);

/** How much of a body's answer is read: a report is small. */
const ANSWER_LIMIT = 100_000;

/**
 * The first ANSWER_LIMIT bytes of the answer, the rest dropped unread: a body answering without end
 * must not fill the worker's memory (a worker that dies holding a delivery is taken over, and would die
 * again on the same answer until the delivery is dead-lettered).
 */
async function readAnswer(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < ANSWER_LIMIT) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, ANSWER_LIMIT).toString('utf8');
}

/**
 * What went wrong on the network, for the dead letter: the system error's code (ECONNREFUSED, ENOTFOUND,
 * UND_ERR_CONNECT_TIMEOUT…), found among the causes fetch wraps it in, or "timeout" for our own deadline.
 */
export function networkFailure(error: unknown): string {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'timeout';
    const { code } = current as NodeJS.ErrnoException;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? error.message.slice(0, 100) : 'unknown error';
}

/** The report in a delivery's answer, when it carries a valid one; a plain 2xx means "delivered". */
function reportIn(text: string): StepReport {
  if (!text.trim()) return { status: 'delivered' };
  try {
    const parsed = stepReportSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: the body only acknowledged the delivery
  }
  return { status: 'delivered' };
}

/**
 * Delivers one step: builds what the body receives, signs it, POSTs it to the body's registered
 * endpoint with the idempotency key, and records the answer. Throwing makes BullMQ try again later.
 */
export function createDeliveryProcessor(deps: {
  cases: CaseService;
  signer: DeliverySigner;
  endpoints: EndpointLookup;
  /** Refuses non-public addresses at connection time (loopback allowed in demo mode). */
  fetch: OutboundFetch;
  publicUrl: string;
  timeoutMs: number;
  logger: Logger;
}) {
  return async (job: DeliveryJob): Promise<string> => {
    const payload = await deps.cases.payloadFor(job.caseId, job.stepId);
    if (!payload) return 'already-delivered';
    const endpoint = await deps.endpoints(job.bodyIpa, job.endpointId);
    // The body no longer declares the endpoint's domain: nothing is sent, and the dead letter says why (an
    // admin retries it once the domain is declared again or the endpoint moved).
    if (endpoint?.status === 'host-not-declared')
      throw new UnrecoverableError(
        `not delivered: the endpoint's host ${new URL(endpoint.url).hostname} is no longer one of the body's declared domains`,
      );
    if (endpoint?.status !== 'active')
      throw new Error(`endpoint ${job.bodyIpa}/${job.endpointId} is not active`);
    const key = idempotencyKey(job.caseId, job.stepId);
    const reportUrl = new URL(
      `/api/v1/cases/${job.caseId}/steps/${job.stepId}/result`,
      deps.publicUrl,
    ).toString();
    const claims: DeliveryClaims = { ...payload, reportUrl };
    const token = await deps.signer.sign(claims, { audience: job.bodyIpa, jti: key });
    let response: Response;
    try {
      response = await deps.fetch(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/jwt', accept: 'application/json', 'idempotency-key': key },
        body: token,
        redirect: 'error',
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
    } catch (error) {
      // A host resolving to a loopback, private or link-local address will not change by retrying soon:
      // the delivery stops here, and the dead letter says why (an admin retries once DNS is fixed).
      const refused = addressRefused(error);
      if (refused) throw new UnrecoverableError(`not delivered: ${refused.message}`);
      throw new Error(`endpoint unreachable: ${networkFailure(error)}`, { cause: error });
    }
    const text = await readAnswer(response);
    if (response.status >= 500 || RETRYABLE.has(response.status))
      throw new Error(`endpoint answered ${response.status}`);
    if (!response.ok) throw new UnrecoverableError(`endpoint refused the delivery with ${response.status}`);
    const report = reportIn(text);
    try {
      await deps.cases.report(job.caseId, job.stepId, report);
    } catch (error) {
      // A malformed result (e.g. missing outputs) still proves delivery; the body can report again via the API.
      deps.logger.warn(
        { case: job.caseId, step: job.stepId, code: (error as { code?: string }).code },
        'result in delivery answer refused',
      );
      await deps.cases.report(job.caseId, job.stepId, { status: 'delivered' });
    }
    return report.status;
  };
}
