import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface KeyPair {
  /** PKCS#8 PEM private key. */
  key: string;
  /** PEM X.509 certificate. */
  cert: string;
}

export interface CertificateSubject {
  commonName: string;
  organizationName: string;
  /** The entityID, as subject attribute uri (OID 2.5.4.83). */
  entityId: string;
  /** Codice IPA: organizationIdentifier becomes "PA:IT-<ipaCode>". */
  ipaCode: string;
  localityName: string;
}

// openssl's configuration syntax gives meaning to these; subject values never need them.
const UNSAFE = /[$\\"\n\r]/;

/**
 * The openssl request configuration for the certificate profile of public-sector SPs
 * (AgID Avviso SPID n.29 v3, "SPID certificate profile"): subject with commonName, organizationName,
 * uri = entityID, organizationIdentifier PA:IT-<IPA code>, countryName IT, localityName;
 * certificatePolicies agIDroot (1.3.76.16.6, "agIDcert") and SP public sector
 * (1.3.76.16.4.2.1, "cert_SP_Pub"); keyUsage digitalSignature + nonRepudiation; basicConstraints CA:FALSE,
 * not critical (the profile forbids marking it critical); SHA-256.
 */
function profileConfig(subject: CertificateSubject): string {
  for (const value of Object.values(subject)) {
    if (UNSAFE.test(value))
      throw new Error('certificate subject values must not contain $, \\, " or newlines');
  }
  return `oid_section = spid_oids
[spid_oids]
agidRoot = 1.3.76.16.6
spidPublicSectorSP = 1.3.76.16.4.2.1
spidUri = 2.5.4.83
[req]
distinguished_name = dn
prompt = no
utf8 = yes
string_mask = utf8only
default_md = sha256
x509_extensions = ext
[dn]
commonName = ${subject.commonName}
organizationName = ${subject.organizationName}
spidUri = ${subject.entityId}
organizationIdentifier = PA:IT-${subject.ipaCode}
countryName = IT
localityName = ${subject.localityName}
[ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
certificatePolicies = @agid_policy,@sp_policy
subjectKeyIdentifier = hash
[agid_policy]
policyIdentifier = agidRoot
userNotice = @agid_notice
[agid_notice]
explicitText = "agIDcert"
[sp_policy]
policyIdentifier = spidPublicSectorSP
userNotice = @sp_notice
[sp_notice]
explicitText = "cert_SP_Pub"
`;
}

/**
 * Generates an RSA-2048 key and a self-signed SHA-256 certificate with the SPID profile.
 * node:crypto cannot issue X.509 certificates, so this shells out to the openssl command line
 * (present on Debian and in the Node images); it is used only for development, demo and test keys —
 * production reads the configured key and certificate.
 */
export function generateSpidKeyPair(subject: CertificateSubject, options: { days?: number } = {}): KeyPair {
  const dir = mkdtempSync(path.join(tmpdir(), 'varco-spid-'));
  try {
    const config = path.join(dir, 'req.cnf');
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    writeFileSync(config, profileConfig(subject), { mode: 0o600 });
    execFileSync(
      'openssl',
      ['req', '-new', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256'].concat([
        '-days',
        String(options.days ?? 730),
        '-config',
        config,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The base64 body of a PEM certificate, as ds:X509Certificate carries it. */
export function certificateBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '')
    .trim();
}

/** A ds:X509Certificate body back to PEM. */
export function certificatePem(body: string): string {
  const clean = body.replace(/\s+/g, '');
  const lines = clean.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
