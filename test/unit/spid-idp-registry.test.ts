import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createIdpRegistry } from '../../src/identity/spid/idp-registry.ts';
import { parseIdpMetadata } from '../../src/identity/spid/idp-metadata.ts';
import { certificateBody } from '../../src/identity/spid/sp-certificate.ts';
import { signElement } from '../../src/identity/spid/xml-signature.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createTestIdp, type TestIdp } from '../helpers/saml.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const registrySigner = createTestIdp('https://registry.test.invalid');
const idpA = createTestIdp('https://a.test.invalid');
const idpB = createTestIdp('https://b.test.invalid');

function entity(idp: TestIdp, name: string): string {
  return (
    `<md:EntityDescriptor entityID="${idp.entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
    `${certificateBody(idp.keys.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idp.entityId}/slo"/>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idp.entityId}/sso"/>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${idp.entityId}/sso-post"/>` +
    `</md:IDPSSODescriptor><md:Organization><md:OrganizationName xml:lang="it">${name} S.p.A.</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="it">${name}</md:OrganizationDisplayName></md:Organization></md:EntityDescriptor>`
  );
}

const aggregate = (...entities: string[]) =>
  `<md:EntitiesDescriptor xmlns:md="${MD}" ID="_registry">${entities.join('')}</md:EntitiesDescriptor>`;
const signedAggregate = (...entities: string[]) =>
  signElement(aggregate(...entities), registrySigner.keys, {
    localName: 'EntitiesDescriptor',
    id: '_registry',
  });

const logger = createLogger('silent');

describe('SPID IdP metadata', () => {
  it('reads entityID, endpoints, name and signing certificates of every IdP of an aggregate', () => {
    const [a, b] = parseIdpMetadata(aggregate(entity(idpA, 'IdP A'), entity(idpB, 'IdP B')));
    expect(a).to.deep.equal({
      entityId: idpA.entityId,
      name: 'IdP A',
      ssoRedirect: `${idpA.entityId}/sso`,
      ssoPost: `${idpA.entityId}/sso-post`,
      sloRedirect: `${idpA.entityId}/slo`,
      sloPost: undefined,
      certs: [idpA.keys.cert.replace(/\r/g, '')],
    });
    expect(b?.entityId).to.equal(idpB.entityId);
  });

  it('verifies the aggregate signature against the registry certificate', () => {
    const signed = signedAggregate(entity(idpA, 'IdP A'));
    expect(parseIdpMetadata(signed, { signedBy: registrySigner.keys.cert })).to.have.length(1);
    expect(() => parseIdpMetadata(signed, { signedBy: idpB.keys.cert })).to.throw(/not valid/);
    expect(() =>
      parseIdpMetadata(signed.replace(`${idpA.entityId}/sso"`, 'https://evil.invalid/sso"'), {
        signedBy: registrySigner.keys.cert,
      }),
    ).to.throw(/not valid/);
    expect(() =>
      parseIdpMetadata(aggregate(entity(idpA, 'A')), { signedBy: registrySigner.keys.cert }),
    ).to.throw(/not signed/);
  });

  it('accepts signed entities inside a signed aggregate, as in the SPID registry', () => {
    const innerSigned = signElement(
      entity(idpA, 'A').replace('<md:EntityDescriptor ', `<md:EntityDescriptor xmlns:md="${MD}" ID="_a" `),
      idpA.keys,
      { localName: 'EntityDescriptor', id: '_a' },
    );
    const signed = signedAggregate(innerSigned, entity(idpB, 'B'));
    expect(parseIdpMetadata(signed, { signedBy: registrySigner.keys.cert })).to.have.length(2);
    const wrapped = signed.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '');
    expect(() => parseIdpMetadata(wrapped, { signedBy: registrySigner.keys.cert })).to.throw();
  });

  it('refuses DTDs', () => {
    expect(() => parseIdpMetadata(`<!DOCTYPE x [<!ENTITY e "x">]>${aggregate()}`)).to.throw(/DTD/);
  });
});

describe('SPID IdP registry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'varco-spid-md-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('trusts every metadata file of the folder, skipping unusable ones', () => {
    writeFileSync(
      path.join(dir, 'a.xml'),
      `<?xml version="1.0"?>${entity(idpA, 'A').replace('<md:EntityDescriptor', `<md:EntityDescriptor xmlns:md="${MD}"`)}`,
    );
    writeFileSync(path.join(dir, 'broken.xml'), '<md:EntityDescriptor');
    const registry = createIdpRegistry({ metadataDir: dir }, logger);
    expect(registry.list().map((i) => i.entityId)).to.deep.equal([idpA.entityId]);
  });

  it('keeps the last good registry copy when a refresh fails', async () => {
    const answers: Array<() => string> = [
      () => signedAggregate(entity(idpA, 'A'), entity(idpB, 'B')),
      () => {
        throw new Error('registry unreachable');
      },
      // The signature references #_registry: renaming the root breaks it.
      () => signedAggregate(entity(idpA, 'A')).replace('ID="_registry"', 'ID="_x"'),
      () => signedAggregate(entity(idpB, 'B')),
    ];
    let call = 0;
    const registry = createIdpRegistry(
      {
        metadataDir: dir,
        registry: {
          url: 'https://registry.test.invalid/entities-idp',
          refreshSeconds: 3600,
          cert: registrySigner.keys.cert,
        },
        fetchText: async () => answers[call++]!(),
      },
      logger,
    );
    await registry.start();
    registry.stop();
    expect(registry.list()).to.have.length(2);
    expect(await registry.refresh()).to.equal(false); // network failure
    expect(registry.list()).to.have.length(2);
    expect(await registry.refresh()).to.equal(false); // signature no longer matches
    expect(registry.list()).to.have.length(2);
    expect(await registry.refresh()).to.equal(true);
    expect(registry.list().map((i) => i.entityId)).to.deep.equal([idpB.entityId]);
  });
});
