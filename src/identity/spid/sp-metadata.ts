import { randomBytes } from 'node:crypto';
import { BINDING, NAMEID_FORMAT, NS, samlId, xmlEscape as x } from './saml-constants.ts';
import { certificateBody, type KeyPair } from './sp-certificate.ts';
import type { ServiceProvider } from './service-provider.ts';
import { signElement } from './xml-signature.ts';

/**
 * The SP metadata the SPID rules require (Regole tecniche SPID, "Metadata SP"; AgID Avviso SPID n.29 v3
 * for the ContactPerson extensions of public-sector SPs), signed with the SP key.
 */
export function buildSpMetadata(sp: ServiceProvider, keys: KeyPair): string {
  const id = samlId(randomBytes(16).toString('hex'));
  const { organization } = sp;
  const requested = sp.attributes
    .map((name) => `<md:RequestedAttribute Name="${x(name)}" isRequired="true"/>`)
    .join('');
  const phone = organization.phone ? `<md:TelephoneNumber>${x(organization.phone)}</md:TelephoneNumber>` : '';
  const xml =
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" xmlns:spid="${NS.spid}"` +
    ` entityID="${x(sp.entityId)}" ID="${id}">` +
    `<md:SPSSODescriptor protocolSupportEnumeration="${NS.protocol}" AuthnRequestsSigned="true" WantAssertionsSigned="true">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(keys.cert)}` +
    `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleLogoutService Binding="${BINDING.redirect}" Location="${x(sp.sloUrl)}"/>` +
    `<md:SingleLogoutService Binding="${BINDING.post}" Location="${x(sp.sloUrl)}"/>` +
    `<md:NameIDFormat>${NAMEID_FORMAT.transient}</md:NameIDFormat>` +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="${BINDING.post}" Location="${x(sp.acsUrl)}"/>` +
    `<md:AttributeConsumingService index="0"><md:ServiceName xml:lang="it">${x(sp.serviceName)}</md:ServiceName>` +
    `${requested}</md:AttributeConsumingService>` +
    `</md:SPSSODescriptor>` +
    `<md:Organization><md:OrganizationName xml:lang="it">${x(organization.name)}</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="it">${x(organization.displayName)}</md:OrganizationDisplayName>` +
    `<md:OrganizationURL xml:lang="it">${x(organization.url)}</md:OrganizationURL></md:Organization>` +
    `<md:ContactPerson contactType="other"><md:Extensions>` +
    `<spid:IPACode>${x(organization.ipaCode)}</spid:IPACode><spid:Public/></md:Extensions>` +
    `<md:EmailAddress>${x(organization.email)}</md:EmailAddress>${phone}</md:ContactPerson>` +
    `</md:EntityDescriptor>`;
  return signElement(xml, keys, { localName: 'EntityDescriptor', id });
}
