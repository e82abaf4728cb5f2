import type { NextFunction, Request, Response } from 'express';
import type { CatalogRepository } from '../../catalog/catalog.repository.ts';
import { AppError, ForbiddenError } from '../../platform/errors.ts';
import type { Credentials } from '../credentials.repository.ts';

export class UnauthorizedError extends AppError {
  constructor() {
    super(401, 'invalid_credentials');
  }
}

/** The body an API request was authenticated as (set by bodyAuthentication). */
export const authenticatedBody = (res: Response): string => {
  const body = res.locals.apiBody as string | undefined;
  if (!body) throw new UnauthorizedError();
  return body;
};

/**
 * Authenticates a body's system: `Authorization: Bearer <clientId>.<secret>`. The body must be approved
 * (a suspended body's credentials stop working at once, on every instance).
 */
export function bodyAuthentication(credentials: Credentials, repository: CatalogRepository) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const token = /^Bearer ([^\s]{1,200})$/.exec(header)?.[1];
    const bodyId = token ? await credentials.verify(token) : undefined;
    if (!bodyId) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="varco-registry"');
      return next(new UnauthorizedError());
    }
    const body = await repository.getBody(bodyId);
    if (body?.status !== 'approved') return next(new ForbiddenError('body_not_active'));
    res.locals.apiBody = bodyId;
    next();
  };
}
