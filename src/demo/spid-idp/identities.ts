import type { Level } from '../../identity/citizen.ts';

/** A fictitious citizen of the demo IdP; fiscal codes are valid in form (check character) but invented. */
export interface DemoIdentity {
  spidCode: string;
  name: string;
  familyName: string;
  fiscalCode: string;
  dateOfBirth: string;
  email: string;
  /** Highest SPID level this identity's credentials reach. */
  maxLevel: Level;
}

export const DEMO_IDENTITIES: readonly DemoIdentity[] = [
  {
    spidCode: 'DEMO0000000001',
    name: 'Mario',
    familyName: 'Rossi',
    fiscalCode: 'RSSMRA80A01G999F',
    dateOfBirth: '1980-01-01',
    email: 'mario.rossi@example.invalid',
    maxLevel: 1,
  },
  {
    spidCode: 'DEMO0000000002',
    name: 'Laura',
    familyName: 'Bianchi',
    fiscalCode: 'BNCLRA85M41G999K',
    dateOfBirth: '1985-08-01',
    email: 'laura.bianchi@example.invalid',
    maxLevel: 2,
  },
  {
    spidCode: 'DEMO0000000003',
    name: 'Giuseppe',
    familyName: 'Verdi',
    fiscalCode: 'VRDGPP70T10G999S',
    dateOfBirth: '1970-12-10',
    email: 'giuseppe.verdi@example.invalid',
    maxLevel: 3,
  },
];

/** The SPID attributes (Regole tecniche SPID, "Attributi") of a demo identity. */
export function spidAttributes(identity: DemoIdentity): Record<string, string> {
  return {
    spidCode: identity.spidCode,
    name: identity.name,
    familyName: identity.familyName,
    fiscalNumber: `TINIT-${identity.fiscalCode}`,
    dateOfBirth: identity.dateOfBirth,
    email: identity.email,
  };
}
