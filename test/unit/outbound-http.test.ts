import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import {
  addressRefused,
  classifyAddress,
  createOutboundHttp,
  type AddressKind,
} from '../../src/platform/outbound-http.ts';

describe('outbound requests: which addresses the gateway connects to', () => {
  describe('classifyAddress (no network)', () => {
    const cases: Record<AddressKind, string[]> = {
      public: [
        '93.184.216.34',
        '8.8.8.8',
        '2001:4860:4860::8888',
        '2a00:1450:4002:402::200e',
        '::ffff:8.8.8.8',
      ],
      loopback: ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'],
      private: [
        '10.0.0.1',
        '10.255.255.255',
        '172.16.0.1',
        '172.31.255.255',
        '192.168.1.1',
        '100.64.0.1',
        '100.127.255.254',
        'fc00::1',
        'fd12:3456:789a::1',
        'fec0::1',
        '::ffff:10.0.0.1',
        '::ffff:192.168.0.1',
      ],
      'link-local': ['169.254.169.254', '169.254.0.1', 'fe80::1', 'febf::1', '::ffff:169.254.169.254'],
      unspecified: ['0.0.0.0', '0.1.2.3', '::', '::ffff:0.0.0.0'],
      multicast: ['224.0.0.1', '239.255.255.250', '255.255.255.255', 'ff02::1', 'ff05::2'],
      reserved: [
        '192.0.2.1',
        '198.51.100.7',
        '203.0.113.9',
        '198.18.0.1',
        '240.0.0.1',
        '192.0.0.8',
        '2001:db8::1',
        '64:ff9b::a00:1',
        '2002:a00:1::1',
        '2001::1',
        '::7f00:1',
        '::a00:1',
        '::ffff:0:a00:1',
        '100::1',
        'not-an-address',
        '',
        '127.1',
        '0x7f000001',
      ],
    };
    for (const [kind, addresses] of Object.entries(cases)) {
      it(`${kind}: ${addresses.filter(Boolean).join(', ')}`, () => {
        for (const address of addresses) expect(classifyAddress(address), address).to.equal(kind);
      });
    }

    it('the boundaries of private ranges are exact', () => {
      expect(classifyAddress('172.15.255.255')).to.equal('public');
      expect(classifyAddress('172.32.0.0')).to.equal('public');
      expect(classifyAddress('100.63.255.255')).to.equal('public');
      expect(classifyAddress('100.128.0.0')).to.equal('public');
      expect(classifyAddress('11.0.0.0')).to.equal('public');
      expect(classifyAddress('169.253.255.255')).to.equal('public');
      expect(classifyAddress('fbff:ffff::1')).to.equal('public');
      expect(classifyAddress('fec0::')).to.equal('private');
    });
  });

  describe('createOutboundHttp (local servers on 127.0.0.1 only)', function () {
    this.timeout(10_000);
    let server: Server;
    let port: number;
    let connections = 0;
    let requests = 0;

    before(async () => {
      server = createServer((_req, res) => {
        requests += 1;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
      server.on('connection', () => (connections += 1));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    beforeEach(() => {
      connections = 0;
      requests = 0;
    });

    /** A resolver answering `addresses` for every name (no DNS query leaves the machine). */
    const resolver =
      (addresses: string[]): LookupFunction =>
      (_hostname, _options, callback) => {
        const all: LookupAddress[] = addresses.map((address) => ({
          address,
          family: address.includes(':') ? 6 : 4,
        }));
        callback(null, all);
      };

    async function refusedBy(fetching: Promise<unknown>) {
      const error = await fetching.then(
        () => undefined,
        (e: unknown) => e,
      );
      const refused = addressRefused(error);
      expect(refused, String(error)).to.not.equal(undefined);
      return refused!;
    }

    it('outside demo mode refuses 127.0.0.1, [::1] and localhost before connecting', async () => {
      const outbound = createOutboundHttp({ allowLoopback: false });
      try {
        const literal = await refusedBy(outbound.fetch(`http://127.0.0.1:${port}/`));
        expect(literal).to.include({ address: '127.0.0.1', kind: 'loopback' });
        expect((await refusedBy(outbound.fetch(`http://[::1]:${port}/`))).kind).to.equal('loopback');
        // localhost goes through the system's resolver.
        const named = await refusedBy(
          outbound.fetch(`http://localhost:${port}/`, { method: 'POST', body: 'x' }),
        );
        expect(named).to.include({ host: 'localhost', kind: 'loopback' });
        expect(named.message).to.match(/localhost resolves to a loopback address/);
        expect(connections).to.equal(0);
        expect(requests).to.equal(0);
      } finally {
        await outbound.close();
      }
    });

    it('demo mode reaches loopback, through a name or a literal address', async () => {
      const outbound = createOutboundHttp({ allowLoopback: true });
      try {
        expect(await (await outbound.fetch(`http://127.0.0.1:${port}/`)).text()).to.equal('ok');
        expect((await outbound.fetch(`http://localhost:${port}/`)).status).to.equal(200);
        expect(requests).to.equal(2);
      } finally {
        await outbound.close();
      }
    });

    it('even in demo mode refuses private, link-local and the metadata address', async () => {
      for (const address of ['10.0.0.7', '169.254.169.254', 'fd00::1', '::ffff:192.168.1.1', '0.0.0.0']) {
        const outbound = createOutboundHttp({ allowLoopback: true, lookup: resolver([address]) });
        try {
          const refused = await refusedBy(outbound.fetch(`http://body.example.it:${port}/`));
          expect(refused.address).to.equal(address);
        } finally {
          await outbound.close();
        }
      }
    });

    it('checks every address a name resolves to, not only the first', async () => {
      // The first address is loopback (allowed in demo mode, and where the test server listens).
      const outbound = createOutboundHttp({
        allowLoopback: true,
        lookup: resolver(['127.0.0.1', '10.1.2.3']),
      });
      try {
        const refused = await refusedBy(outbound.fetch(`http://body.example.it:${port}/`));
        expect(refused).to.include({ host: 'body.example.it', address: '10.1.2.3', kind: 'private' });
        expect(connections).to.equal(0);
      } finally {
        await outbound.close();
      }
    });

    it('resolves once per connection and connects to that answer (no second lookup to rebind)', async () => {
      // A rebinding name: loopback first (where the test server listens), private afterwards. A check
      // made with a lookup of its own, followed by the connection's own lookup, would see two answers.
      let calls = 0;
      const rebinding: LookupFunction = (hostname, options, callback) => {
        calls += 1;
        resolver(calls === 1 ? ['127.0.0.1'] : ['10.0.0.1'])(hostname, options, callback);
      };
      const outbound = createOutboundHttp({ allowLoopback: true, lookup: rebinding });
      try {
        expect((await outbound.fetch(`http://rebind.example.it:${port}/`)).status).to.equal(200);
        expect(calls).to.equal(1);
        expect(requests).to.equal(1);
      } finally {
        await outbound.close();
      }
    });
  });
});
