import type { Request, Response } from 'express';
import { BODY_KINDS } from '../../catalog/model.ts';
import { renderPage } from '../../platform/views.ts';
import { membershipFormSchema, type Memberships } from '../membership.ts';
import type { RegistryNotices } from '../notices.ts';

/** A body's request to join the network (/join), reviewed by the network admins (told by mail). */
export function createJoinController(deps: { memberships: Memberships; notices: RegistryNotices }) {
  const { memberships } = deps;
  return {
    joinForm(req: Request, res: Response) {
      renderPage(req, res, 'registry/join/join', { form: {}, errors: [], kinds: BODY_KINDS });
    },

    async join(req: Request, res: Response) {
      const posted = { ...((req.body ?? {}) as Record<string, unknown>) };
      delete posted._csrf; // checked by the CSRF middleware; not part of the application
      const parsed = membershipFormSchema.safeParse(posted);
      if (!parsed.success) {
        res.status(422);
        const errors = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'form')))];
        return renderPage(req, res, 'registry/join/join', { form: posted, errors, kinds: BODY_KINDS });
      }
      await deps.notices.membershipSubmitted(await memberships.submit(parsed.data));
      renderPage(req, res, 'registry/join/join-done');
    },
  };
}

export type JoinController = ReturnType<typeof createJoinController>;
