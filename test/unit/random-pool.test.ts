import { expect } from 'chai';
import { createRandomPool, pooledRandomBytes } from '../../src/platform/random-pool.ts';

describe('random pool', () => {
  it('hands out the sizes asked for, never the same bytes twice, across many refills', () => {
    // A pool of 40 bytes: draws of 16 refill it every second or third draw, and leave ends unused.
    const draw = createRandomPool(40);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const bytes = draw(16);
      expect(bytes).to.have.length(16);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).to.equal(3000);
  });

  it('gives buffers of their own: changing one changes nothing drawn later', () => {
    const draw = createRandomPool(64);
    const first = draw(16);
    first.fill(0);
    const later = [draw(16), draw(16), draw(16)];
    for (const bytes of later) expect(bytes.equals(Buffer.alloc(16))).to.equal(false);
  });

  it('serves sizes larger than the pool straight from the generator', () => {
    const draw = createRandomPool(32);
    const big = draw(100);
    expect(big).to.have.length(100);
    expect(big.equals(Buffer.alloc(100))).to.equal(false);
    expect(draw(100).equals(big)).to.equal(false);
  });

  it('the process pool gives values that look random: every byte value within 10,000 draws', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 10_000; i++) for (const byte of pooledRandomBytes(16)) counts[byte]! += 1;
    // 160,000 bytes: about 625 of each value; a stuck or zeroed pool fails this.
    expect(Math.min(...counts)).to.be.greaterThan(450);
    expect(Math.max(...counts)).to.be.lessThan(800);
  });
});
