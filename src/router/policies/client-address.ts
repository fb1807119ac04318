import { BlockList, isIP } from 'node:net';
import Type from 'typebox';
import type { ConfigPath, Issue } from '../schema-kit.ts';

/**
 * Who the client is, for per-client limits, when the router may sit behind proxies.
 *
 * `X-Forwarded-For` is a list each proxy appends the address it received the request from
 * to; its left end is whatever the client wrote. Reading the leftmost entry lets anyone pick
 * their own rate-limit key (send a random one per request and never be limited). The safe
 * reading walks from the right, starting at the socket's peer address (which cannot be
 * forged): while the address is a proxy we trust, step one entry left; the first address we
 * do not trust is the client. An untrusted peer means the header is ignored altogether.
 * (MDN, "X-Forwarded-For: selecting an IP address"; the same rule as Express's
 * `trust proxy` with a list and nginx's `real_ip_recursive`.)
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly source: readonly string[];

  /**
   * @param entries addresses and CIDR ranges: `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8`.
   * @throws RangeError naming the first entry that is neither.
   */
  constructor(entries: readonly string[] = []) {
    this.source = entries;
    for (const entry of entries) {
      const problem = trustedProxyProblem(entry);
      if (problem) throw new RangeError(problem);
      const [addr, bits] = entry.trim().split('/') as [string, string | undefined];
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.#list.addAddress(addr, family);
      else this.#list.addSubnet(addr, Number(bits), family);
    }
  }

  /** Answers by address: a router sees few distinct peers (its load balancers), each on every request. */
  readonly #known = new Map<string, boolean>();

  /** Whether `address` (already normalised) is one of ours. Garbage is never trusted. */
  has(address: string): boolean {
    let trusted = this.#known.get(address);
    if (trusted === undefined) {
      const v = isIP(address);
      trusted = v !== 0 && this.#list.check(address, v === 6 ? 'ipv6' : 'ipv4');
      // Bounded: a flood of distinct peers costs a check each, never memory.
      if (this.#known.size >= 1024) this.#known.clear();
      this.#known.set(address, trusted);
    }
    return trusted;
  }
}

/** Why `entry` is not an address or CIDR range; undefined when it is. */
export function trustedProxyProblem(entry: string): string | undefined {
  const [addr, bits, extra] = entry.trim().split('/');
  const v = isIP(addr ?? '');
  if (v === 0 || extra !== undefined) return `${JSON.stringify(entry)} is not an IP address or CIDR range (write e.g. 10.0.0.0/8, 127.0.0.1 or ::1)`;
  if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128))) {
    return `${JSON.stringify(entry)}: the prefix length must be 0–${v === 4 ? 32 : 128}`;
  }
  return undefined;
}

/**
 * `::ffff:10.0.0.1` → `10.0.0.1` (a dual-stack socket's view of an IPv4 peer), `[::1]:8080`
 * and `10.0.0.1:8080` → the address alone; anything else trimmed as it is.
 */
export function normaliseAddress(raw: string): string {
  let a = raw.trim();
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end > 0) a = a.slice(1, end);
  } else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) {
    a = a.slice(0, a.lastIndexOf(':'));
  }
  if (/^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(a)) a = a.slice(7);
  return a.toLowerCase();
}

/**
 * The client's address: the rightmost address of `X-Forwarded-For` + peer that is not a
 * trusted proxy; the leftmost one when every hop is trusted; `unknown` with no peer at all.
 *
 * @example
 *   const proxies = new TrustedProxies(['10.0.0.0/8']);
 *   clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.1', proxies) // '203.0.113.7'
 *   clientAddress('203.0.113.9', '1.2.3.4', proxies)                    // '203.0.113.9': the peer is not a proxy
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  if (peer === undefined || peer === '') return 'unknown';
  let address = normaliseAddress(peer);
  if (!trusted.has(address) || forwardedFor === undefined) return address;
  // Several X-Forwarded-For fields are one list, in order (RFC 9110 §5.3).
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseAddress(hops[i]!);
    if (hop === '') continue;
    address = hop;
    if (!trusted.has(hop)) return hop;
  }
  return address;
}

// ---------------------------------------------------------------------------------------
// Config: the router's `clients` section of a router file, and its compile step.

export const ClientsSchema = Type.Object(
  {
    trustedProxies: Type.Array(
      Type.String({ minLength: 1, expected: 'an address or CIDR range like 10.0.0.0/8', description: 'A proxy address or range.' }),
      { description: 'Proxies whose X-Forwarded-For entries are believed: the client is the rightmost address that is not one of them.' },
    ),
  },
  { additionalProperties: false, description: 'How the client (for rate limits) is told from the proxies in front of the router.' },
);
export type ClientsFile = Type.Static<typeof ClientsSchema>;

/** `clients.trustedProxies` as written → the list for `TrustedProxies`, each entry checked. */
export function compileTrustedProxies(clients: ClientsFile | undefined, at: ConfigPath, issue: Issue): string[] | undefined {
  const list = clients?.trustedProxies;
  list?.forEach((entry, i) => {
    const problem = trustedProxyProblem(entry);
    if (problem) issue([...at, 'trustedProxies', i], problem);
  });
  return list && [...list];
}
