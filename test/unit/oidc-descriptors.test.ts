import { expect } from 'chai';
import {
  DescriptorError,
  levelOfAcr,
  loadDescriptors,
  parseDescriptor,
} from '../../src/identity/oidc/provider-descriptor.ts';

const PROVIDERS = 'providers/oidc';

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof DescriptorError) return error.problems;
    throw error;
  }
  throw new Error('expected a DescriptorError');
}

describe('OpenID Connect provider descriptors (providers/oidc)', () => {
  it('ships CIE and an example, both disabled without configuration', () => {
    const descriptors = loadDescriptors(PROVIDERS, {});
    expect(descriptors.map((d) => [d.id, d.enabled])).to.deep.equal([
      ['cie', false],
      ['example', false],
    ]);
  });

  it("describes CIE id's profile: issuer, fiscal number claim, SPID acr values, signed requests", () => {
    const cie = loadDescriptors(PROVIDERS, {}).find((d) => d.id === 'cie')!;
    expect(cie.issuer).to.equal('https://oidc.idserver.servizicie.interno.gov.it');
    expect(cie.claims.fiscalCode).to.equal('https://attributes.eid.gov.it/fiscal_number');
    expect(cie.acr).to.deep.equal({
      1: 'https://www.spid.gov.it/SpidL1',
      2: 'https://www.spid.gov.it/SpidL2',
      3: 'https://www.spid.gov.it/SpidL3',
    });
    expect(cie).to.include({ kind: 'cie', requestObject: true, prompt: 'consent login' });
    expect(cie.auth.method).to.equal('private_key_jwt');
    expect(levelOfAcr(cie, 'https://www.spid.gov.it/SpidL2')).to.equal(2);
    expect(levelOfAcr(cie, 'https://www.spid.gov.it/SpidL4')).to.equal(undefined);
  });

  it('enables CIE from the environment, and then requires its client id and key', () => {
    const problems = problemsOf(() => loadDescriptors(PROVIDERS, { OIDC_CIE_ENABLED: 'true' }));
    expect(problems.join('\n')).to.contain('cie.yaml: clientId: required when enabled');
    expect(problems.join('\n')).to.contain('cie.yaml: auth.keyFile: required when enabled');
    const [cie] = loadDescriptors(PROVIDERS, {
      OIDC_CIE_ENABLED: 'true',
      OIDC_CIE_CLIENT_ID: 'https://varco.example.invalid',
      OIDC_CIE_KEY_FILE: '/run/secrets/cie.pem',
      OIDC_CIE_KEY_ID: 'k1',
    });
    expect(cie).to.include({ enabled: true, clientId: 'https://varco.example.invalid' });
    expect(cie!.auth).to.include({ keyFile: '/run/secrets/cie.pem', kid: 'k1' });
  });

  const valid = {
    issuer: 'https://op.example.invalid',
    enabled: true,
    clientId: 'c',
    auth: { method: 'client_secret_basic', secret: 's' },
    claims: { fiscalCode: 'fc', name: 'given_name', familyName: 'family_name' },
    acr: { 2: 'loa2' },
    label: { it: 'A', en: 'A' },
  };

  it('refuses what cannot work, naming file and field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ requestObject: true }, 'requestObject: needs auth.method private_key_jwt'],
      [{ claims: { name: 'n', familyName: 'f' } }, 'claims.fiscalCode: required unless staffOnly'],
      [{ scopes: ['profile'] }, 'scopes: must include openid'],
      [{ acr: {} }, 'acr: map at least one level'],
      [{ issuer: 'ftp://op.example.invalid' }, 'issuer'],
      [{ surprise: true }, 'Unrecognized key'],
      [{ clientId: { env: 'HOME' } }, 'an env reference must name an OIDC_* variable'],
    ];
    for (const [change, message] of cases) {
      const problems = problemsOf(() => parseDescriptor('p', { ...valid, ...change }, {}, 'p.yaml'));
      expect(problems.join('\n'), JSON.stringify(change)).to.contain(message);
    }
    expect(problemsOf(() => parseDescriptor('Bad_Id', valid, {}))[0]).to.contain('provider id');
  });

  it('accepts a staff-only provider without a fiscal code claim', () => {
    const staff = parseDescriptor(
      'staff',
      {
        ...valid,
        staffOnly: true,
        claims: { name: 'given_name', familyName: 'family_name' },
      },
      {},
    );
    expect(staff.staffOnly).to.equal(true);
  });
});
