import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import { allowFormTarget } from '../../src/sso/form-action.ts';

const CSP = "default-src 'self';script-src 'self' 'nonce-abc';form-action 'self';frame-ancestors 'none'";

function responseWith(csp?: string) {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  if (csp !== undefined) res.setHeader('content-security-policy', csp);
  return res;
}

describe("a page's CSP form-action widened to a service's origin", () => {
  it('adds the origin of the target to form-action only, once', () => {
    const res = responseWith(CSP);
    allowFormTarget(res, 'https://servizi.comune.prato.it/callback?x=1#f');
    allowFormTarget(res, 'https://servizi.comune.prato.it/other');
    allowFormTarget(res, 'http://127.0.0.1:8080/cb');
    expect(res.getHeader('content-security-policy')).to.equal(
      "default-src 'self';script-src 'self' 'nonce-abc';" +
        "form-action 'self' https://servizi.comune.prato.it http://127.0.0.1:8080;frame-ancestors 'none'",
    );
  });

  it('leaves the policy alone for targets that are not plain http(s) origins, and pages without one', () => {
    const hostile = [
      'javascript:alert(1)',
      'data:text/html,x',
      'not a url',
      '',
      'https://a.it;sandbox/cb', // a ";" in the host would add a directive
      "https://a.it';script-src *",
      'ftp://files.example.it/x',
    ];
    for (const target of hostile) {
      const res = responseWith(CSP);
      allowFormTarget(res, target);
      expect(res.getHeader('content-security-policy'), target).to.equal(CSP);
    }
    const bare = responseWith();
    allowFormTarget(bare, 'https://servizi.comune.prato.it/callback');
    expect(bare.getHeader('content-security-policy')).to.equal(undefined);
  });
});
