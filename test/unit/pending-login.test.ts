import { expect } from 'chai';
import type { Request } from 'express';
import type { SessionData } from 'express-session';
import {
  askLogin,
  continuedLogin,
  pendingLogin,
  PENDING_LOGIN_MS,
} from '../../src/identity/pending-login.ts';

const fakeRequest = (session: Partial<SessionData> = {}, query: Record<string, unknown> = {}) =>
  ({ session, query }) as unknown as Request;

describe('pending login (the way back of the login a protected page started)', () => {
  it('remembers the page and the level, and marks the login page address with next', () => {
    const req = fakeRequest();
    expect(askLogin(req, '/records?x=1&y=2', 3)).to.equal('/login?next=%2Frecords%3Fx%3D1%26y%3D2');
    expect(pendingLogin(req)).to.deep.equal({ returnTo: '/records?x=1&y=2', level: 3 });
  });

  it('forgets a level an earlier step-up asked for when a page asks only for a login', () => {
    const req = fakeRequest();
    askLogin(req, '/records', 3);
    askLogin(req, '/editor');
    expect(pendingLogin(req)).to.deep.equal({ returnTo: '/editor', level: undefined });
  });

  it('a page not worth coming back to asks for a plain login and forgets an older one', () => {
    const req = fakeRequest();
    askLogin(req, '/records', 3);
    expect(askLogin(req, undefined)).to.equal('/login');
    expect(pendingLogin(req)).to.equal(undefined);
    expect(req.session).to.not.have.any.keys('returnTo', 'requiredLevel', 'loginAskedAt');
  });

  it('expires after PENDING_LOGIN_MS, and a time in the future or a missing one is not trusted', () => {
    const now = Date.now();
    const within = fakeRequest({ returnTo: '/a', loginAskedAt: now - PENDING_LOGIN_MS + 1000 });
    expect(pendingLogin(within, now)?.returnTo).to.equal('/a');
    for (const loginAskedAt of [now - PENDING_LOGIN_MS - 1, now + 60_000, undefined]) {
      const req = fakeRequest({ returnTo: '/a', requiredLevel: 3, loginAskedAt });
      expect(pendingLogin(req, now), String(loginAskedAt)).to.equal(undefined);
      expect(req.session).to.not.have.any.keys('returnTo', 'requiredLevel');
    }
  });

  it('is continued only by the same next, or by retry=1 without one', () => {
    const session = { returnTo: '/records', requiredLevel: 3 as const, loginAskedAt: Date.now() };
    expect(continuedLogin(fakeRequest({ ...session }), '/records')?.level).to.equal(3);
    expect(continuedLogin(fakeRequest({ ...session }, { retry: '1' }), undefined)?.level).to.equal(3);
    expect(continuedLogin(fakeRequest({ ...session }), undefined)).to.equal(undefined);
    expect(continuedLogin(fakeRequest({ ...session }), '/services')).to.equal(undefined);
    expect(continuedLogin(fakeRequest({ ...session }, { retry: ['1', '1'] }), undefined)).to.equal(undefined);
    expect(continuedLogin(fakeRequest({ ...session }, { retry: '1' }), '/services')).to.equal(undefined);
  });
});
