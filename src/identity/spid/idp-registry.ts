import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../platform/logger.ts';
import { parseIdpMetadata, type IdpDescriptor } from './idp-metadata.ts';

export interface IdpRegistryOptions {
  /** Folder of trusted metadata files (*.xml). */
  metadataDir: string;
  registry?: { url: string; refreshSeconds: number; cert?: string };
  /** Outbound HTTP for the registry (repositories own outbound HTTP; tests pass their own). */
  fetchText?: (url: string) => Promise<string>;
}

async function fetchWithTimeout(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`registry answered ${response.status}`);
  return response.text();
}

function readDirectory(dir: string, logger: Logger): IdpDescriptor[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  } catch {
    return [];
  }
  return files.sort().flatMap((file) => {
    try {
      return parseIdpMetadata(readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      logger.error({ file, err: error }, 'spid: unusable IdP metadata file');
      return [];
    }
  });
}

/**
 * The trusted SPID identity providers: metadata files read at start, the optional registry fetched at
 * start and on a timer (a failed refresh keeps the last good copy), and IdPs added in code (the demo
 * IdP in demo mode). Metadata is configuration-like data every instance loads for itself.
 */
export function createIdpRegistry(options: IdpRegistryOptions, logger: Logger) {
  const fromFiles = readDirectory(options.metadataDir, logger);
  let fromRegistry: IdpDescriptor[] = [];
  const added: IdpDescriptor[] = [];
  let timer: NodeJS.Timeout | undefined;
  const fetchText = options.fetchText ?? fetchWithTimeout;

  const all = () => {
    const byId = new Map<string, IdpDescriptor>();
    for (const idp of [...fromRegistry, ...fromFiles, ...added]) byId.set(idp.entityId, idp);
    return byId;
  };

  async function refresh(): Promise<boolean> {
    const registry = options.registry;
    if (!registry) return false;
    try {
      const xml = await fetchText(registry.url);
      const idps = parseIdpMetadata(xml, registry.cert ? { signedBy: registry.cert } : {});
      if (idps.length === 0) throw new Error('the registry lists no usable IdP');
      fromRegistry = idps;
      logger.info({ count: idps.length }, 'spid: registry metadata loaded');
      return true;
    } catch (error) {
      logger.warn(
        { err: error, kept: fromRegistry.length },
        'spid: registry refresh failed, keeping the last copy',
      );
      return false;
    }
  }

  return {
    get: (entityId: string) => all().get(entityId),
    list: () => [...all().values()],
    add(idp: IdpDescriptor) {
      added.push(idp);
    },
    refresh,
    /** First fetch and the refresh timer (unref'd, so it never keeps the process alive). */
    async start() {
      if (!options.registry) return;
      await refresh();
      timer = setInterval(() => void refresh(), options.registry.refreshSeconds * 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

export type IdpRegistry = ReturnType<typeof createIdpRegistry>;
