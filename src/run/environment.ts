import type { Proxy } from 'toxiproxy-node-client';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { UpstreamRecord } from '../collect/types.ts';
import type { HttpFault } from '../fixtures/http-faults.ts';
import { startWorker, type Worker } from './worker.ts';
import type { EndpointSpec, FixtureHostStarted } from './fixture-host.ts';
import type { ReceivedRequest } from '../fixtures/server.ts';

/** Where the system under test is and how to reach what surrounds it; torn down by `close`. */
export interface Environment {
  /** Base URL the load goes to. */
  targetUrl: string;
  /** The router's /metrics, when the target is the reference router. */
  metricsUrl?: string;
  toxiproxyUrl: string;
  /** `embedded` or the outside server's URL. */
  toxiproxy: string;
  /** Toxiproxy proxy per endpoint key (`provider` or `provider@region`). */
  proxies: Map<string, Proxy>;
  setHttpFaults(key: string, faults: HttpFault[]): Promise<number>;
  /** Every request the providers received, stamped relative to `t0` (epoch ms). */
  collectUpstream(t0: number): Promise<UpstreamRecord[]>;
  close(): Promise<void>;
}

export interface EnvironmentSpec {
  seed: number;
  endpoints: EndpointSpec[];
  /** The reference router's config file, or a URL the user runs (a seam: its upstream calls must then go through the proxies themselves). */
  target: { kind: 'router'; config: string } | { kind: 'url'; url: string };
  /** An outside Toxiproxy (e.g. TOXIPROXY_URL); the embedded one when absent. */
  toxiproxyUrl?: string;
}

/** Raised when the environment cannot be brought up: the run did not start, exit code 2. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

export function endpointKey(provider: string, region?: string): string {
  return region ? `${provider}@${region}` : provider;
}

/**
 * Starts the fixture providers (and the embedded Toxiproxy) in one worker, puts a Toxiproxy
 * proxy in front of each provider endpoint, and starts the reference router in another
 * worker, pointed at the proxies. Whatever started is stopped again if a later step fails.
 */
export async function startEnvironment(spec: EnvironmentSpec): Promise<Environment> {
  const workers: Worker[] = [];
  const proxies = new Map<string, Proxy>();
  let client: Toxiproxy | undefined;
  const external = spec.toxiproxyUrl !== undefined;

  const close = async () => {
    // Proxies on an outside Toxiproxy outlive us unless removed; the embedded one goes with its worker.
    if (external) await Promise.allSettled([...proxies.values()].map((p) => p.remove()));
    await Promise.allSettled(workers.reverse().map((w) => w.stop()));
  };

  try {
    const fixtureHost = await startWorker(new URL('./fixture-host.ts', import.meta.url), 'fixtures');
    workers.push(fixtureHost);
    const started = await fixtureHost.call<FixtureHostStarted>('start', {
      seed: spec.seed,
      endpoints: spec.endpoints,
      embeddedToxiproxy: !external,
    });
    const toxiproxyUrl = spec.toxiproxyUrl ?? started.toxiproxyUrl!;
    client = new Toxiproxy(toxiproxyUrl);
    try {
      await client.getVersion();
    } catch (err) {
      throw new EnvironmentError(`Toxiproxy at ${toxiproxyUrl} does not answer: ${String(err)}`);
    }
    for (const e of started.endpoints) {
      const name = `faultline_${e.key.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
      // A proxy left over by an earlier, killed run against an outside Toxiproxy would hold the name.
      if (external) await client.get(name).then((p) => p.remove(), () => {});
      const proxy = await client.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${e.port}` });
      proxies.set(e.key, proxy);
    }
    const upstreams: Record<string, string> = {};
    for (const [key, p] of proxies) upstreams[key] = `http://${p.listen}`;

    let targetUrl: string;
    let metricsUrl: string | undefined;
    if (spec.target.kind === 'router') {
      const router = await startWorker(new URL('./router-host.ts', import.meta.url), 'router');
      workers.push(router);
      const r = await router.call<{ url: string }>('start', { config: spec.target.config, upstreams, seed: spec.seed });
      targetUrl = r.url;
      metricsUrl = `${r.url}/metrics`;
    } else {
      targetUrl = spec.target.url;
    }

    return {
      targetUrl,
      metricsUrl,
      toxiproxyUrl,
      toxiproxy: external ? toxiproxyUrl : 'embedded',
      proxies,
      setHttpFaults: (key, faults) => fixtureHost.call<number>('setHttpFaults', { key, faults }),
      async collectUpstream(t0) {
        const got = await fixtureHost.call<{ key: string; records: ReceivedRequest[] }[]>('received');
        const byKey = new Map(spec.endpoints.map((e) => [e.key, e]));
        const out: UpstreamRecord[] = [];
        for (const { key, records } of got) {
          const e = byKey.get(key)!;
          for (const r of records) out.push({ t: r.at - t0, provider: e.provider, region: e.region, endpoint: r.endpoint, status: r.status });
        }
        return out.sort((a, b) => a.t - b.t);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err instanceof EnvironmentError ? err : new EnvironmentError(err instanceof Error ? err.message : String(err));
  }
}
