import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createDataCipher } from '../../src/citizen/data-cipher.ts';
import {
  canMove,
  caseStatus,
  isTerminal,
  STEP_STATUSES,
  type StepStatus,
} from '../../src/procedures/step-state.ts';

/** Every move the engine allows, written out: any other pair must be refused. */
const ALLOWED: ReadonlyArray<[StepStatus, StepStatus]> = [
  ['waiting', 'queued'],
  ['waiting', 'cancelled'],
  ['queued', 'delivered'],
  ['queued', 'accepted'],
  ['queued', 'completed'],
  ['queued', 'rejected'],
  ['delivered', 'accepted'],
  ['delivered', 'completed'],
  ['delivered', 'rejected'],
  ['accepted', 'completed'],
  ['accepted', 'rejected'],
];

describe('procedure steps: the state table', () => {
  it('allows exactly the listed moves, for every pair of states', () => {
    for (const from of STEP_STATUSES) {
      for (const to of STEP_STATUSES) {
        const expected = ALLOWED.some(([a, b]) => a === from && b === to);
        expect(canMove(from, to), `${from} → ${to}`).to.equal(expected);
      }
    }
  });

  it('never moves back or stays: duplicates and late reports change nothing', () => {
    const rank = (s: StepStatus) => STEP_STATUSES.indexOf(s);
    for (const [from, to] of ALLOWED) expect(rank(to), `${from} → ${to}`).to.be.greaterThan(rank(from));
    for (const status of STEP_STATUSES) expect(canMove(status, status)).to.equal(false);
  });

  it('ends in completed, rejected or cancelled only', () => {
    expect(STEP_STATUSES.filter(isTerminal)).to.deep.equal(['completed', 'rejected', 'cancelled']);
  });

  it('closes a case only when every step is final: completed if all completed, else closed', () => {
    expect(caseStatus(['completed', 'completed'])).to.equal('completed');
    expect(caseStatus(['completed', 'rejected', 'cancelled'])).to.equal('closed');
    expect(caseStatus(['completed', 'accepted'])).to.equal('open');
    expect(caseStatus(['waiting', 'queued'])).to.equal('open');
  });
});

describe('procedure data cipher', () => {
  const key = (id: string) => ({ id, key: randomBytes(32) }); // test-only keys
  const [k1, k2] = [key('k1'), key('k2')];

  it('round-trips, and never produces the same ciphertext twice', () => {
    const cipher = createDataCipher([k1]);
    const a = cipher.encrypt('Giulia Bianchi', 'CASE:form');
    expect(cipher.decrypt(a, 'CASE:form')).to.equal('Giulia Bianchi');
    expect(cipher.encrypt('Giulia Bianchi', 'CASE:form')).to.not.equal(a);
    expect(a)
      .to.match(/^v1\.k1\./)
      .and.not.include('Giulia');
  });

  it('refuses another context, a tampered value and an unknown key', () => {
    const cipher = createDataCipher([k1]);
    const sealed = cipher.encrypt('secret', 'A:form');
    expect(() => cipher.decrypt(sealed, 'B:form')).to.throw();
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'), 'A:form')).to.throw();
    expect(() => createDataCipher([k2]).decrypt(sealed, 'A:form')).to.throw(/unknown key "k1"/);
  });

  it('rotates: the first key encrypts, every key decrypts, rotate() re-seals only old values', () => {
    const old = createDataCipher([k1]).encrypt('x', 'C:f');
    const cipher = createDataCipher([k2, k1]);
    expect(cipher.decrypt(old, 'C:f')).to.equal('x');
    const resealed = cipher.rotate(old, 'C:f');
    expect(resealed).to.match(/^v1\.k2\./);
    expect(cipher.rotate(resealed!, 'C:f')).to.equal(undefined);
  });
});
