import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { CatalogWriter } from '../catalog/catalog.writer.ts';
import { endpointId, endpointInputSchema } from '../catalog/endpoint.ts';
import { bodyInputSchema, ipaCode, serviceId, serviceInputSchema, type Actor } from '../catalog/model.ts';

const seedFileSchema = z.object({
  bodies: z.array(bodyInputSchema.extend({ editors: z.array(z.string()).default([]) })).default([]),
  services: z.array(serviceInputSchema.extend({ id: serviceId, body: ipaCode })).default([]),
  /** Bodies' procedure endpoints; `url` may be a path, resolved against the gateway's public URL. */
  endpoints: z
    .array(
      endpointInputSchema.extend({
        bodyIpa: ipaCode,
        id: endpointId,
        url: z.string().trim().min(1).max(2000),
      }),
    )
    .nullish()
    .transform((list) => list ?? []),
  /** Shared texts referenced with YAML anchors; not services themselves. */
  templates: z.unknown().optional(),
});

export interface SeedCatalog {
  bodies: z.infer<typeof seedFileSchema>['bodies'];
  services: z.infer<typeof seedFileSchema>['services'];
  endpoints: z.infer<typeof seedFileSchema>['endpoints'];
}

/** Reads every YAML file of the demo catalog folder (YAML merge keys on), validated with the model. */
export function readSeedCatalog(dir: string): SeedCatalog {
  const out: SeedCatalog = { bodies: [], services: [], endpoints: [] };
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const file of files) {
    const raw: unknown = parseYaml(readFileSync(path.join(dir, file), 'utf8'), { merge: true });
    const parsed = seedFileSchema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new Error(`${file}: ${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
    }
    out.bodies.push(...parsed.data.bodies);
    out.services.push(...parsed.data.services);
    out.endpoints.push(...parsed.data.endpoints);
  }
  // Each record is written once (seedCatalog writes a group's records at the same time).
  const twice = (ids: string[]) => ids.find((id, index) => ids.indexOf(id) !== index);
  const duplicate =
    twice(out.bodies.map((b) => `body ${b.ipaCode}`)) ??
    twice(out.services.map((s) => `service ${s.id}`)) ??
    twice(out.endpoints.map((e) => `endpoint ${e.bodyIpa}/${e.id}`));
  if (duplicate) throw new Error(`${dir}: ${duplicate} is in the catalog twice`);
  return out;
}

const SEED_ACTOR: Actor = { kind: 'system', id: 'demo-seed' };

/**
 * In the seed, URLs on this origin stand for the gateway's public URL, where demo mode runs the demo
 * body systems (e.g. the relying parties of src/demo/sso-rp): they are rebased when the seed is written.
 */
export const SEED_GATEWAY_ORIGIN = 'http://gateway.demo.invalid';

function onGateway<T>(value: T, publicUrl: string): T {
  const base = publicUrl.replace(/\/$/, '');
  const rebase = (_key: string, v: unknown) =>
    typeof v === 'string' && v.startsWith(`${SEED_GATEWAY_ORIGIN}/`)
      ? `${base}${v.slice(SEED_GATEWAY_ORIGIN.length)}`
      : v;
  return JSON.parse(JSON.stringify(value), rebase) as T;
}

/**
 * Writes the demo catalog through the one writer: bodies approved, services published, endpoints
 * active (an endpoint `url` given as a path is resolved against `publicUrl`, where the demo body
 * systems run). Idempotent: an unchanged record is not written again (no version bump, no audit
 * record), so every start and every instance may run it.
 */
export async function seedCatalog(
  writer: CatalogWriter,
  catalog: SeedCatalog,
  options: { publicUrl: string } = { publicUrl: 'http://localhost:3000' },
) {
  // One group after the other (a service needs its body, an endpoint its body), each group's records
  // written together: their writes are independent (one atomic script each, ids unique in the seed),
  // and a gateway starts after a few round trips to Redis instead of one per record and read.
  const results = [
    ...(await Promise.all(
      catalog.bodies.map(({ editors, ...body }) =>
        writer.putBody(SEED_ACTOR, body, { status: 'approved', editors }),
      ),
    )),
    ...(await Promise.all(
      catalog.services.map(({ id, body, ...service }) =>
        writer.putService(SEED_ACTOR, body, id, onGateway(service, options.publicUrl), 'published'),
      ),
    )),
    ...(await Promise.all(
      catalog.endpoints.map(({ bodyIpa, id, url, ...endpoint }) =>
        writer.putEndpoint(SEED_ACTOR, bodyIpa, id, {
          ...endpoint,
          url: new URL(url, options.publicUrl).href,
        }),
      ),
    )),
  ];
  const changed = results.filter((result) => result.changed).length;
  return {
    bodies: catalog.bodies.length,
    services: catalog.services.length,
    endpoints: catalog.endpoints.length,
    changed,
  };
}
