import type { Request, Response } from 'express';
import { z } from 'zod';
import type { CitizenEmails } from '../citizen/email-address.ts';
import type { DataCipher } from '../citizen/data-cipher.ts';
import { parseInput } from '../catalog/validation.ts';
import { AppError } from '../platform/errors.ts';
import { isLanguage, LANGUAGES, type Language } from '../platform/i18n.ts';
import { newOneTimeToken, ONE_TIME_TOKEN, tokenId } from '../platform/one-time-token.ts';
import type { RedisConnection } from '../platform/redis.ts';
import { createSingleUseStore } from '../platform/single-use-store.ts';
import { renderPage } from '../platform/views.ts';

/** How long a confirmation link can be used. */
export const CONFIRMATION_SECONDS = 24 * 60 * 60;

/** An address a citizen types: a plain address (RFC 5321 limits), no display name, no control characters. */
const addressForm = z.strictObject({
  _csrf: z.string(),
  email: z.string().trim().toLowerCase().pipe(z.email().max(254)),
});
const tokenQuery = z.object({ token: z.string().max(100) });
const confirmForm = z.strictObject({ _csrf: z.string(), token: z.string().max(100) });
const csrfOnly = z.strictObject({ _csrf: z.string() });

const pendingSchema = z.object({ ref: z.string(), address: z.string(), lang: z.enum(LANGUAGES) });

const citizenOf = (req: Request) => {
  const citizen = req.session.citizen;
  if (!citizen) throw new AppError(401, 'login_required');
  return citizen;
};

/**
 * News of their cases by e-mail, which a citizen asks for in the personal area: the address typed is
 * confirmed by a link sent to it (valid 24 h, single use; the token in the query so request logs never
 * hold it), then filed, encrypted, under the citizen's reference (src/citizen/email-address.ts), with
 * the language of the page they asked from. The link's GET shows a button, so mail scanners following
 * links confirm nothing; confirming needs no login (the link proves the address). Pending confirmations:
 *   mail:confirm:<SHA-256 of the token>   JSON: ref, address (encrypted), lang; single use (GETDEL), TTL 24 h
 */
export function createCitizenUpdatesController(deps: {
  redis: RedisConnection;
  emails: CitizenEmails;
  cipher: DataCipher;
  confirmAddress: (c: { address: string; lang: Language; token: string; requestId: string }) => Promise<void>;
}) {
  const pending = createSingleUseStore(deps.redis, 'mail:confirm:', pendingSchema, CONFIRMATION_SECONDS);
  const context = (ref: string) => `citizen-email-pending:${ref}`;
  const page = (req: Request, res: Response, locals: Record<string, unknown>) =>
    renderPage(req, res, 'mail/citizen-email', locals);

  return {
    /** The personal area's section: the confirmed address, or the form to give one. */
    async personalArea(req: Request, res: Response) {
      const found = await deps.emails.of(citizenOf(req).fiscalCode);
      res.locals.mailUpdates = { address: found?.address };
    },

    async request(req: Request, res: Response) {
      const citizen = citizenOf(req);
      const parsed = addressForm.safeParse(req.body);
      if (!parsed.success) {
        res.status(422);
        return page(req, res, { state: 'invalid' });
      }
      const ref = deps.emails.refOf(citizen.fiscalCode);
      const lang = isLanguage(res.locals.lang) ? res.locals.lang : 'it';
      const token = newOneTimeToken();
      const id = tokenId(token);
      await pending.save(id, { ref, address: deps.cipher.encrypt(parsed.data.email, context(ref)), lang });
      await deps.confirmAddress({ address: parsed.data.email, lang, token, requestId: id.slice(0, 32) });
      page(req, res, { state: 'sent', address: parsed.data.email });
    },

    async showConfirm(req: Request, res: Response) {
      const { token } = parseInput(tokenQuery, req.query, 404);
      const found = ONE_TIME_TOKEN.test(token) ? await pending.peek(tokenId(token)) : undefined;
      res.set('Cache-Control', 'no-store');
      if (!found) {
        res.status(410);
        return page(req, res, { state: 'gone' });
      }
      page(req, res, { state: 'confirm', token });
    },

    async confirm(req: Request, res: Response) {
      const { token } = parseInput(confirmForm, req.body, 400);
      const found = ONE_TIME_TOKEN.test(token) ? await pending.take(tokenId(token)) : undefined;
      let address: string | undefined;
      try {
        address = found && deps.cipher.decrypt(found.address, context(found.ref));
      } catch {
        address = undefined;
      }
      if (!found || !address) {
        res.status(410);
        return page(req, res, { state: 'gone' });
      }
      await deps.emails.save(found.ref, address, found.lang);
      page(req, res, { state: 'confirmed', address });
    },

    async remove(req: Request, res: Response) {
      parseInput(csrfOnly, req.body, 400);
      await deps.emails.remove(citizenOf(req).fiscalCode);
      res.redirect(303, '/me');
    },
  };
}

export type CitizenUpdatesController = ReturnType<typeof createCitizenUpdatesController>;
