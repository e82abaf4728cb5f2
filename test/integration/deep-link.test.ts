import { expect } from 'chai';
import request from 'supertest';
import { buildDeepLink } from '../../src/catalog/deep-link.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { testBody, testService } from './catalog-fixtures.ts';

describe('deep links GET /go/:serviceId', () => {
  let gw: TestGateway;
  const actor = { kind: 'system' as const, id: 'test' };
  before(async () => {
    gw = await createTestGateway();
    const { writer } = gw.deps.catalog;
    await writer.putBody(actor, testBody('demo_links', 'links.example.it'), {
      status: 'approved',
      editors: [],
    });
    const template = {
      ...testService('links.example.it'),
      requiredLevel: 'L2',
      deepLink: { template: 'https://links.example.it/pratiche/{familyName}?cf={fiscalCode}&lang={lang}' },
    };
    await writer.putService(actor, 'demo_links', 'links-template', template, 'published');
    const l3 = { ...testService('links.example.it'), requiredLevel: 'L3' };
    await writer.putService(actor, 'demo_links', 'links-l3', l3, 'published');
  });
  after(() => gw.close());

  it('redirects (303) a service needing no login to its registered URL, and counts the use', async () => {
    const res = await request(gw.app)
      .get('/go/museo-tessuto-biglietti?next=https://evil.example')
      .expect(303);
    expect(res.headers.location).to.equal('https://www.museodeltessuto.it/biglietti');
    // Counted per day (UTC) for the statistics (src/stats), with no personal data.
    const day = new Date().toISOString().slice(0, 10);
    const deepLinks = async () => {
      await gw.deps.stats.flush();
      const counts = await gw.deps.stats.reader.counts({ from: day, to: day });
      return [...counts].filter(([field]) => field.startsWith('deeplink|'));
    };
    expect(await deepLinks()).to.deep.equal([['deeplink|demo_museo_tessuto|museo-tessuto-biglietti', 1]]);
    // A refused follow (unknown service) counts nothing.
    await request(gw.app).get('/go/non-esiste').expect(404);
    expect(await deepLinks()).to.deep.equal([['deeplink|demo_museo_tessuto|museo-tessuto-biglietti', 1]]);
  });

  it('sends an anonymous citizen to log in first, remembering the way back', async () => {
    const agent = request.agent(gw.app);
    await agent
      .get('/go/prato-cambio-residenza')
      .expect(303)
      .expect('Location', '/login?next=%2Fgo%2Fprato-cambio-residenza');
    await agent.get('/__test/login?fiscalCode=RSSMRA80A01H501U&level=2').expect(200);
    const res = await agent.get('/go/prato-cambio-residenza').expect(303);
    expect(res.headers.location).to.equal('https://servizi.comune.prato.it/anagrafe/cambio-residenza');
  });

  it('steps up when the session level is below the service level', async () => {
    const agent = request.agent(gw.app);
    await agent.get('/__test/login?fiscalCode=RSSMRA80A01H501U&level=2').expect(200);
    const res = await agent.get('/go/links-l3').expect(303);
    // A SPID session goes back to its IdP at the higher level (src/identity/step-up.ts).
    expect(res.headers.location).to.match(/^\/spid\/login\?/);
    expect(new URLSearchParams(res.headers.location?.split('?')[1]).get('level')).to.equal('3');
    const l3 = request.agent(gw.app);
    await l3.get('/__test/login?fiscalCode=RSSMRA80A01H501U&level=3').expect(200);
    await l3.get('/go/links-l3').expect(303).expect('Location', 'https://links.example.it/servizio');
  });

  it('fills templates from the session only, URL-encoded, and records recent use', async () => {
    const agent = request.agent(gw.app);
    await agent.get('/__test/login?fiscalCode=RSSMRA80A01H501U&level=2').expect(200);
    const res = await agent.get('/go/links-template?fiscalCode=XXXXXX&familyName=evil').expect(303);
    expect(res.headers.location).to.equal(
      'https://links.example.it/pratiche/Rossi?cf=RSSMRA80A01H501U&lang=it',
    );
    const recent = gw.deps.citizen.keys.key('RSSMRA80A01H501U', 'recent');
    expect(await gw.redis.client.zRange(recent, 0, -1)).to.include('links-template');
  });

  it('never lets a hostile attribute value change the host, path or query', () => {
    const link = { template: 'https://links.example.it/p/{familyName}?n={name}' };
    const url = buildDeepLink(link, { familyName: '../../@evil.example/x?y=1#', name: 'a&admin=1' });
    expect(url.host).to.equal('links.example.it');
    expect(url.pathname).to.equal('/p/..%2F..%2F%40evil.example%2Fx%3Fy%3D1%23');
    expect(url.searchParams.get('n')).to.equal('a&admin=1');
    expect([...url.searchParams.keys()]).to.deep.equal(['n']);
    // Dot segments are resolved by URL parsing even when percent-encoded: refused, never followed.
    for (const familyName of ['..', '.']) {
      const deeper = { template: 'https://links.example.it/p/{familyName}/dettaglio' };
      expect(() => buildDeepLink(deeper, { familyName }), familyName).to.throw(/template/);
    }
    const safe = buildDeepLink(link, { familyName: '...', name: '..' });
    expect(safe.pathname).to.equal('/p/...');
    const encoded = buildDeepLink(link, { familyName: '%2e%2e' });
    expect(encoded.pathname).to.equal('/p/%252e%252e');
    expect(safe.searchParams.get('n')).to.equal('..');
    for (const [name, value] of [
      ['host', 'evil.example'],
      ['at', '@evil.example'],
      ['backslash', '\\evil.example'],
      ['scheme', 'javascript:alert(1)'],
    ]) {
      const url2 = buildDeepLink(
        { template: 'https://links.example.it/{familyName}' },
        { familyName: value },
      );
      expect(url2.origin, name).to.equal('https://links.example.it');
    }
  });
});
