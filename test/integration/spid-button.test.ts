import { expect } from 'chai';
import * as cheerio from 'cheerio';
import request from 'supertest';
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
