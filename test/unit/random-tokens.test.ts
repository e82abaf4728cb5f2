import { expect } from 'chai';
import { randomToken } from '../../src/platform/random-tokens.ts';

describe('random tokens (nonces, session ids)', () => {
  it('gives the asked number of bytes in the asked encoding', () => {
    expect(randomToken(16, 'base64')).to.match(/^[A-Za-z0-9+/]{22}==$/);
    expect(randomToken(24, 'base64url')).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(randomToken(32, 'base64url'), 'base64url')).to.have.length(32);
  });

  it('never gives the same value twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(randomToken(i % 2 ? 16 : 24, 'base64url'));
    expect(seen.size).to.equal(20_000);
  });

  it('spreads its bytes evenly (no byte value more than twice as common as another)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4000; i++)
      for (const byte of Buffer.from(randomToken(16, 'base64'), 'base64')) counts[byte]!++;
    expect(Math.max(...counts) / Math.min(...counts)).to.be.below(2);
  });

  it('refuses sizes it cannot give', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 8193])
      expect(() => randomToken(bad, 'base64')).to.throw(RangeError);
  });
});
