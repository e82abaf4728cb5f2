import { expect } from 'chai';
import { accessMode } from '../../src/catalog/presenters.ts';
import { readSeedCatalog } from '../../src/demo/catalog-seed.ts';
import type { SsoClient } from '../../src/catalog/model.ts';

const GATEWAY = 'https://varco.example.it';
const client: SsoClient = {
  redirectUris: ['https://ente.example.it/cb'],
  postLogoutRedirectUris: [],
  clientAuthentication: { method: 'client_secret_basic' },
  claims: [],
};

describe('access mode shown on a service sheet', () => {
  it('says "no new login" only for a registered single-sign-on client', () => {
    const link = { url: 'https://ente.example.it/servizio' };
    expect(accessMode({ integration: 'sso', sso: client, deepLink: link }, GATEWAY)).to.equal('sso');
    expect(accessMode({ integration: 'sso', deepLink: link }, GATEWAY)).to.equal('link');
    // A client block left behind by a body that went back to a link is not an access either.
    expect(accessMode({ integration: 'link', sso: client, deepLink: link }, GATEWAY)).to.equal('link');
  });

  it('tells a procedure of the gateway, a deep link into the service and a plain link apart', () => {
    const mode = (deepLink: { url: string } | { template: string }) =>
      accessMode({ integration: 'link', deepLink }, GATEWAY);
    expect(mode({ url: `${GATEWAY}/procedures/newborn` })).to.equal('procedure');
    expect(mode({ url: 'https://ente.example.it/cup/prenota' })).to.equal('link');
    expect(mode({ template: 'https://ente.example.it/pratica?cf={fiscalCode}' })).to.equal('deepLink');
    // Hostile look-alikes of the gateway are no procedure of it.
    expect(mode({ url: 'https://varco.example.it.evil.example/procedures/newborn' })).to.equal('link');
    expect(mode({ url: 'http://varco.example.it/procedures/newborn' })).to.equal('link');
    expect(mode({ url: `${GATEWAY}/services/procedures/newborn` })).to.equal('link');
  });

  it('the demo catalog promises no login-free access a service cannot give', () => {
    const { services } = readSeedCatalog('config/catalog');
    const sso = services.filter((s) => s.integration === 'sso');
    expect(sso.map((s) => s.id).sort()).to.deep.equal(
      services
        .filter((s) => s.sso)
        .map((s) => s.id)
        .sort(),
    );
    expect(services.filter((s) => accessMode(s, GATEWAY) === 'sso')).to.have.length(sso.length);
    expect(sso.length).to.be.greaterThan(0);
  });
});
