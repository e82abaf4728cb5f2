import { expect } from 'chai';
import * as cheerio from 'cheerio';
import { lookup as systemLookup } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import type * as oidc from 'openid-client';
import { createLogger } from '../../src/platform/logger.ts';
import { buildProcedures } from '../../src/procedures/procedures.module.ts';
import { csrfTokenFrom, testCitizen } from '../helpers/gateway.ts';
import { eventually, newbornForm, startDeliveringGateway, testBodySystem } from '../helpers/procedures.ts';
import { TestBrowser, authorizationRequest, discoverClient, enterService } from '../helpers/sso.ts';
import { testCertificate } from '../helpers/tls.ts';
import { testService } from './catalog-fixtures.ts';

const ADMIN = 'VRDLGU70A01G999W';
const EDITOR = 'BNCLRA85M41G999K';
const CITIZEN = 'RSSMRA80A01H501U';
const BODY = 'c_g999';
const DOMAIN = 'servizi.ente-prova.it';
const SERVICE = 'sportello-prova';
const SYSTEM = { kind: 'system', id: 'test' } as const;

/** The body's DNS, played by the test: its domain is this machine; other names resolve as usual. */
const bodyDns: LookupFunction = (hostname, options, callback) =>
  hostname === DOMAIN
    ? callback(null, [{ address: '127.0.0.1', family: 4 }])
    : systemLookup(hostname, options, callback);

/**
 * A body's domain, its single sign-on client and its procedure endpoint on it; a network admin withdraws
 * the domain at /admin: everything bound to it stops at once (and starts again when it is declared again).
 */
describe('withdrawing a domain cuts off what is bound to it, at once', function () {
  this.timeout(60_000);
  const tls = testCertificate(DOMAIN);
  let gateway: Awaited<ReturnType<typeof startDeliveringGateway>>;
  let endpointSystem: ReturnType<typeof testBodySystem>;
  let rp: Server;
  let rpOrigin: string;
  let rpRequests: string[] = [];
  let declared: string[];
  let client: oidc.Configuration;
  let secret: string;
  const citizen = () => new TestBrowser(gateway.url);

  async function setDomains(domains: string[]) {
    const admin = citizen();
    await admin.login(ADMIN);
    const csrf = csrfTokenFrom(await (await admin.request('/admin')).text());
    const answer = await admin.post(`/admin/bodies/${BODY}/domains`, {
      _csrf: csrf,
      domains: domains.join(' '),
    });
    expect(answer.status).to.equal(303);
  }

  before(async () => {
    rp = createServer((req, res) => {
      rpRequests.push(`${req.method} ${req.url}`);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    rpOrigin = `http://${DOMAIN}:${(rp.address() as AddressInfo).port}`;
    gateway = await startDeliveringGateway(
      {
        registry: { admins: [ADMIN] },
        procedures: { delivery: { workers: false, attempts: 3 } },
        rateLimit: { forms: { windowSeconds: 60, max: 10_000 } },
      },
      { outbound: { lookup: bodyDns, ca: [tls.cert] } },
    );
    endpointSystem = testBodySystem(gateway.url, () => ({ status: 202 }), { tls });
    await endpointSystem.start();

    // The admin declares the domain; the body puts its endpoint and a single sign-on service on it.
    declared = (await gateway.deps.catalog.repository.getBody(BODY))!.domains;
    await setDomains([...declared, DOMAIN]);
    const { writer } = gateway.deps.catalog;
    await writer.setEditors(SYSTEM, BODY, [EDITOR]);
    await writer.putEndpoint(SYSTEM, BODY, 'stato-civile-nascite', {
      title: { it: 'Stato civile', en: 'Civil status' },
      url: `https://${DOMAIN}:${endpointSystem.port}/consegne`,
      handles: ['newborn.birth-registration'],
    });
    const purpose = { it: 'Per il servizio', en: 'For the service' };
    await writer.putService(
      SYSTEM,
      BODY,
      SERVICE,
      {
        ...testService(DOMAIN, 'Sportello di prova'),
        integration: 'sso',
        sso: {
          redirectUris: [`${rpOrigin}/callback`],
          postLogoutRedirectUris: [`${rpOrigin}/bye`],
          backchannelLogoutUri: `${rpOrigin}/bcl`,
          clientAuthentication: { method: 'client_secret_basic' },
          claims: [{ claim: 'fiscal_number', purpose }],
        },
      },
      'published',
    );
    secret = await gateway.deps.sso.secrets.rotate(SERVICE);
    client = await discoverClient(gateway.url, SERVICE, { secret });
  });
  after(async () => {
    await endpointSystem.stop();
    await new Promise<void>((resolve) => rp.close(() => resolve()));
    await gateway.stop();
  });

  it('refuses codes, tokens, userinfo, logout notices and deliveries; the editors see why; restoring gives them back', async () => {
    const browser = citizen();
    await browser.login(CITIZEN);
    const entered = await enterService(browser, client, `${rpOrigin}/callback`);
    expect(entered.claims.fiscal_number).to.equal(`TINIT-${CITIZEN}`);
    // A code issued before the withdrawal, not yet exchanged.
    const pending = await authorizationRequest(client, `${rpOrigin}/callback`);
    const issued = await browser.follow(pending.url.href);
    expect(issued.left?.searchParams.get('code')).to.be.a('string');
    // A case whose first step waits for the body's endpoint (no workers yet).
    const newborn = gateway.deps.procedures.procedures.get('newborn')!;
    const record = await gateway.deps.procedures.cases.confirm(newborn, testCitizen(), newbornForm());
    expect(record.steps['birth-registration']?.status).to.equal('queued');

    await setDomains(declared);

    // Authorization: an error page at the gateway, no redirect to the service, no code.
    const start = await authorizationRequest(client, `${rpOrigin}/callback`);
    const refused = await browser.follow(start.url.href);
    expect(refused.left).to.equal(undefined);
    expect(refused.response.status).to.equal(400);
    // Token: the code issued before is not exchanged, no personal claims leave.
    const token = await fetch(`${gateway.url}/op/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${SERVICE}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: issued.left!.searchParams.get('code')!,
        redirect_uri: `${rpOrigin}/callback`,
        code_verifier: pending.verifier,
      }),
    });
    expect(token.status).to.equal(401);
    const tokenAnswer = (await token.json()) as Record<string, unknown>;
    expect(tokenAnswer.error).to.equal('invalid_client');
    expect(tokenAnswer).to.not.have.any.keys('id_token', 'access_token');
    // Userinfo with the access token issued before: refused, no claims.
    const userinfo = await fetch(`${gateway.url}/op/me`, {
      headers: { authorization: `Bearer ${entered.tokens.access_token}` },
    });
    expect(userinfo.status).to.equal(401);
    const userinfoText = await userinfo.text();
    expect(userinfoText).to.contain('invalid_token');
    expect(userinfoText).to.not.contain(CITIZEN);
    // Back-channel logout: nothing is POSTed to the withdrawn domain.
    rpRequests = [];
    const me = cheerio.load(await (await browser.request('/me')).text());
    const endAll = String(me('form[action="/me/services/end-all"] input[name="_csrf"]').val());
    expect((await browser.post('/me/services/end-all', { _csrf: endAll })).status).to.equal(303);
    expect(rpRequests).to.deep.equal([]);

    // Delivery: workers start now; the step goes to the dead letters, nothing reaches the endpoint.
    const config = {
      ...gateway.config,
      procedures: {
        ...gateway.config.procedures,
        delivery: { ...gateway.config.procedures.delivery, workers: true },
      },
    };
    const workers = await buildProcedures(
      config,
      createLogger('silent'),
      gateway.redis,
      gateway.deps.catalog,
      undefined,
      gateway.deps.outbound,
    );
    try {
      const letter = await eventually(async () =>
        (await workers.queues.deadLetters()).find((l) => l.job.caseId === record.id),
      );
      expect(letter.job.stepId).to.equal('birth-registration');
      expect(letter.reason).to.equal(
        `not delivered: the endpoint's host ${DOMAIN} is no longer one of the body's declared domains`,
      );
      expect(letter.attempts).to.equal(1);
      expect(endpointSystem.connections()).to.equal(0);
      const history = await gateway.deps.procedures.cases.history(record.id);
      expect(history.find((e) => e.status === 'dead-lettered')?.reason).to.contain('declared domains');

      // The body's editors see each thing the withdrawal cut off, in Italian and in English.
      const editor = citizen();
      await editor.login(EDITOR);
      const page = cheerio.load(await (await editor.request('/editor')).text());
      const ssoNotice = page('.varco-sso-cut-off');
      expect(ssoNotice).to.have.length(1);
      expect(ssoNotice.closest('tr').text()).to.contain(SERVICE);
      expect(ssoNotice.text()).to.contain(`Accesso unico sospeso: ${DOMAIN}`);
      const endpointNotice = page('.varco-endpoint-cut-off');
      expect(endpointNotice).to.have.length(1);
      expect(endpointNotice.closest('tr').text()).to.contain('stato-civile-nascite');
      expect(endpointNotice.text()).to.contain(`Consegne sospese: ${DOMAIN}`);
      await editor.request('/lang/en?next=/editor');
      const english = cheerio.load(await (await editor.request('/editor')).text());
      expect(english('.varco-sso-cut-off').text()).to.contain(`Single sign-on suspended: ${DOMAIN}`);
      expect(english('.varco-endpoint-cut-off').text()).to.contain(`Deliveries suspended: ${DOMAIN}`);

      // Declared again: the service is entered again (and told of the logout), the delivery retried arrives.
      await setDomains([...declared, DOMAIN]);
      const again = await enterService(browser, client, `${rpOrigin}/callback`);
      expect(again.claims.fiscal_number).to.equal(`TINIT-${CITIZEN}`);
      rpRequests = [];
      const meAgain = cheerio.load(await (await browser.request('/me')).text());
      const csrf = String(meAgain('form[action="/me/services/end-all"] input[name="_csrf"]').val());
      await browser.post('/me/services/end-all', { _csrf: csrf });
      expect(rpRequests).to.deep.equal(['POST /bcl']);
      expect(await workers.queues.retry(letter.queue, letter.id)).to.equal(true);
      await eventually(async () =>
        endpointSystem.received.some((d) => d.key === `${record.id}.birth-registration`) ? true : undefined,
      );
      const restored = cheerio.load(await (await editor.request('/editor')).text());
      expect(restored('.varco-sso-cut-off, .varco-endpoint-cut-off')).to.have.length(0);
    } finally {
      await workers.close();
    }
  });
});
