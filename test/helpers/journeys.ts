import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { Express } from 'express';
import type { FieldDefinition } from '../../src/procedures/definition.schema.ts';
import type { Procedure } from '../../src/procedures/definitions.ts';
import type { FormValues } from '../../src/procedures/form.ts';
import { csrfTokenFrom } from './gateway.ts';
import { finished, newbornForm, startDeliveringGateway } from './procedures.ts';

/**
 * The journeys every Redis topology must carry (test/integration/redis-*.test.ts): a login, a search,
 * an entry to a body's service (the deep link), and a newborn case filed through its pages.
 */
export type Agent = ReturnType<typeof request.agent>;
export const NEWBORN = '/procedures/newborn';

const posted = (field: FieldDefinition, value: FormValues[string] | undefined): string =>
  value === undefined ? '' : field.type === 'checkbox' ? (value === true ? 'yes' : '') : String(value);

export async function logIn(app: Express, fiscalCode = 'RSSMRA80A01H501U'): Promise<Agent> {
  const agent = request.agent(app);
  await agent.get(`/__test/login?level=2&fiscalCode=${fiscalCode}`).expect(200);
  return agent;
}

/** Login, personal area, search and a deep link into a body's service, each answering as it should. */
export async function browse(app: Express, agent: Agent): Promise<void> {
  await agent.get('/me').expect(200);
  const search = await agent.get('/services?q=anagrafe').expect(200);
  expect(search.text).to.include('/services/');
  await agent.get('/go/prato-cambio-residenza').expect(303);
  await request(app).get('/').expect(200);
}

/** Fills every page of the newborn form with valid values; the preview is next. */
export async function fillNewborn(agent: Agent, procedure: Procedure, values = newbornForm()): Promise<void> {
  for (const page of procedure.definition.form.pages) {
    const html = (await agent.get(`${NEWBORN}/pages/${page.id}`).expect(200)).text;
    const form: Record<string, string> = { _csrf: csrfTokenFrom(html) };
    for (const field of page.fields) form[field.id] = posted(field, values[field.id]);
    await agent.post(`${NEWBORN}/pages/${page.id}`).type('form').send(form).expect(303);
  }
}

/** The confirmation form of the preview, ticked. */
export async function confirmationForm(agent: Agent): Promise<Record<string, string>> {
  const html = (await agent.get(`${NEWBORN}/preview`).expect(200)).text;
  return {
    _csrf: csrfTokenFrom(html),
    submission: String(cheerio.load(html)('input[name="submission"]').val()),
    confirmed: 'yes',
  };
}

/** The case id of a receipt's address, or undefined. */
export const receiptCase = (location: string | undefined) =>
  /^\/cases\/([0-9A-Z]{16})\/receipt$/.exec(location ?? '')?.[1];

/**
 * A gateway with its delivery workers on a Redis topology (`redis`: its `sentinel` or `cluster`
 * settings), with the short timeouts the failover tests need and no form rate limit in their way.
 */
export function startTopologyGateway(redis: Record<string, unknown>, commandTimeoutMs: number) {
  return startDeliveringGateway({
    redis: { url: undefined, ...redis, commandTimeoutMs, maxReconnectDelayMs: 200 },
    procedures: { delivery: { supervisionMs: 500 } },
    rateLimit: { forms: { windowSeconds: 60, max: 100_000 } },
  });
}

/** Children's names for the cases one test files: each a new birth, not the same one filed again. */
const CHILDREN = ['Giulia', 'Marco', 'Sara', 'Pietro', 'Anna', 'Elena', 'Tommaso', 'Chiara'];
let filed = 0;

/** Files a newborn case (a child of its own) through its pages and waits until every step has left the queue. */
export async function fileAndDeliver(
  gateway: Parameters<typeof finished>[0],
  agent: Agent,
  procedure: Procedure,
): Promise<void> {
  await fillNewborn(
    agent,
    procedure,
    newbornForm({ childGivenName: CHILDREN[filed++ % CHILDREN.length] ?? 'Giulia' }),
  );
  const answer = await agent
    .post(`${NEWBORN}/preview`)
    .type('form')
    .send(await confirmationForm(agent));
  expect(answer.status).to.equal(303);
  const record = await finished(gateway, receiptCase(answer.headers.location)!, 30_000);
  expect(Object.values(record.steps).some((step) => step.status === 'queued')).to.equal(false);
}
