/**
 * npm run spid:keys — writes a development SP key and self-signed certificate meeting the SPID
 * certificate profile for public SPs (AgID Avviso SPID n.29 v3), from the current configuration
 * (entityID, organisation, IPA code, locality). Output: spid.varDir (var/spid by default, never committed),
 * or the folder given as the first argument. For production, have the certificate issued as AgID requires.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadConfig } from '../src/config/load.ts';
import { spEntityId } from '../src/identity/spid/service-provider.ts';
import { generateSpidKeyPair } from '../src/identity/spid/sp-certificate.ts';
import { writeAtomically } from '../src/platform/key-files.ts';

const config = loadConfig();
const dir = process.argv[2] ?? config.spid.varDir;
const { organization } = config.spid;
const pair = generateSpidKeyPair({
  commonName: organization.displayName,
  organizationName: organization.name,
  entityId: spEntityId(config),
  ipaCode: organization.ipaCode,
  localityName: organization.locality,
});
mkdirSync(dir, { recursive: true });
writeAtomically(path.join(dir, 'sp-key.pem'), pair.key);
writeAtomically(path.join(dir, 'sp-cert.pem'), pair.cert);
process.stdout.write(
  `SPID SP key and certificate written to ${dir}/sp-key.pem and ${dir}/sp-cert.pem\n` +
    `Set SPID_KEY_FILE and SPID_CERT_FILE to use them outside demo mode.\n`,
);
