import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Catalog } from '../../catalog/catalog.module.ts';
import { ipaCode } from '../../catalog/model.ts';
import { parseInput } from '../../catalog/validation.ts';
import { AppError } from '../../platform/errors.ts';
import { renderPage } from '../../platform/views.ts';
import type { CredentialLinks } from '../credential-links.ts';
import type { Credentials, IssuedCredential } from '../credentials.repository.ts';
import { citizenActor } from '../editor/editor-access.ts';
import { hostList, parseEditors, type Memberships } from '../membership.ts';
import type { RegistryNotices } from '../notices.ts';

const reasonSchema = z.strictObject({ _csrf: z.string(), reason: z.string().trim().min(3).max(1000) });
const editorsSchema = z.strictObject({ _csrf: z.string(), editors: z.string().max(2000) });
const bodyStatusSchema = z.strictObject({ _csrf: z.string(), status: z.enum(['approved', 'suspended']) });
const membershipId = z.string().regex(/^[A-Za-z0-9_-]{16}$/);
const clientIdSchema = z.string().regex(/^c_[A-Za-z0-9_-]{12}$/);
const csrfOnly = z.strictObject({ _csrf: z.string() });
/** Host names typed by an admin (checked by the writer). */
const domainsFormSchema = z.strictObject({ _csrf: z.string(), domains: hostList });

/**
 * The network admins' area (/admin): membership requests, bodies' status, API credentials, declared
 * domains and editors. A new API credential is never shown here: its body's contact gets a one-time link
 * to it by mail (credential-links.ts), so it reaches the body without passing through the admin's screen.
 */
export function createAdminController(deps: {
  catalog: Catalog;
  memberships: Memberships;
  credentials: Credentials;
  links: CredentialLinks;
  notices: RegistryNotices;
}) {
  const { memberships, credentials, catalog, notices } = deps;

  /** Sends the body's contact the link to its new credential; the admin's page says where it went. */
  async function sendCredential(
    req: Request,
    res: Response,
    body: { ipaCode: string; name: string; email: string },
    credential: IssuedCredential,
    approved: boolean,
    revokedPrevious = false,
  ) {
    const link = await deps.links.create(credential, body.ipaCode);
    await notices.credentialIssued({
      clientId: credential.clientId,
      name: body.name,
      email: body.email,
      ...link,
    });
    renderPage(req, res, 'registry/admin/credential-sent', {
      bodyId: body.ipaCode,
      email: body.email,
      clientId: credential.clientId,
      approved,
      revokedPrevious,
    });
  }

  return {
    async adminHome(req: Request, res: Response) {
      const bodies = await catalog.repository.listBodies();
      const clients = await Promise.all(bodies.map((b) => credentials.list(b.ipaCode)));
      renderPage(req, res, 'registry/admin/admin', {
        memberships: await memberships.list(),
        bodies,
        credentials: new Map(bodies.map((b, i) => [b.ipaCode, clients[i] ?? []])),
      });
    },

    async approve(req: Request<{ id: string }>, res: Response) {
      const id = parseInput(membershipId, req.params.id, 404);
      const form = parseInput(editorsSchema, req.body, 400);
      const editors = parseEditors(form.editors);
      if (!editors) throw new AppError(422, 'editors_invalid', 'one or more valid fiscal codes are needed');
      const { membership, credential } = await memberships.approve(citizenActor(req), id, editors);
      await notices.membershipDecided({ ...membership, status: 'approved' });
      const technical = { ...membership, email: membership.technicalEmail ?? membership.email };
      await sendCredential(req, res, technical, credential, true);
    },

    async reject(req: Request<{ id: string }>, res: Response) {
      const id = parseInput(membershipId, req.params.id, 404);
      const form = parseInput(reasonSchema, req.body);
      const rejected = await memberships.reject(citizenActor(req), id, form.reason);
      await notices.membershipDecided({ ...rejected, status: 'rejected', reason: form.reason });
      res.redirect(303, '/admin');
    },

    async setBodyStatus(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const form = parseInput(bodyStatusSchema, req.body, 400);
      await catalog.writer.setBodyStatus(citizenActor(req), body, form.status);
      res.redirect(303, '/admin');
    },

    async rotateCredential(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      parseInput(csrfOnly, req.body, 400);
      const found = await catalog.repository.getBody(body);
      if (!found) throw new AppError(404, 'body_not_found');
      // "The previous ones are revoked" only when there were live ones: not for a body's first credential.
      const hadLive = (await credentials.list(body)).some((c) => !c.revokedAt);
      const credential = await credentials.rotate(body);
      await sendCredential(
        req,
        res,
        {
          ipaCode: body,
          name: found.name.it,
          email: (await memberships.technicalContact(body)) ?? found.contacts.email,
        },
        credential,
        false,
        hadLive,
      );
    },

    /** Revokes one API credential of a body at once (the body's other credentials keep working). */
    async revokeCredential(req: Request<{ ipaCode: string; clientId: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const clientId = parseInput(clientIdSchema, req.params.clientId, 404);
      parseInput(csrfOnly, req.body, 400);
      if (!(await credentials.revoke(body, clientId))) throw new AppError(404, 'credential_not_found');
      res.redirect(303, '/admin');
    },

    /** The host names a body's links, single sign-on URIs and endpoints may use (only admins set them). */
    async setBodyDomains(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const form = parseInput(domainsFormSchema, req.body);
      await catalog.writer.setBodyDomains(citizenActor(req), body, form.domains);
      res.redirect(303, '/admin');
    },

    /** The people (by fiscal code) who may edit a body's services, endpoints and profile at /editor. */
    async setBodyEditors(req: Request<{ ipaCode: string }>, res: Response) {
      const body = parseInput(ipaCode, req.params.ipaCode, 404);
      const form = parseInput(editorsSchema, req.body, 400);
      const editors = parseEditors(form.editors);
      if (!editors) throw new AppError(422, 'editors_invalid', 'one or more valid fiscal codes are needed');
      await catalog.writer.setEditors(citizenActor(req), body, editors);
      res.redirect(303, '/admin');
    },
  };
}

export type AdminController = ReturnType<typeof createAdminController>;
