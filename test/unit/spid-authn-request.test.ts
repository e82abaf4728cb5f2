import { expect } from 'chai';
import request from 'supertest';
import { parseXml } from '../../src/identity/spid/idp-metadata.ts';
import { verifyRedirect } from '../../src/identity/spid/redirect-binding.ts';
import { NS } from '../../src/identity/spid/saml-constants.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { createTestIdp, decodeLoginRedirect, startLogin } from '../helpers/saml.ts';

const idp = createTestIdp();

describe('GET /spid/login', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await createTestGateway({ rateLimit: { login: { windowSeconds: 60, max: 1000 } } });
    gateway.deps.spid.idps.add(idp.descriptor);
  });
  after(async () => {
    await gateway.close();
  });

  it('redirects to the IdP with an AuthnRequest per the SPID rules, signed over the query string', async () => {
    const { url, xml, id, relayState } = await startLogin(request.agent(gateway.app), idp, 2);
    expect(url.origin + url.pathname).to.equal(idp.descriptor.ssoRedirect);
    const rawQuery = url.search.slice(1);
    expect(rawQuery).to.match(/^SAMLRequest=[^&]+&RelayState=[^&]+&SigAlg=[^&]+&Signature=[^&]+$/);
    expect(verifyRedirect(rawQuery, [gateway.deps.spid.sp.keys.cert])?.xml).to.equal(xml);
    expect(
      verifyRedirect(rawQuery.replace('RelayState=', 'RelayState=x'), [gateway.deps.spid.sp.keys.cert]),
    ).to.equal(undefined);
    expect(verifyRedirect(rawQuery, [idp.keys.cert])).to.equal(undefined);

    const root = parseXml(xml).documentElement;
    const { sp } = gateway.deps.spid;
    expect(root.localName).to.equal('AuthnRequest');
    expect(root.getAttribute('Version')).to.equal('2.0');
    expect(root.getAttribute('Destination')).to.equal(idp.descriptor.ssoRedirect);
    expect(root.getAttribute('ForceAuthn')).to.equal('true');
    expect(root.getAttribute('AssertionConsumerServiceIndex')).to.equal('0');
    expect(root.getAttribute('AttributeConsumingServiceIndex')).to.equal('0');
    expect(root.getAttribute('IssueInstant')).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const issuer = root.getElementsByTagNameNS(NS.assertion, 'Issuer')[0]!;
    expect(issuer.textContent).to.equal(sp.entityId);
    expect(issuer.getAttribute('NameQualifier')).to.equal(sp.entityId);
    expect(issuer.getAttribute('Format')).to.equal('urn:oasis:names:tc:SAML:2.0:nameid-format:entity');
    const policy = root.getElementsByTagNameNS(NS.protocol, 'NameIDPolicy')[0]!;
    expect(policy.getAttribute('Format')).to.equal('urn:oasis:names:tc:SAML:2.0:nameid-format:transient');
    expect(policy.hasAttribute('AllowCreate')).to.equal(false);
    const context = root.getElementsByTagNameNS(NS.protocol, 'RequestedAuthnContext')[0]!;
    expect(context.getAttribute('Comparison')).to.equal('minimum');
    expect(context.textContent).to.equal('https://www.spid.gov.it/SpidL2');

    // RelayState is opaque; the request is recorded in Redis for any instance, with a TTL.
    expect(relayState).to.match(/^[\w-]{22}$/);
    const key = `${gateway.config.redis.prefix}saml:req:${id}`;
    const record = JSON.parse((await gateway.redis.client.get(key))!);
    expect(record).to.include({ idp: idp.entityId, level: 2, relayState, returnTo: '/me' });
    expect(await gateway.redis.client.ttl(key)).to.be.within(1, gateway.config.spid.requestTtlSeconds);
  });

  it('does not force authentication at level 1', async () => {
    const { xml } = await startLogin(request.agent(gateway.app), idp, 1);
    expect(parseXml(xml).documentElement.hasAttribute('ForceAuthn')).to.equal(false);
    expect(xml).to.contain('https://www.spid.gov.it/SpidL1');
  });

  it('forces authentication at level 1 when a fresh one is asked for (fresh=1), and refuses other values', async () => {
    const agent = request.agent(gateway.app);
    const query = `idp=${encodeURIComponent(idp.entityId)}&level=1`;
    const res = await agent.get(`/spid/login?${query}&fresh=1`).expect(302);
    const { xml } = decodeLoginRedirect(res.headers.location!);
    expect(parseXml(xml).documentElement.getAttribute('ForceAuthn')).to.equal('true');
    expect(xml).to.contain('https://www.spid.gov.it/SpidL1');
    const keys = () => gateway.redis.client.keys(`${gateway.config.redis.prefix}saml:req:*`);
    const before = (await keys()).length;
    for (const fresh of ['0', 'true', '', '1&fresh=1']) {
      const refused = await agent.get(`/spid/login?${query}&fresh=${fresh}`).expect(400);
      expect(refused.headers.location).to.equal(undefined);
    }
    expect((await keys()).length).to.equal(before);
  });

  it('keeps only a local return path', async () => {
    const { id } = await startLogin(request.agent(gateway.app), idp, 1, 'https://evil.invalid/');
    const record = JSON.parse(
      (await gateway.redis.client.get(`${gateway.config.redis.prefix}saml:req:${id}`))!,
    );
    expect(record.returnTo).to.equal('/me');
  });

  for (const [query, what] of [
    [`idp=${encodeURIComponent('https://unknown.invalid')}&level=2`, 'an unknown IdP'],
    [`idp=${encodeURIComponent(idp.entityId)}&level=4`, 'an unknown level'],
    [`level=2`, 'no IdP'],
  ] as const) {
    it(`answers 400 to ${what}`, async () => {
      const res = await request(gateway.app)
        .get(`/spid/login?${query}`)
        .set('Accept', 'text/html')
        .expect(400);
      expect(res.headers.location).to.equal(undefined);
    });
  }
});
