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

  // Dot segments resolved into an empty first segment: the input starts with one slash, the resolved
  // path with two, which a browser reads as another host (RFC 3986 section 4.2, network-path reference).
  const dotSegmentEscapes = [
    '/..//evil.example/phish',
    '/.//evil.example',
    '/%2e%2e//evil.example',
    '/%2E%2E//evil.example',
    '/%2e%2E//evil.example',
    '/.%2e//evil.example',
    '/%2E.//evil.example',
    '/%2e//evil.example',
    '/x/..//evil.example',
    '/x/%2e%2e//evil.example',
    '/a/b/../..//evil.example',
    '/%2e%2e/%2e%2e//evil.example',
    '/x/.././/evil.example',
    '/..///evil.example',
    '/..//evil.example?next=/me#top',
    '/.//\\evil.example',
    '/./\\evil.example',
    '/..\\evil.example',
  ];
  for (const input of dotSegmentEscapes) {
    it(`rejects ${JSON.stringify(input)}, which resolves to another host`, () => {
      expect(localPath(input)).to.equal(undefined);
    });
  }

  // Encoded slashes, backslashes and tabs are not separators: each stays one segment of a path on this site.
  const encodedSeparators: [string, string][] = [
    ['/%2F/evil.example', '/%2F/evil.example'],
    ['/%2f%2fevil.example', '/%2f%2fevil.example'],
    ['/..%2f/evil.example', '/..%2f/evil.example'],
    ['/..%2F%2Fevil.example', '/..%2F%2Fevil.example'],
    ['/..%5c/evil.example', '/..%5c/evil.example'],
    ['/%5C%5Cevil.example', '/%5C%5Cevil.example'],
    ['/%09/evil.example', '/%09/evil.example'],
    ['/..%09//evil.example', '/..%09//evil.example'],
    ['/./%2F/evil.example', '/%2F/evil.example'],
    ['/...//evil.example', '/...//evil.example'],
    ['/#//evil.example', '/#//evil.example'],
    ['/?next=//evil.example', '/?next=//evil.example'],
  ];
  for (const [input, expected] of encodedSeparators) {
    it(`keeps ${JSON.stringify(input)} on this site`, () => {
      expect(localPath(input)).to.equal(expected);
      expect(new URL(expected, 'https://varco.example').host).to.equal('varco.example');
    });
  }

  it('returns only paths it would return unchanged, each a path on this site', () => {
    const inputs = [...accepted.map(([input]) => input), ...encodedSeparators.map(([input]) => input)];
    for (const input of inputs) {
      const result = localPath(input)!;
      expect(localPath(result), input).to.equal(result);
      expect(result, input).to.match(/^\/(?![/\\])/);
      expect(new URL(result, 'https://varco.example').host, input).to.equal('varco.example');
    }
  });

  it('never returns something a browser would treat as another host', () => {
    // Encoded slashes stay encoded: "/%2F%2Fevil.example" is a path on this site, not "//evil.example".
    const result = localPath('/%2F%2Fevil.example');
    expect(result).to.equal('/%2F%2Fevil.example');
    expect(new URL(result!, 'https://varco.example').host).to.equal('varco.example');
  });
});
