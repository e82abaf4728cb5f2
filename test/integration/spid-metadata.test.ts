import { expect } from 'chai';
import request from 'supertest';
import { SignedXml } from 'xml-crypto';
import { parseXml } from '../../src/identity/spid/idp-metadata.ts';
import { NS } from '../../src/identity/spid/saml-constants.ts';
import { createTestGateway, type TestGateway } from '../helpers/gateway.ts';

describe('GET /spid/metadata', () => {
  let gateway: TestGateway;
  let xml: string;
  before(async () => {
    gateway = await createTestGateway({ spid: { organization: { phone: '+390574000000' } } });
    const res = await request(gateway.app).get('/spid/metadata').expect(200);
    expect(res.headers['content-type']).to.match(/^application\/samlmetadata\+xml/);
    xml = res.text;
  });
  after(async () => {
    await gateway.close();
  });

  const one = (ns: string, local: string) => {
    const found = parseXml(xml).getElementsByTagNameNS(ns, local);
    expect(found.length, local).to.equal(1);
    return found[0]!;
  };

  it('is signed with the SP certificate over the whole EntityDescriptor', () => {
    const doc = parseXml(xml);
    const root = doc.documentElement!;
    const signature = root.getElementsByTagNameNS(NS.dsig, 'Signature')[0]!;
    expect(signature.parentNode).to.equal(root);
    const verifier = new SignedXml({ publicCert: gateway.deps.spid.sp.keys.cert });
    verifier.loadSignature(signature);
    expect(verifier.checkSignature(xml)).to.equal(true);
    expect(verifier.getReferences()[0]?.uri).to.equal(`#${root.getAttribute('ID')}`);

    const tampered = xml.replace('/spid/acs"', '/evil/acs"');
    expect(tampered).to.not.equal(xml);
    const again = new SignedXml({ publicCert: gateway.deps.spid.sp.keys.cert });
    again.loadSignature(signature);
    let valid: boolean;
    try {
      valid = again.checkSignature(tampered);
    } catch {
      valid = false;
    }
    expect(valid).to.equal(false);
  });

  it('declares what the SPID rules require of a public-sector SP', () => {
    const { sp } = gateway.deps.spid;
    expect(parseXml(xml).documentElement!.getAttribute('entityID')).to.equal(sp.entityId);
    const role = one(NS.metadata, 'SPSSODescriptor');
    expect(role.getAttribute('AuthnRequestsSigned')).to.equal('true');
    expect(role.getAttribute('WantAssertionsSigned')).to.equal('true');
    expect(one(NS.metadata, 'KeyDescriptor').getAttribute('use')).to.equal('signing');
    const acs = one(NS.metadata, 'AssertionConsumerService');
    expect(acs.getAttribute('index')).to.equal('0');
    expect(acs.getAttribute('isDefault')).to.equal('true');
    expect(acs.getAttribute('Binding')).to.equal('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(acs.getAttribute('Location')).to.equal(sp.acsUrl);
    const slo = parseXml(xml).getElementsByTagNameNS(NS.metadata, 'SingleLogoutService');
    expect(slo.length).to.be.greaterThan(0);
    expect(slo[0]!.getAttribute('Location')).to.equal(sp.sloUrl);
    const service = one(NS.metadata, 'AttributeConsumingService');
    expect(service.getAttribute('index')).to.equal('0');
    expect(one(NS.metadata, 'ServiceName').textContent).to.equal('Varco');
    const requested = Array.from(parseXml(xml).getElementsByTagNameNS(NS.metadata, 'RequestedAttribute')).map(
      (a) => a.getAttribute('Name'),
    );
    expect(requested).to.deep.equal([
      'spidCode',
      'name',
      'familyName',
      'fiscalNumber',
      'dateOfBirth',
      'email',
    ]);
    expect(one(NS.metadata, 'OrganizationName').textContent).to.equal('Varco demo');
    expect(one(NS.metadata, 'OrganizationDisplayName').textContent).to.equal('Varco demo');
    expect(one(NS.metadata, 'OrganizationURL').textContent).to.equal('http://localhost:3000');
    const contact = one(NS.metadata, 'ContactPerson');
    expect(contact.getAttribute('contactType')).to.equal('other');
    expect(one(NS.spid, 'IPACode').textContent).to.equal('c_g999');
    one(NS.spid, 'Public');
    expect(one(NS.metadata, 'EmailAddress').textContent).to.equal('spid@example.invalid');
    expect(one(NS.metadata, 'TelephoneNumber').textContent).to.equal('+390574000000');
  });

  it('publishes a certificate with the SPID profile for public SPs', async () => {
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(gateway.deps.spid.sp.keys.cert);
    expect(cert.subject).to.contain('O=Varco demo');
    expect(cert.subject).to.contain('C=IT');
    expect(cert.subject).to.contain('L=Prato');
    expect(cert.subject).to.match(/organizationIdentifier=PA:IT-c_g999|2\.5\.4\.97=PA:IT-c_g999/);
    expect(cert.subject).to.contain(`2.5.4.83=${gateway.deps.spid.sp.entityId}`);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).to.be.at.least(2048);
  });
});
