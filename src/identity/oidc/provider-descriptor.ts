import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../config/load.ts';
import { LEVELS, type Level } from '../citizen.ts';

/** A value a descriptor takes from the environment: `{ env: OIDC_CIE_CLIENT_ID }`. */
const ENV_REFERENCE = /^OIDC_[A-Z0-9_]+$/;

const text = z.string().trim().min(1);
const claimName = z.string().min(1).max(200);
const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

const authSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('client_secret_basic'), secret: text.optional() }),
  z.object({
    method: z.literal('private_key_jwt'),
    /** A PEM (PKCS#8) private key file; the key itself never sits in the repository. */
    keyFile: text.optional(),
    alg: z.enum(['RS256', 'RS512', 'PS256', 'ES256']).default('RS256'),
    kid: text.optional(),
  }),
]);

/** The CitizenIdentity fields a provider's claims fill in (claim names as the provider sends them). */
const claimMappingSchema = z.object({
  fiscalCode: claimName.optional(),
  name: claimName,
  familyName: claimName,
  dateOfBirth: claimName.optional(),
  email: claimName.optional(),
});

const descriptorSchema = z
  .object({
    /** The provider's issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`. */
    issuer: z.url({ protocol: /^https?$/ }),
    enabled: boolish.default(false),
    clientId: text.optional(),
    auth: authSchema.default({ method: 'client_secret_basic' }),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).default(['openid', 'profile', 'email']),
    /** Ask for the mapped claims with the `claims` request parameter (in the id_token), as CIE requires. */
    claimsParameter: z.boolean().default(false),
    /** The `prompt` sent with every login ("login": a fresh authentication, like SPID's ForceAuthn). */
    prompt: z.enum(['login', 'consent', 'consent login', 'none']).default('login'),
    /**
     * Send the authorization request as a signed request object (JAR, RFC 9101; OIDC Core 6.1), signed
     * with the private_key_jwt key. Required by CIE id and SPID OpenID Connect.
     */
    requestObject: z.boolean().default(false),
    /** Also read the UserInfo endpoint (its claims complete the id_token's). */
    userinfo: z.boolean().default(true),
    claims: claimMappingSchema,
    /** The provider's acr value for each level (1, 2, 3); a login whose acr is not listed is refused. */
    acr: z
      .partialRecord(z.enum(['1', '2', '3']), text)
      .refine((map) => Object.keys(map).length > 0, 'map at least one level'),
    /** Staff-only providers log in people without a fiscal code, as staff (never as citizens). */
    staffOnly: z.boolean().default(false),
    /** The provider's short name ("CIE"), as the personal area lists the ways the citizen logged in. */
    name: text.max(60).optional(),
    label: z.object({ it: text, en: text }),
    logo: z
      .string()
      .regex(/^\/assets\/[\w./-]+$/, 'a path under /assets/')
      .optional(),
    /** Where the provider appears on the login page: CIE right after SPID, then the others by `order`. */
    kind: z.enum(['cie', 'oidc']).default('oidc'),
    order: z.number().int().default(100),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (!d.enabled) return;
    if (!d.clientId) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required when enabled' });
    if (d.auth.method === 'client_secret_basic' && !d.auth.secret)
      ctx.addIssue({ code: 'custom', path: ['auth', 'secret'], message: 'required when enabled' });
    if (d.auth.method === 'private_key_jwt' && !d.auth.keyFile)
      ctx.addIssue({ code: 'custom', path: ['auth', 'keyFile'], message: 'required when enabled' });
    if (d.requestObject && d.auth.method !== 'private_key_jwt')
      ctx.addIssue({ code: 'custom', path: ['requestObject'], message: 'needs auth.method private_key_jwt' });
    if (!d.staffOnly && !d.claims.fiscalCode)
      ctx.addIssue({ code: 'custom', path: ['claims', 'fiscalCode'], message: 'required unless staffOnly' });
    if (!d.scopes.includes('openid'))
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'must include openid' });
  });

export type ProviderDescriptor = Omit<z.infer<typeof descriptorSchema>, 'acr'> & {
  /** Provider id: the file name (letters, digits, dashes), used in the routes /oidc/…/:provider. */
  id: string;
  acr: Partial<Record<Level, string>>;
};

/** Thrown at start when a descriptor is unusable; names the file and the field (the server prints it and stops). */
export class DescriptorError extends ConfigError {
  constructor(problems: string[]) {
    super(problems);
    this.name = 'DescriptorError';
  }
}

const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Replaces every `{ env: NAME }` with that variable's value (undefined when unset), anywhere in the tree. */
function resolveEnvironment(
  value: unknown,
  environment: Readonly<Record<string, string>>,
  where: string[],
): unknown {
  if (Array.isArray(value))
    return value.map((item, i) => resolveEnvironment(item, environment, [...where, String(i)]));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]?.[0] === 'env') {
    const name = entries[0][1];
    if (typeof name !== 'string' || !ENV_REFERENCE.test(name)) {
      throw new Error(`${where.join('.')}: an env reference must name an OIDC_* variable`);
    }
    return environment[name];
  }
  return Object.fromEntries(
    entries.map(([key, child]) => [key, resolveEnvironment(child, environment, [...where, key])]),
  );
}

/** Validates one descriptor (already parsed from YAML); `file` names it in error messages. */
export function parseDescriptor(
  id: string,
  raw: unknown,
  environment: Readonly<Record<string, string>>,
  file = id,
): ProviderDescriptor {
  if (!PROVIDER_ID.test(id))
    throw new DescriptorError([`${file}: the file name must be a provider id (a-z, 0-9, -)`]);
  let resolved: unknown;
  try {
    resolved = resolveEnvironment(raw, environment, []);
  } catch (error) {
    throw new DescriptorError([`${file}: ${(error as Error).message}`]);
  }
  const parsed = descriptorSchema.safeParse(resolved);
  if (!parsed.success) {
    throw new DescriptorError(
      parsed.error.issues.map((issue) => `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const acr: Partial<Record<Level, string>> = {};
  for (const level of LEVELS) {
    const value = parsed.data.acr[String(level) as '1' | '2' | '3'];
    if (value) acr[level] = value;
  }
  return { ...parsed.data, id, acr };
}

/** Reads every `*.yaml` of the folder (a missing folder holds no providers); all problems at once. */
export function loadDescriptors(
  dir: string,
  environment: Readonly<Record<string, string>>,
): ProviderDescriptor[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    return [];
  }
  const problems: string[] = [];
  const descriptors: ProviderDescriptor[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
      descriptors.push(parseDescriptor(name.replace(/\.ya?ml$/, ''), raw, environment, file));
    } catch (error) {
      if (error instanceof DescriptorError) problems.push(...error.problems);
      else problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new DescriptorError(problems);
  return descriptors;
}

/** The level a provider's acr value stands for, if the descriptor maps it. */
export function levelOfAcr(descriptor: ProviderDescriptor, acr: unknown): Level | undefined {
  return LEVELS.find((level) => descriptor.acr[level] !== undefined && descriptor.acr[level] === acr);
}
