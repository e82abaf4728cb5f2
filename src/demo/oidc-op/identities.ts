import { DEMO_IDENTITIES, type DemoIdentity } from '../spid-idp/identities.ts';

/** CIE ID's claim for the fiscal number (CIE OpenID Connect profile, "Claim utente"). */
export const CIE_FISCAL_NUMBER = 'https://attributes.eid.gov.it/fiscal_number';

/** A person of the demo OpenID Provider and the claims it releases about them. */
export interface DemoOidcIdentity {
  /** The subject: opaque and stable, as a real provider's. */
  sub: string;
  person: Pick<DemoIdentity, 'name' | 'familyName' | 'maxLevel'>;
  claims: Record<string, string>;
}

/** The claims of one demo person, in the names CIE ID uses (fiscal number with its TINIT- prefix). */
export function oidcClaims(identity: DemoIdentity): Record<string, string> {
  return {
    given_name: identity.name,
    family_name: identity.familyName,
    birthdate: identity.dateOfBirth,
    email: identity.email,
    [CIE_FISCAL_NUMBER]: `TINIT-${identity.fiscalCode}`,
  };
}

/**
 * The demo provider's people are the demo SPID IdP's (same fictitious, check-character-valid fiscal
 * codes), so one citizen can be shown joined across SPID and CIE.
 */
export const DEMO_OIDC_IDENTITIES: readonly DemoOidcIdentity[] = DEMO_IDENTITIES.map((identity) => ({
  sub: `demo-cie-${identity.spidCode.slice(-4)}`,
  person: identity,
  claims: oidcClaims(identity),
}));
