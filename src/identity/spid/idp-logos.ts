import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../../config/load.ts';

const require = createRequire(import.meta.url);
const packageDir = path.dirname(require.resolve('spid-smart-button/package.json'));
const version = (require('spid-smart-button/package.json') as { version: string }).version;

/**
 * The SPID identity providers' logos, as AgID publishes them for the SPID button (the spid-smart-button
 * package, EUPL-1.2), served from node_modules under a versioned path like the UI kit.
 */
export const IDP_LOGOS = {
  path: `/assets/spid-idp-logos/${version}`,
  dir: path.join(packageDir, 'dist', 'img', 'idp-logos'),
};

const LOGO_FILE = /^[a-z0-9-]+\.svg$/;

/**
 * Which logo the SPID button shows for which IdP: a JSON object from entityID to a file name of AgID's
 * logos (`spidIdpLogos` in providers/spid/idp-logos.json). An IdP without one is shown by its name. Read
 * at start; a malformed file, a key that is not an http(s) URL or a logo AgID's package lacks stops the
 * start with the list of problems.
 */
export function loadIdpLogos(file: string | undefined): (entityId: string) => string | undefined {
  if (!file || !existsSync(file)) return () => undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${file}: not JSON (${(error as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError([`${file}: must be an object from IdP entityID to logo file name`]);
  const problems: string[] = [];
  const logos = new Map<string, string>();
  for (const [entityId, logo] of Object.entries(parsed)) {
    if (!/^https?:\/\/\S+$/.test(entityId)) problems.push(`${file}: "${entityId}" is not an entityID URL`);
    else if (typeof logo !== 'string' || !LOGO_FILE.test(logo))
      problems.push(`${file}: the logo of ${entityId} must be a file name like spid-idp-posteid.svg`);
    else if (!existsSync(path.join(IDP_LOGOS.dir, logo)))
      problems.push(`${file}: ${logo} (for ${entityId}) is not one of AgID's IdP logos`);
    else logos.set(entityId, `${IDP_LOGOS.path}/${logo}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (entityId) => logos.get(entityId);
}
