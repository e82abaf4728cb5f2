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
  let changed = 0;
  for (const { editors, ...body } of catalog.bodies) {
    const result = await writer.putBody(SEED_ACTOR, body, { status: 'approved', editors });
    if (result.changed) changed++;
  }
  for (const { id, body, ...service } of catalog.services) {
    const result = await writer.putService(
      SEED_ACTOR,
      body,
      id,
      onGateway(service, options.publicUrl),
      'published',
    );
    if (result.changed) changed++;
  }
  for (const { bodyIpa, id, url, ...endpoint } of catalog.endpoints) {
    const resolved = new URL(url, options.publicUrl).href;
    const result = await writer.putEndpoint(SEED_ACTOR, bodyIpa, id, { ...endpoint, url: resolved });
    if (result.changed) changed++;
  }
  return {
    bodies: catalog.bodies.length,
    services: catalog.services.length,
    endpoints: catalog.endpoints.length,
    changed,
  };
}
