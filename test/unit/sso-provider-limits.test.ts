import { expect } from 'chai';
import type { Request } from 'express';
import { basicClientId } from '../../src/sso/provider-limits.ts';

const withAuthorization = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as Request;
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe("the client a token request names (the token endpoint's rate-limit counter)", () => {
  it('reads the client id of a client_secret_basic header, form-decoded (RFC 6749 section 2.3.1)', () => {
    expect(basicClientId(withAuthorization(basic('certificati-anagrafici:s3cr3t')))).to.equal(
      'certificati-anagrafici',
    );
    expect(basicClientId(withAuthorization(basic('prenotazioni%2Dvisite:a:b')))).to.equal(
      'prenotazioni-visite',
    );
    expect(basicClientId(withAuthorization(`basic ${Buffer.from('abc:x').toString('base64')}`))).to.equal(
      'abc',
    );
  });

  it('names no client for anything else', () => {
    const hostile = [
      undefined,
      '',
      'Bearer abc.def',
      'Basic',
      'Basic !!!notbase64',
      `Basic ${Buffer.from('abc:x').toString('base64')} extra`,
      basic('no-colon-here'),
      basic(':secret-without-id'),
      basic('UPPER-CASE:x'),
      basic('ab:x'), // shorter than a service id
      basic('../../etc:x'),
      basic('%E0%A4%A:x'), // broken percent-encoding
      basic(`${'a'.repeat(81)}:x`),
      basic('abc def:x'),
      basic('abc+def:x'), // "+" is a space in form encoding
    ];
    for (const header of hostile)
      expect(basicClientId(withAuthorization(header)), String(header)).to.equal(undefined);
  });
});
