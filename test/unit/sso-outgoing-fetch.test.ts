import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { expect } from 'chai';
import { createOutboundHttp, type OutboundHttp } from '../../src/platform/outbound-http.ts';
import { outgoingFetch } from '../../src/sso/provider.ts';

/** Stands in for oidc-provider's own dispatcher: a request that still went through it would fail. */
const guard = {
  dispatch() {
    throw new Error('went through the dispatcher oidc-provider set');
  },
};
const guarded = () => ({ method: 'POST', body: 'logout_token=x', dispatcher: guard }) as RequestInit;

async function causeOf(promise: Promise<Response>) {
  try {
    await promise;
    return 'delivered';
  } catch (error) {
    return String(((error as Error).cause as Error | undefined)?.message ?? (error as Error).message);
  }
}

/** Resolves every name to 10.0.0.1 (nothing is connected: the address is refused first). */
const privateName: LookupFunction = (_hostname, _options, callback) =>
  callback(null, [{ address: '10.0.0.1', family: 4 }]);

describe("the provider's outgoing requests (back-channel logout, client keys)", () => {
  let server: Server;
  let url: string;
  let received = 0;
  const opened: OutboundHttp[] = [];
  const outbound = (allowLoopback: boolean, lookup?: LookupFunction) => {
    const made = createOutboundHttp({ allowLoopback, ...(lookup ? { lookup } : {}) });
    opened.push(made);
    return made.fetch;
  };

  before(async () => {
    server = createServer((_req, res) => {
      received += 1;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bcl`;
  });
  after(async () => {
    await Promise.all(opened.map((o) => o.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('outside demo mode refuse loopback addresses at connection time', async () => {
    received = 0;
    expect(await causeOf(outgoingFetch(outbound(false))(url, guarded()))).to.match(
      /127\.0\.0\.1 resolves to a loopback address/,
    );
    expect(received).to.equal(0);
  });

  it('in demo mode reach loopback hosts only (the demo body systems), through the gateway guard', async () => {
    received = 0;
    expect(await causeOf(outgoingFetch(outbound(true))(url, guarded()))).to.equal('delivered');
    expect(received).to.equal(1);
    expect(
      await causeOf(outgoingFetch(outbound(true, privateName))('http://bodies.example.it/bcl', guarded())),
    ).to.match(/bodies\.example\.it resolves to a private address \(10\.0\.0\.1\)/);
    expect(await causeOf(outgoingFetch(outbound(true))('http://10.0.0.1/bcl', guarded()))).to.match(
      /private address/,
    );
    expect(await causeOf(outgoingFetch(outbound(true))('http://169.254.169.254/jwks', guarded()))).to.match(
      /link-local address/,
    );
  });
});
