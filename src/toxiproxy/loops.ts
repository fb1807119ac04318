/**
 * Proxy loops: a proxy whose upstream is its own listen address, or another proxy's whose
 * upstream leads back, makes every connection open another one through the same proxies,
 * until file descriptors run out. The API refuses a change that would close such a cycle,
 * where the addresses show it; where they cannot (a hostname that resolves to this host, a
 * forwarder outside faultline), the per-proxy connection cap in proxy.ts bounds it.
 */
import net from 'node:net';
import os from 'node:os';
import { parseHostPort } from './address.ts';

/** What the loop check needs of a proxy: its name and both addresses as the API holds them. */
export interface ProxyAddresses {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
}

type Host =
  | { kind: 'any4' } // 0.0.0.0: every local IPv4 address
  | { kind: 'any' } // '' (Go's ":port") or '::': every local address, both families
  | { kind: 'localhost' }
  | { kind: 'ip'; ip: string }
  | { kind: 'name'; name: string };

/** Canonical form of a host as Node would dial or bind it: `127.1` and `0x7f.0.0.1` are 127.0.0.1, `::ffff:127.0.0.1` too. */
function canonicalHost(raw: string): Host {
  let host = raw.toLowerCase();
  if (host === '') return { kind: 'any' };
  if (host === 'localhost' || host.endsWith('.localhost')) return { kind: 'localhost' };
  if (net.isIPv6(host)) {
    const zone = host.indexOf('%');
    if (zone >= 0) host = host.slice(0, zone);
    const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      if (mapped.length === 2) return canonicalHost(mapped[1]!);
      const hi = parseInt(mapped[1]!, 16);
      const lo = parseInt(mapped[2]!, 16);
      return canonicalHost(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    try {
      // The WHATWG URL parser prints an IPv6 address in its shortest canonical form.
      const canon = new URL(`http://[${host}]/`).hostname.slice(1, -1);
      return canon === '::' ? { kind: 'any' } : { kind: 'ip', ip: canon };
    } catch {
      return { kind: 'name', name: host };
    }
  }
  try {
    // Also turns the IPv4 shorthands getaddrinfo accepts (127.1, 0x7f000001) into dotted quads.
    const canon = new URL(`http://${host}/`).hostname;
    if (net.isIPv4(canon)) return canon === '0.0.0.0' ? { kind: 'any4' } : { kind: 'ip', ip: canon };
    return { kind: 'name', name: canon };
  } catch {
    return { kind: 'name', name: host };
  }
}

const isLoopback = (ip: string) => ip === '::1' || (net.isIPv4(ip) && ip.startsWith('127.'));

/** This host's own addresses, as a wildcard listener receives connections on them. */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      const h = canonicalHost(a.address);
      if (h.kind === 'ip') out.add(h.ip);
    }
  }
  return out;
}

/** Would a connection to `upstream` land on a listener bound to `listen`? */
export function reaches(listen: string, upstream: string, local: Set<string> = localAddresses()): boolean {
  const l = parseHostPort(listen);
  const u = parseHostPort(upstream);
  if (!l || !u || l.port === 0 || l.port !== u.port) return false;
  const lh = canonicalHost(l.host);
  const uh = canonicalHost(u.host);
  // Where the upstream's connection goes: the unspecified address dials loopback (Linux, macOS).
  const dialed: string[] =
    uh.kind === 'any4' ? ['127.0.0.1']
    : uh.kind === 'any' ? ['127.0.0.1', '::1']
    : uh.kind === 'localhost' ? ['127.0.0.1', '::1']
    : uh.kind === 'ip' ? [uh.ip]
    : [];
  if (uh.kind === 'name') return lh.kind === 'name' && lh.name === uh.name;
  switch (lh.kind) {
    case 'any':
      return dialed.some((ip) => isLoopback(ip) || local.has(ip));
    case 'any4':
      return dialed.some((ip) => net.isIPv4(ip) && (isLoopback(ip) || local.has(ip)));
    case 'localhost': // bound as Go binds it, on 127.0.0.1 (see proxy.ts)
      return dialed.includes('127.0.0.1');
    case 'ip':
      return dialed.includes(lh.ip);
    case 'name':
      return false;
  }
}

/**
 * A cycle among the proxies, as names from the first back to it (`['a', 'b', 'a']`), or
 * undefined when there is none. A proxy leads to every proxy its upstream reaches.
 */
export function findLoop(proxies: readonly ProxyAddresses[]): string[] | undefined {
  const local = localAddresses();
  const next = proxies.map((p) => proxies.map((q, j) => (reaches(q.listen, p.upstream, local) ? j : -1)).filter((j) => j >= 0));
  const state = new Array<0 | 1 | 2>(proxies.length).fill(0); // unvisited, on the path, done
  const path: number[] = [];
  // Iterative DFS: the number of proxies is not bounded by the stack.
  for (let start = 0; start < proxies.length; start++) {
    if (state[start] !== 0) continue;
    const stack: { node: number; edge: number }[] = [{ node: start, edge: 0 }];
    state[start] = 1;
    path.push(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = next[top.node]!;
      if (top.edge >= edges.length) {
        state[top.node] = 2;
        stack.pop();
        path.pop();
        continue;
      }
      const to = edges[top.edge++]!;
      if (state[to] === 1) {
        const cycle = path.slice(path.indexOf(to));
        return [...cycle, to].map((i) => proxies[i]!.name);
      }
      if (state[to] === 0) {
        state[to] = 1;
        path.push(to);
        stack.push({ node: to, edge: 0 });
      }
    }
  }
  return undefined;
}
