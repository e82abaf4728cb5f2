import { normaliseFiscalCode, type CitizenIdentity, type Level } from '../citizen.ts';
import type { StaffIdentity } from '../staff.ts';
import { OidcError } from './oidc-errors.ts';
import type { ProviderDescriptor } from './provider-descriptor.ts';

/** Who an OpenID Connect login established: a citizen (by fiscal code) or, on staff-only providers, staff. */
export type OidcLogin =
  { kind: 'citizen'; identity: CitizenIdentity } | { kind: 'staff'; staff: StaffIdentity };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

/** A claim as a short, trimmed string; anything else (objects, numbers, huge values) counts as absent. */
function stringClaim(
  claims: Record<string, unknown>,
  name: string | undefined,
  max = 200,
): string | undefined {
  const value = name ? claims[name] : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= max ? trimmed : undefined;
}

/**
 * Validates the provider's claims at the edge and maps them to the gateway's identities through the
 * descriptor's claim mapping. A citizen needs a valid personal fiscal code (the join key across
 * providers) and a name; without a fiscal code only a staff-only provider may log someone in.
 */
export function identityFromClaims(
  d: ProviderDescriptor,
  claims: Record<string, unknown>,
  level: Level,
  loginAt: number,
): OidcLogin {
  const subject = stringClaim(claims, 'sub', 255);
  if (!subject) throw new OidcError('oidc_response_invalid');
  const name = stringClaim(claims, d.claims.name);
  const familyName = stringClaim(claims, d.claims.familyName);
  const dateOfBirth = stringClaim(claims, d.claims.dateOfBirth);
  const email = stringClaim(claims, d.claims.email, 254);
  const optional = {
    ...(dateOfBirth && DATE.test(dateOfBirth) ? { dateOfBirth } : {}),
    ...(email && EMAIL.test(email) ? { email } : {}),
  };
  if (d.staffOnly) {
    return {
      kind: 'staff',
      staff: {
        key: `${d.id}:${subject}`,
        provider: d.id,
        issuer: d.issuer,
        subject,
        ...(name ? { name } : {}),
        ...(familyName ? { familyName } : {}),
        ...(optional.email ? { email: optional.email } : {}),
        level,
        loginAt,
      },
    };
  }
  const raw = stringClaim(claims, d.claims.fiscalCode, 40);
  const fiscalCode = raw ? normaliseFiscalCode(raw) : undefined;
  if (!fiscalCode) throw new OidcError('oidc_no_fiscal_code');
  if (!name || !familyName) throw new OidcError('oidc_response_invalid');
  return {
    kind: 'citizen',
    identity: { fiscalCode, name, familyName, ...optional, level, provider: d.id, issuer: d.issuer, loginAt },
  };
}
