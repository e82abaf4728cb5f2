import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

/** What an address is, as far as the gateway's requests to bodies' systems are concerned. */
export type AddressKind =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

/**
 * ipaddr.js's named ranges (RFC 6890 special-purpose registries) mapped to the kinds above. Only
 * ordinary global unicast is public; every range not listed here (documentation, benchmarking, 6to4,
 * Teredo, NAT64, 240.0.0.0/4, AS112, ...) is reserved and refused too.
 */
const KIND_OF_RANGE: Record<string, AddressKind> = {
  unicast: 'public',
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'private',
  carrierGradeNat: 'private',
  deprecatedSiteLocal: 'private',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'multicast',
};

/** ::/96, the deprecated IPv4-compatible IPv6 addresses (RFC 4291, 2.5.5.1), which ipaddr.js calls unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * The kind of an IP address as the operating system reports it (dns.lookup, a socket's remote address).
 * An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries; anything that
 * is not a well-formed address is reserved.
 */
export function classifyAddress(address: string): AddressKind {
  if (isIP(address) === 0) return 'reserved';
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return 'reserved';
  }
  const range = parsed.range();
  if (parsed.kind() === 'ipv6' && range === 'unicast' && parsed.match(IPV4_COMPATIBLE)) return 'reserved';
  return KIND_OF_RANGE[range] ?? 'reserved';
}

/** A connection the gateway would not make: the host is, or resolves to, a non-public address. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: AddressKind,
  ) {
    super(`${host} resolves to a ${kind} address (${address}); the gateway does not connect there`);
    this.name = 'AddressRefusedError';
  }
}

/** The AddressRefusedError behind a failed request (fetch wraps it in its "fetch failed" TypeError). */
export function addressRefused(error: unknown): AddressRefusedError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof AddressRefusedError) return cause;
  }
  return undefined;
}

/** Loopback is reachable in demo mode only, never in production: the demo body systems live there. */
export const loopbackAllowed = (config: { demo: boolean; env: string }) =>
  config.demo && config.env !== 'production';

export interface OutboundHttpOptions {
  /** Demo mode: the demo body systems are served by the gateway itself, on a loopback address. */
  allowLoopback: boolean;
  /** Name resolution, the system's (dns.lookup) unless a test gives its own. */
  lookup?: LookupFunction;
  /** Certificate authorities to trust instead of Node's (tests' local https servers). */
  ca?: string[];
}

export type OutboundFetch = (input: string | URL, init?: UndiciRequestInit) => ReturnType<typeof undiciFetch>;

/**
 * The gateway's requests to addresses that bodies register (procedure deliveries, clients' jwks_uri,
 * back-channel logout): undici's fetch through an Agent whose connector refuses loopback (outside demo
 * mode), private, link-local, unspecified, multicast and reserved addresses. Every address a name
 * resolves to is checked, and the socket connects only to the addresses checked (the lookup handed to
 * net/tls.connect is this one), so a DNS answer that changes between a check and the connection cannot
 * slip through; the connected socket's remote address is checked once more before anything is sent.
 */
export function createOutboundHttp(options: OutboundHttpOptions) {
  const refusal = (host: string, address: string) => {
    const kind = classifyAddress(address);
    const allowed = kind === 'public' || (kind === 'loopback' && options.allowLoopback);
    return allowed ? undefined : new AddressRefusedError(host, address, kind);
  };
  const resolve = options.lookup ?? systemLookup;

  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, found) => {
      if (error) return callback(error, '', 0);
      const addresses = found as unknown as LookupAddress[];
      const [first] = addresses;
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      const refused = addresses.map((a) => refusal(hostname, a.address)).find(Boolean);
      if (refused) return callback(refused, '', 0);
      if (lookupOptions.all) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };

  const connector = buildConnector({ lookup: guardedLookup, ...(options.ca ? { ca: options.ca } : {}) });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    // A literal address is connected to without any lookup: it is checked here.
    const literal = isIP(host) ? refusal(host, host) : undefined;
    if (literal) return callback(literal, null);
    connector(connectOptions, (error, socket) => {
      if (error) return callback(error, null);
      const refused = refusal(host, socket.remoteAddress ?? '');
      if (!refused) return callback(null, socket);
      socket.destroy();
      callback(refused, null);
    });
  };
  const dispatcher = new Agent({ connect });

  return {
    fetch: ((input, init = {}) => undiciFetch(input, { ...init, dispatcher })) as OutboundFetch,
    close: () => dispatcher.close(),
  };
}

export type OutboundHttp = ReturnType<typeof createOutboundHttp>;
