import type { Config } from '../../config/schema.ts';
import type { KeyPair } from './sp-certificate.ts';

/** The gateway as a SPID service provider: its names, endpoints and keys, resolved from configuration. */
export interface ServiceProvider {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  metadataUrl: string;
  serviceName: string;
  attributes: readonly string[];
  organization: Config['spid']['organization'];
  clockSkewMs: number;
  requestTtlSeconds: number;
  keys: KeyPair;
}

export const spEntityId = (config: Readonly<Config>) =>
  config.spid.entityId ?? config.http.publicUrl.replace(/\/+$/, '');

export function describeServiceProvider(config: Readonly<Config>, keys: KeyPair): ServiceProvider {
  const base = config.http.publicUrl.replace(/\/+$/, '');
  return {
    entityId: spEntityId(config),
    acsUrl: `${base}/spid/acs`,
    sloUrl: `${base}/spid/slo`,
    metadataUrl: `${base}/spid/metadata`,
    serviceName: config.spid.serviceName,
    attributes: config.spid.attributes,
    organization: config.spid.organization,
    clockSkewMs: config.spid.clockSkewSeconds * 1000,
    requestTtlSeconds: config.spid.requestTtlSeconds,
    keys,
  };
}
