import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/load.ts';
import { IDP_LOGOS, loadIdpLogos } from '../../src/identity/spid/idp-logos.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { createTestIdp } from '../helpers/saml.ts';

describe('the SPID button on the login page', () => {
  let gateway: TestGateway;
  const { descriptor } = createTestIdp();
  before(async () => {
    gateway = await createTestGateway();
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      gateway.deps.spid.idps.add({
        ...descriptor,
        entityId: `https://${name}.test.invalid`,
        name: `IdP ${name}`,
      });
    }
  });
  after(async () => {
    await gateway.close();
  });

  it('lists every trusted IdP as a plain link to /spid/login, in random order, without inline script', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const res = await request(gateway.app).get('/login').expect(200);
      const $ = cheerio.load(res.text);
      const button = $('details.spid-button');
      expect(button.find('summary').text()).to.contain('Entra con SPID');
      const links = button.find('ul a[href^="/spid/login"]');
      expect(links.length).to.equal(6); // five test IdPs and the demo IdP
      links.each((_, a) => {
        const href = new URL($(a).attr('href')!, 'http://x');
        expect(gateway.deps.spid.idps.get(href.searchParams.get('idp')!)).to.not.equal(undefined);
        expect(href.searchParams.get('level')).to.equal('1');
      });
      orders.add(
        links
          .map((_, a) => $(a).text())
          .get()
          .join('|'),
      );
      expect(res.text).to.not.match(/\son[a-z]+=|\sstyle=/i);
      $('script').each((_, s) => {
        expect($(s).attr('nonce')).to.be.a('string');
      });
    }
    expect(orders.size).to.be.greaterThan(1);
  });
});

describe("the SPID button's IdP logos", () => {
  let gateway: TestGateway;
  const { descriptor } = createTestIdp();
  before(async () => {
    gateway = await createTestGateway();
    gateway.deps.spid.idps.add({ ...descriptor, entityId: 'https://a.test.invalid', name: 'IdP a' });
    gateway.deps.spid.idps.add({
      ...descriptor,
      entityId: 'https://posteid.poste.it',
      name: 'Poste Italiane',
    });
  });
  after(async () => {
    await gateway.close();
  });

  it("shows an IdP by AgID's logo when it has one (served from the package), else by its name", async () => {
    const $ = cheerio.load((await request(gateway.app).get('/login').expect(200)).text);
    const poste = $('ul a[href*="posteid.poste.it"]');
    expect(poste.attr('aria-label')).to.contain('Poste Italiane');
    const logo = poste.find('img.spid-button-logo');
    expect(logo.attr('alt')).to.equal('Poste Italiane');
    expect(logo.attr('src')).to.equal(`${IDP_LOGOS.path}/spid-idp-posteid.svg`);
    expect($('ul a[href*="a.test.invalid"]').text()).to.equal('IdP a');
    expect($('ul a[href*="a.test.invalid"] img')).to.have.length(0);

    const svg = await request(gateway.app).get(logo.attr('src')!).expect(200);
    expect(svg.headers['content-type']).to.match(/^image\/svg\+xml/);
    expect(svg.headers['cache-control']).to.contain('immutable');
    await request(gateway.app).get(`${IDP_LOGOS.path}/..%2f..%2fpackage.json`).expect(404);
    await request(gateway.app).get(`${IDP_LOGOS.path}/../../package.json`).expect(404);
  });

  it('refuses a logo file that is malformed, names no URL or a logo AgID does not publish', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'varco-logos-'));
    const file = path.join(dir, 'idp-logos.json');
    try {
      expect(loadIdpLogos(path.join(dir, 'missing.json'))('https://posteid.poste.it')).to.equal(undefined);
      writeFileSync(file, '{ not json');
      expect(() => loadIdpLogos(file)).to.throw(ConfigError, /not JSON/);
      writeFileSync(file, '["spid-idp-posteid.svg"]');
      expect(() => loadIdpLogos(file)).to.throw(ConfigError, /must be an object/);
      writeFileSync(
        file,
        JSON.stringify({
          'javascript:alert(1)': 'spid-idp-posteid.svg',
          'https://a.test.invalid': '../../package.json',
          'https://b.test.invalid': 'spid-idp-nobody.svg',
        }),
      );
      const error = (() => {
        try {
          loadIdpLogos(file);
        } catch (caught) {
          return caught as ConfigError;
        }
      })();
      expect(error?.problems).to.have.length(3);
      expect(error?.problems.join('\n'))
        .to.contain('is not an entityID URL')
        .and.contain('must be a file name')
        .and.contain("is not one of AgID's IdP logos");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
