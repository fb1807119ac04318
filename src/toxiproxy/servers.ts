/**
 * Which Toxiproxy a run uses, and where its proxies listen and point: faultline's embedded
 * server (default), a real Toxiproxy at a URL, or one testcontainers starts (`container`).
 * All three are driven through toxiproxy-node-client only; what differs is addressing.
 *
 * - embedded and URL: proxies listen on `127.0.0.1:0` (the server picks the port and reports
 *   it, as Toxiproxy's `net.Listen` + `Addr()` does) and point at the providers on this host's
 *   loopback. For a URL that assumes the Toxiproxy runs on this host; `checkReachable` finds
 *   out when it does not.
 * - container: proxies listen on the container's exposed ports 8666–8697 (`0.0.0.0:<port>`,
 *   reached from here at the mapped ports) and point at `host.testcontainers.internal:<port>`,
 *   which testcontainers forwards to this host's loopback.
 */
import net from 'node:net';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { formatHostPort, parseHostPort } from './address.ts';
import { TOXIPROXY_API_VERSION } from './api.ts';

/** The Toxiproxy image `container` starts: the release whose API the embedded server speaks. */
export const TOXIPROXY_IMAGE = `ghcr.io/shopify/toxiproxy:${TOXIPROXY_API_VERSION}`;

export type ToxiproxyChoice =
  | { kind: 'embedded' }
  | { kind: 'container'; image: string }
  | { kind: 'url'; url: string };

export type ChoiceResult = { ok: true; value: ToxiproxyChoice } | { ok: false; error: string };

const USAGE = 'expected embedded, container (or container=<image>), or a Toxiproxy API URL such as http://127.0.0.1:8474';

/**
 * Reads `--toxiproxy` (or `TOXIPROXY_URL` when the flag is absent): `embedded`, `container`,
 * `container=<image>`, or a URL (`http://host:port`; a bare `host:port` is taken as http).
 *
 * @example
 *   parseToxiproxyChoice(flags.toxiproxy ?? process.env.TOXIPROXY_URL)
 *   // undefined → { kind: 'embedded' }; 'http://127.0.0.1:8474' → { kind: 'url', url: 'http://127.0.0.1:8474' }
 */
export function parseToxiproxyChoice(value: string | undefined): ChoiceResult {
  const v = value?.trim();
  if (v === undefined || v === '' || v === 'embedded') return { ok: true, value: { kind: 'embedded' } };
  if (v === 'container') return { ok: true, value: { kind: 'container', image: TOXIPROXY_IMAGE } };
  if (v.startsWith('container=')) {
    const image = v.slice('container='.length);
    if (!/^[\w.-]+(?::\d+)?(?:\/[\w.-]+)*(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$/.test(image)) {
      return { ok: false, error: `--toxiproxy container=<image>: ${JSON.stringify(image)} is not an image name` };
    }
    return { ok: true, value: { kind: 'container', image } };
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : parseHostPort(v) ? `http://${v}` : v;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, error: `--toxiproxy ${JSON.stringify(v)}: ${USAGE}` };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.search || url.hash || url.username) {
    return { ok: false, error: `--toxiproxy ${JSON.stringify(v)}: ${USAGE}` };
  }
  // Toxiproxy's API lives at the root; a path prefix (a reverse proxy) is kept.
  return { ok: true, value: { kind: 'url', url: url.origin + url.pathname.replace(/\/+$/, '') } };
}

/** How the harness reaches a Toxiproxy and lays out the proxies on it. */
export interface ToxiproxyServerHandle {
  readonly kind: ToxiproxyChoice['kind'];
  /** Base URL of the API, for toxiproxy-node-client. */
  readonly url: string;
  /** How a run's result and console name it: `embedded`, the URL, or `container <image> at <url>`. */
  readonly label: string;
  /** `listen` and `upstream` for the proxy in front of the `index`-th provider endpoint, which listens on this host's loopback `port`. */
  proxyAddresses(index: number, port: number): { listen: string; upstream: string };
  /** `host:port` at which this host reaches the `index`-th proxy, given the `listen` the server reported. */
  reachableAt(index: number, listen: string): string;
  /** Stops what this handle started (a container); removes nothing else. */
  close(): Promise<void>;
}

/** An embedded server or a Toxiproxy at a URL: both share this host's loopback with the providers. */
export function loopbackHandle(kind: 'embedded' | 'url', url: string): ToxiproxyServerHandle {
  return {
    kind,
    url,
    label: kind === 'embedded' ? 'embedded' : url,
    proxyAddresses: (_index, port) => ({ listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` }),
    reachableAt: (_index, listen) => loopbackOf(listen),
    close: async () => {},
  };
}

/** A proxy that listens on every interface is reached here through loopback. */
function loopbackOf(listen: string): string {
  const hp = parseHostPort(listen);
  if (!hp) return listen;
  const host = hp.host === '' || hp.host === '0.0.0.0' || hp.host === '::' ? '127.0.0.1' : hp.host;
  return formatHostPort(host, hp.port);
}

/** A proxy as the harness uses it: the client's handle and where this host connects to it. */
export interface PlacedProxy {
  proxy: Proxy;
  /** `host:port` to connect to from this host. */
  address: string;
}

export interface ProxyPlacement {
  /** Proxy per endpoint key, in the order given. */
  proxies: Map<string, PlacedProxy>;
  /** Removes the proxies made here (an outside Toxiproxy keeps them otherwise). Never throws. */
  remove(): Promise<void>;
}

/**
 * Creates one proxy per provider endpoint on `server`. Names are `faultline_<pid>_<key>`, so
 * two runs can share one outside Toxiproxy; proxies left by a run that was killed (its pid is
 * gone, on this host) are removed first. On a failure part-way, what was created is removed.
 */
export async function placeProxies(
  server: ToxiproxyServerHandle,
  endpoints: readonly { key: string; port: number; /** A fixed `host:port` for this proxy (embedded or URL Toxiproxy only). */ listen?: string }[],
): Promise<ProxyPlacement> {
  const fixed = endpoints.find((e) => e.listen !== undefined);
  if (fixed && server.kind === 'container') {
    throw new Error(`providers' fixed listen addresses (${fixed.key}: ${fixed.listen}) need the embedded Toxiproxy or one on this host; a container's proxies listen on its own ports`);
  }
  const client = new Toxiproxy(server.url);
  const made: Proxy[] = [];
  const remove = async () => {
    await Promise.allSettled(made.map((p) => p.remove()));
  };
  if (server.kind === 'url') await removeOrphans(client);
  const proxies = new Map<string, PlacedProxy>();
  try {
    for (const [i, e] of endpoints.entries()) {
      const name = `faultline_${process.pid}_${e.key.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
      const addresses = server.proxyAddresses(i, e.port);
      let proxy: Proxy;
      try {
        proxy = await client.createProxy({ name, ...addresses, ...(e.listen !== undefined && { listen: e.listen }) });
      } catch (err) {
        if (e.listen === undefined) throw err;
        throw new Error(`the proxy for ${e.key} cannot listen on ${e.listen}: ${err instanceof Error ? err.message : String(err)}`);
      }
      made.push(proxy);
      proxies.set(e.key, { proxy, address: server.reachableAt(i, proxy.listen) });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { proxies, remove };
}

/** Removes `faultline_<pid>_*` proxies whose process no longer runs (a run killed with SIGKILL). */
async function removeOrphans(client: Toxiproxy): Promise<void> {
  const all = await client.getAll();
  await Promise.allSettled(
    Object.values(all).map((p) => {
      const m = /^faultline_(\d+)_/.exec(p.name);
      return m && !processAlive(Number(m[1])) ? p.remove() : undefined;
    }),
  );
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Checks that a connection through each proxy stays up, i.e. that the Toxiproxy reached the
 * provider behind it: Toxiproxy closes the client at once when it cannot dial the upstream.
 * Sends no byte, so the providers count no request. Returns the keys that failed, with why.
 */
export async function checkReachable(proxies: ReadonlyMap<string, PlacedProxy>, holdMs = 250): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  await Promise.all(
    [...proxies].map(
      ([key, p]) =>
        new Promise<void>((resolve) => {
          const hp = parseHostPort(p.address);
          if (!hp) {
            failed.set(key, `unusable proxy address ${p.address}`);
            return resolve();
          }
          const s = net.connect({ host: hp.host, port: hp.port });
          let done = false;
          const finish = (why?: string) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            if (why) failed.set(key, why);
            s.destroy();
            resolve();
          };
          // Connected and still open after holdMs: the upstream dial went through.
          const timer = setTimeout(() => finish(s.connecting ? `no answer from the proxy at ${p.address}` : undefined), holdMs + 2000);
          s.once('connect', () => {
            clearTimeout(timer);
            setTimeout(() => finish(), holdMs);
          });
          s.once('error', (e: NodeJS.ErrnoException) => finish(`cannot connect to the proxy at ${p.address}: ${e.code ?? e.message}`));
          s.once('close', () => finish(`the proxy at ${p.address} closed the connection: it could not reach ${p.proxy.upstream}`));
        }),
    ),
  );
  return failed;
}
