import { expect } from 'chai';
import { localPath } from '../../src/platform/local-path.ts';

describe('localPath (no open redirects)', () => {
  const accepted: [string, string][] = [
    ['/', '/'],
    ['/me', '/me'],
    ['/me?notice=sessionEnded#sessions', '/me?notice=sessionEnded#sessions'],
    ['/services?q=anagrafe&body=comune', '/services?q=anagrafe&body=comune'],
    ['/a/../me', '/me'],
  ];
  for (const [input, expected] of accepted) {
    it(`accepts the local path ${JSON.stringify(input)}`, () => {
      expect(localPath(input)).to.equal(expected);
    });
  }

  const rejected: unknown[] = [
    '//evil.example',
    '//evil.example/me',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    'https://evil.example',
    'http://evil.example/me',
    'javascript:alert(1)',
    'evil.example',
    'me',
    '',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\nSet-Cookie: x=1',
    '/me\u0000',
    '/me\u007f',
    '/' + 'a'.repeat(2001),
    undefined,
    null,
    42,
    ['/me'],
    { next: '/me' },
  ];
  for (const input of rejected) {
    it(`rejects ${JSON.stringify(input)?.slice(0, 40)}`, () => {
      expect(localPath(input)).to.equal(undefined);
    });
  }

  it('never returns something a browser would treat as another host', () => {
    // Encoded slashes stay encoded: "/%2F%2Fevil.example" is a path on this site, not "//evil.example".
    const result = localPath('/%2F%2Fevil.example');
    expect(result).to.equal('/%2F%2Fevil.example');
    expect(new URL(result!, 'https://varco.example').host).to.equal('varco.example');
  });
});
