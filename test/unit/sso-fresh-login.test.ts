import { expect } from 'chai';
import { freshLoginDemanded } from '../../src/sso/interaction.controller.ts';

const REQUEST_AT = 1_800_000_000; // seconds: when the authorization request began (the interaction's iat)
const NOW = (REQUEST_AT + 5) * 1000;
const interaction = (reasons: string[], params: Record<string, unknown> = {}) => ({
  iat: REQUEST_AT,
  params,
  prompt: { reasons },
});

describe('whether a service asked for a fresher login than the session has (prompt=login, max_age)', () => {
  it('asks for prompt=login when the login is older than the request', () => {
    expect(freshLoginDemanded(interaction(['login_prompt']), (REQUEST_AT - 60) * 1000, NOW)).to.equal(true);
    expect(freshLoginDemanded(interaction(['login_prompt']), (REQUEST_AT + 2) * 1000, NOW)).to.equal(false);
  });

  it('asks for max_age when the login is older than that many seconds', () => {
    const maxAge = (seconds: string) => interaction(['max_age'], { max_age: seconds });
    expect(freshLoginDemanded(maxAge('60'), (REQUEST_AT - 120) * 1000, NOW)).to.equal(true);
    expect(freshLoginDemanded(maxAge('600'), (REQUEST_AT - 120) * 1000, NOW)).to.equal(false);
    // A login made since the request began satisfies any max_age, 0 included (no login loop).
    expect(freshLoginDemanded(maxAge('0'), (REQUEST_AT + 1) * 1000, NOW)).to.equal(false);
  });

  it('asks for nothing when the provider gave neither reason, or max_age is not a number', () => {
    const old = (REQUEST_AT - 3600) * 1000;
    expect(freshLoginDemanded(interaction(['no_session', 'gateway_session']), old, NOW)).to.equal(false);
    expect(freshLoginDemanded(interaction(['max_age'], { max_age: 'soon' }), old, NOW)).to.equal(false);
  });
});
