import { expect } from 'chai';
import type { Request } from 'express';
import { waitText } from '../../src/platform/error-handler.ts';
import { secondsToReset } from '../../src/platform/rate-limit.ts';

const withReset = (resetTime: Date | undefined) => ({ rateLimit: { resetTime } }) as unknown as Request;

describe('how long a rate-limited client waits', () => {
  const now = Date.parse('2026-01-01T10:00:00Z');

  it('is the time until the counter resets, rounded up to a whole second', () => {
    expect(secondsToReset(withReset(new Date(now + 12_300)), 60, now)).to.equal(13);
    expect(secondsToReset(withReset(new Date(now + 60_000)), 60, now)).to.equal(60);
  });

  it('never says 0 or less, nor more than the window, and falls back to the window without a reset time', () => {
    expect(secondsToReset(withReset(new Date(now - 500)), 60, now)).to.equal(1);
    expect(secondsToReset(withReset(new Date(now + 3_600_000)), 60, now)).to.equal(60);
    expect(secondsToReset(withReset(undefined), 60, now)).to.equal(60);
    expect(secondsToReset({} as Request, 90, now)).to.equal(90);
  });

  it('is said in seconds, or minutes for longer waits, with the right plural in Italian and English', () => {
    expect(waitText(1, 'it')).to.equal('1 secondo');
    expect(waitText(45, 'it')).to.equal('45 secondi');
    expect(waitText(1, 'en')).to.equal('1 second');
    expect(waitText(119, 'en')).to.equal('119 seconds');
    expect(waitText(121, 'it')).to.equal('3 minuti');
    expect(waitText(600, 'en')).to.equal('10 minutes');
  });
});
