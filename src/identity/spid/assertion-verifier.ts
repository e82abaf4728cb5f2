import type { Request, Response } from 'express';
import { MultiSamlStrategy, ValidateInResponseTo, type Profile } from '@node-saml/passport-saml';
import { Authenticator } from 'passport';
import type { ServiceProvider } from './service-provider.ts';
import { SpidResponseError } from './spid-errors.ts';

/**
 * Verifies the XML signature of a Response's one Assertion with passport-saml's MultiSamlStrategy
 * (node-saml underneath), configured for each request with the certificates of the IdP that request
 * went to. The SPID checks the library does not make have already run (response-validator.ts); replay
 * protection is ours too (the Redis request record, consumed atomically on any instance), so the
 * library's per-process InResponseTo cache stays off.
 */
export function createAssertionVerifier(sp: ServiceProvider) {
  const idpCertsOf = new WeakMap<Request, string[]>();
  const strategy = new MultiSamlStrategy(
    {
      passReqToCallback: true,
      getSamlOptions(req, done) {
        const idpCert = idpCertsOf.get(req);
        if (!idpCert?.length) return done(new SpidResponseError('spid_issuer'));
        done(null, {
          idpCert,
          issuer: sp.entityId,
          callbackUrl: sp.acsUrl,
          // The Audience is checked in response-validator.ts on this same Assertion, with the value's
          // surrounding whitespace (layout) trimmed; node-saml compares it untrimmed.
          audience: false,
          wantAssertionsSigned: true,
          wantAuthnResponseSigned: false,
          acceptedClockSkewMs: sp.clockSkewMs,
          validateInResponseTo: ValidateInResponseTo.never,
        });
      },
    },
    (_req, profile, done) => done(null, profile ?? undefined),
    (_req, profile, done) => done(null, profile ?? undefined),
  );
  const passport = new Authenticator();

  /** The signed Profile of the Response in `req.body.SAMLResponse`, or a spid_signature rejection. */
  return function verifyAssertion(req: Request, res: Response, idpCerts: string[]): Promise<Profile> {
    idpCertsOf.set(req, idpCerts);
    return new Promise((resolve, reject) => {
      const refuse = (error: unknown) =>
        reject(error instanceof SpidResponseError ? error : new SpidResponseError('spid_signature'));
      const authenticate = passport.authenticate(
        strategy,
        { session: false },
        (error: unknown, profile: Profile | false | undefined) =>
          error || !profile ? refuse(error) : resolve(profile),
      ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
      authenticate(req, res, refuse);
    });
  };
}

export type AssertionVerifier = ReturnType<typeof createAssertionVerifier>;
