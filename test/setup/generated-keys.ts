// First: mocha loads the files given with --require before those of .mocharc.json, and oidc-provider
// prints its notices as it is imported.
import './quiet-oidc-provider.ts';
import { createTestGateway } from '../helpers/gateway.ts';

/**
 * Outside production the gateway generates its development keys on first start, under var/ (SPID and
 * demo IdP certificates, the provider's signing key, the citizens' keys). Parallel mocha workers would
 * start many gateways at once on a fresh clone and could each make their own, and two gateways of one
 * test (several-instances) could end up with different keys. mocha runs this once, in its main process,
 * before the workers start (a global fixture: https://mochajs.org/#global-fixtures).
 */
export async function mochaGlobalSetup() {
  const gateway = await createTestGateway();
  await gateway.close();
}
