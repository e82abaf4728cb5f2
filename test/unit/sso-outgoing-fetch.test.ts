import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { outgoingFetch } from '../../src/sso/provider.ts';

/** Stands in for oidc-provider's SSRF-guarding dispatcher: any request that goes through it fails. */
const guard = {
  dispatch() {
    throw new Error('stopped by the SSRF guard');
  },
};
const guarded = () => ({ method: 'GET', dispatcher: guard }) as RequestInit;

async function causeOf(promise: Promise<Response>) {
  try {
    await promise;
    return 'delivered';
  } catch (error) {
    return String(((error as Error).cause as Error | undefined)?.message ?? (error as Error).message);
  }
}

describe("the provider's outgoing requests (back-channel logout, client keys)", () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bcl`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keep the SSRF guard outside demo mode, for loopback addresses too', async () => {
    expect(await causeOf(outgoingFetch(false)(url, guarded()))).to.equal('stopped by the SSRF guard');
  });

  it('in demo mode skip the guard for loopback hosts only (the demo body systems)', async () => {
    expect(await causeOf(outgoingFetch(true)(url, guarded()))).to.equal('delivered');
    expect(await causeOf(outgoingFetch(true)('http://bodies.example.invalid/bcl', guarded()))).to.equal(
      'stopped by the SSRF guard',
    );
    expect(await causeOf(outgoingFetch(true)('http://10.0.0.1/bcl', guarded()))).to.equal(
      'stopped by the SSRF guard',
    );
  });
});
