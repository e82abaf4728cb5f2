import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError } from '../platform/errors.ts';
import { requireCitizen } from './identity.controller.ts';

/**
 * The guard of the network admins' pages (the registry's admin area, failed deliveries): a logged-in
 * citizen whose fiscal code the configuration names (registry.admins), checked on every request, so an
 * admin removed there loses access at once. Anonymous visitors go to the login page; others get 403.
 */
export function requireNetworkAdmin(admins: readonly string[]): RequestHandler[] {
  const named = (req: Request, _res: Response, next: NextFunction) => {
    const citizen = req.session.citizen;
    next(citizen && admins.includes(citizen.fiscalCode) ? undefined : new ForbiddenError('not_an_admin'));
  };
  return [requireCitizen, named];
}
