import { SignedXml } from 'xml-crypto';
import { ALGORITHMS, NS } from './saml-constants.ts';

const DSIG = NS.dsig;
import type { KeyPair } from './sp-certificate.ts';

/** SAML protocol messages and assertions carry an Issuer; metadata elements do not. */
const WITH_ISSUER = new Set(['Response', 'Assertion', 'AuthnRequest', 'LogoutRequest', 'LogoutResponse']);

/**
 * Adds an enveloped RSA-SHA256 signature (exclusive c14n, SHA-256 digest) over the element with the
 * given local name and ID, placed right after its Issuer (SAML core schema order) or, when it has none,
 * as its first child (metadata). SPID technical rules: signatures use SHA-256 or stronger.
 */
export function signElement(xml: string, keys: KeyPair, target: { localName: string; id: string }): string {
  const element = `//*[local-name(.)='${target.localName}' and @ID='${target.id}']`;
  const issuer = `${element}/*[local-name(.)='Issuer']`;
  const signer = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: ALGORITHMS.rsaSha256,
    canonicalizationAlgorithm: ALGORITHMS.excC14n,
  });
  signer.addReference({
    xpath: element,
    digestAlgorithm: ALGORITHMS.sha256,
    transforms: [ALGORITHMS.enveloped, ALGORITHMS.excC14n],
  });
  const hasIssuer = WITH_ISSUER.has(target.localName);
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: hasIssuer ? { reference: issuer, action: 'after' } : { reference: element, action: 'prepend' },
  });
  return signer.getSignedXml();
}

/**
 * True when `root` carries exactly one enveloped signature, as its own child, that references `root`
 * itself and verifies with one of `certs` (used for the registry aggregate, a signed Response and
 * HTTP-POST logout messages). Anything else — no signature, a signature over another element,
 * a foreign key — is false.
 */
export function hasValidRootSignature(xml: string, root: Element, certs: readonly string[]): boolean {
  const own = Array.from(root.childNodes as unknown as ArrayLike<Element>).filter(
    (n) => n.nodeType === 1 && n.namespaceURI === DSIG && n.localName === 'Signature',
  );
  const [signature] = own;
  if (own.length !== 1 || !signature) return false;
  const id = root.getAttribute('ID');
  return certs.some((cert) => {
    const verifier = new SignedXml({ publicCert: cert });
    try {
      verifier.loadSignature(signature);
      const references = verifier.getReferences();
      const signsRoot =
        references.length === 1 && (references[0]?.uri === `#${id}` || (references[0]?.uri === '' && !id));
      return signsRoot && verifier.checkSignature(xml);
    } catch {
      return false;
    }
  });
}
