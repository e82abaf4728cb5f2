import type { CitizenIdentity, Level } from '../identity/citizen.ts';

/**
 * The citizen attributes a body's service may declare it needs, as OpenID Connect claims. `sub`, `acr`,
 * `amr` and `auth_time` are always released (they say who and how, not personal data beyond the
 * pairwise subject); everything else only to services that declared it.
 */
export const RELEASABLE_CLAIMS = [
  'fiscal_number',
  'given_name',
  'family_name',
  'birthdate',
  'email',
] as const;
export type ReleasableClaim = (typeof RELEASABLE_CLAIMS)[number];

/**
 * Scopes a client may ask for, and the claims each stands for (OpenID Connect Core 5.4). A service's
 * declaration is its request: `openid` stands for every releasable claim, and the account releases only
 * those the service declared (provider.ts, findAccount), so a client gets exactly what the citizen was
 * shown on the consent page whatever scopes it asks for; the standard scopes stay accepted.
 */
export const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  openid: ['sub', 'acr', 'amr', 'auth_time', ...RELEASABLE_CLAIMS],
  profile: ['given_name', 'family_name', 'birthdate'],
  email: ['email'],
  fiscal_number: ['fiscal_number'],
};

/** The requested scopes the provider knows: own names of SCOPE_CLAIMS only, never "constructor" and the like. */
export const knownScopes = (requested: Iterable<string>): string[] =>
  [...requested].filter((scope) => Object.hasOwn(SCOPE_CLAIMS, scope));

/** SPID levels as acr values (SPID technical rules: "https://www.spid.gov.it/SpidL<n>"). */
export const ACR_VALUES = [1, 2, 3].map((n) => `https://www.spid.gov.it/SpidL${n}`);
export const acrOf = (level: Level) => `https://www.spid.gov.it/SpidL${level}`;
export function levelOfAcr(acr: string): Level | undefined {
  const index = ACR_VALUES.indexOf(acr);
  return index < 0 ? undefined : ((index + 1) as Level);
}

/** Every claim value the gateway can give about a citizen, before any filter. */
export function citizenClaims(
  citizen: Pick<CitizenIdentity, 'fiscalCode' | 'name' | 'familyName' | 'dateOfBirth' | 'email'>,
): Record<ReleasableClaim, string | undefined> {
  return {
    // The fiscal number as SPID's OIDC profile carries it (AgID, "Linee guida OpenID Connect in SPID").
    fiscal_number: `TINIT-${citizen.fiscalCode}`,
    given_name: citizen.name,
    family_name: citizen.familyName,
    birthdate: citizen.dateOfBirth,
    email: citizen.email,
  };
}

/** The claims a release would carry for the given scopes and claims-parameter names, within `declared`. */
export function releasedClaimNames(
  declared: readonly string[],
  scopes: Iterable<string>,
  requested: Iterable<string>,
  rejected: Iterable<string> = [],
): string[] {
  const wanted = new Set<string>(requested);
  for (const scope of knownScopes(scopes)) for (const claim of SCOPE_CLAIMS[scope] ?? []) wanted.add(claim);
  const no = new Set(rejected);
  const allowed = new Set(['sub', 'acr', 'amr', 'auth_time', ...declared]);
  return [...wanted].filter((claim) => allowed.has(claim) && !no.has(claim)).sort();
}
