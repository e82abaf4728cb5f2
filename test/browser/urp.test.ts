import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { DEMO_URP_ANSWERER, DEMO_URP_OPERATOR } from '../../src/demo/urp-seed.ts';
import { itChecksPages, launchBrowserOrSkip, type CheckedPage } from '../helpers/browser.ts';
import { createTestGateway, listen, type TestGateway } from '../helpers/gateway.ts';

const CITIZEN = 'RSSMRA80A01H501U';
const EDITOR = 'BNCGNN70C03G999Y';
const ADMIN = 'NRELNE66D44G999Z';

/**
 * The URP desk's pages in a real browser: axe-core's WCAG 2.1 A/AA rules, nothing drawn over the
 * forms' labels and controls on a phone, nothing wider than the phone, no CSP violation; and a
 * citizen's request answered by an operator with JavaScript turned off.
 */
describe('URP desk pages in a browser', function () {
  this.timeout(60_000);
  let gateway: TestGateway;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let ref: string;
  let suggestionRef: string;

  before(async function () {
    browser = await launchBrowserOrSkip(this);
    gateway = await createTestGateway({ registry: { admins: [ADMIN] } });
    await gateway.deps.catalog.writer.setEditors({ kind: 'system', id: 'test' }, 'c_g999', [EDITOR]);
    server = await listen(gateway.app);
    await fetch(`${server.url}/urp/new`); // compiles the templates outside a navigation's timeout
    const desk = gateway.deps.participation.urp;
    const filed = await desk.fileForCitizen(
      CITIZEN,
      {
        kind: 'report',
        topic: 'roads',
        body: 'unknown',
        text: 'Un albero caduto blocca il marciapiede.\nSecondo paragrafo.',
        address: 'Via Roma 1',
        lat: 43.88,
        lon: 11.1,
      },
      'it',
    );
    ref = filed.ref;
    const suggestion = await desk.fileForCitizen(
      CITIZEN,
      {
        kind: 'suggestion',
        topic: 'culture',
        body: 'c_g999',
        text: 'Biblioteca aperta la domenica.',
        publish: 'yes',
      },
      'it',
    );
    suggestionRef = suggestion.ref;
    await desk.publish(suggestion, (await desk.actor(DEMO_URP_OPERATOR))!, {
      text: 'Aprire la biblioteca la domenica.',
      answer: 'Dal prossimo mese, in via sperimentale.',
    });
    const operator = (await desk.actor(DEMO_URP_OPERATOR))!;
    await desk.note(filed, operator, 'Nota interna');
    await desk.route(filed, operator, 'c_g999');
    await desk.people.templates.save(undefined, 'Presa in carico', 'Abbiamo inoltrato la richiesta.');
    await desk.people.templates.save('c_g999', 'Intervento', 'I tecnici interverranno entro una settimana.');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await gateway?.close();
  });

  const pages: CheckedPage[] = [
    { name: 'the form, anonymous', path: () => '/urp/new' },
    { name: 'the published suggestions', path: () => '/urp/suggestions' },
    { name: 'the form, logged in', path: () => '/urp/new', login: CITIZEN },
    { name: "a citizen's requests", path: () => '/me/requests', login: CITIZEN },
    { name: "a citizen's request", path: () => `/me/requests/${ref}`, login: CITIZEN },
    { name: "the operators' queue", path: () => '/urp/queue', login: DEMO_URP_OPERATOR },
    { name: 'a request for an operator', path: () => `/urp/requests/${ref}`, login: DEMO_URP_OPERATOR },
    {
      name: 'a suggestion to publish',
      path: () => `/urp/requests/${suggestionRef}`,
      login: DEMO_URP_OPERATOR,
    },
    { name: "a body's queue", path: () => '/urp/bodies/c_g999/queue', login: DEMO_URP_ANSWERER },
    {
      name: "a body's answer templates",
      path: () => '/urp/bodies/c_g999/templates',
      login: DEMO_URP_ANSWERER,
    },
    { name: "the admins' operators and apps", path: () => '/admin/urp', login: ADMIN },
    { name: "the editors' answerers", path: () => '/editor/bodies/c_g999/urp', login: EDITOR },
  ];

  itChecksPages(pages, () => ({ browser, url: server.url }));

  it('a citizen writes and an operator answers, with JavaScript turned off', async () => {
    const citizen = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
    const operator = await browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
    try {
      const page = await citizen.newPage();
      await page.goto(`${server.url}/__test/login?fiscalCode=${CITIZEN}`);
      await page.goto(`${server.url}/urp/new`);
      await page.locator('label[for="urp-kind-information"]').click();
      await page.getByLabel('Argomento').selectOption('taxes');
      await page.getByLabel('Testo della richiesta').fill('Quando scade la prima rata della TARI?');
      await page.getByRole('button', { name: 'Invia la richiesta' }).click();
      const reference = (await page.locator('.varco-urp-reference').innerText()).trim();
      expect(reference).to.match(/^URP-\d{4}-\d{6}$/);
      expect(await page.locator('.varco-due').innerText()).to.contain('30');

      const desk = await operator.newPage();
      await desk.goto(`${server.url}/__test/login?fiscalCode=${DEMO_URP_OPERATOR}`);
      await desk.goto(`${server.url}/urp/queue?status=received`);
      await desk.getByRole('link', { name: reference }).click();
      await desk.getByLabel('Risposta al richiedente').fill('La prima rata scade il 16 maggio.');
      await desk.getByRole('button', { name: 'Invia la risposta' }).click();
      expect(await desk.locator('[role="status"]').innerText()).to.contain('Risposta inviata');

      await page.goto(`${server.url}/me/requests/${reference}`);
      expect(await page.locator('.varco-urp-status').innerText()).to.equal('Risposta data');
      expect(await page.locator('.varco-urp-from-urp .varco-urp-text').innerText()).to.equal(
        'La prima rata scade il 16 maggio.',
      );
    } finally {
      await citizen.close();
      await operator.close();
    }
  });
});
