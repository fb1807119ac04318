/**
 * The provider host: a worker process that serves every fixture provider of a run on its own
 * loopback port and, unless the run uses an outside Toxiproxy, the embedded
 * Toxiproxy-compatible server. Kept apart from the harness so the load driver's event loop
 * and the providers' do not slow each other down.
 */
import { seededRng, forkRng } from '../core/rng.ts';
import { serveFixture, type FixtureServer, type ReceivedRequest } from '../providers/server.ts';
import type { Fixture } from '../providers/fixture.ts';
import { forwardingFixture } from '../providers/forward.ts';
import { loadHandlerModule, type HandlerFactory } from '../providers/user-handlers.ts';
import type { Capacity } from '../model/capacity.ts';
import type { HttpStageFault } from '../model/faults/index.ts';
import { startToxiproxyServer } from '../toxiproxy/server.ts';
import { serveWorker } from './worker.ts';

export interface EndpointSpec {
  /** `provider` or `provider@region`. */
  key: string;
  provider: string;
  region?: string;
  /** Exactly one source: a bundled fixture by name, a real upstream to forward to, or the absolute path of the user's MSW handler module. */
  fixture?: string;
  url?: string;
  handlers?: string;
  /** The endpoint's capacity (each region has its own); absent: unlimited. */
  capacity?: Capacity;
  /** A fixed `host:port` for the Toxiproxy proxy in front of this endpoint (used by environment.ts, not here). */
  listen?: string;
}

export interface ProviderHostStart {
  seed: number;
  endpoints: EndpointSpec[];
  embeddedToxiproxy: boolean;
}

export interface ProviderHostStarted {
  endpoints: { key: string; url: string; port: number }[];
  toxiproxyUrl?: string;
}

const servers = new Map<string, FixtureServer>();
let toxiproxy: { url: string; close(): Promise<void> } | undefined;
/** Connection pools of the forwarding stages in front of `url` providers. */
const pools: (() => Promise<void>)[] = [];

/** What serves an endpoint: a bundled fixture's name, a forwarding stage, or the user's handlers (loaded once per module). */
async function sourceOf(e: EndpointSpec, seed: number, modules: Map<string, Promise<HandlerFactory>>): Promise<string | Fixture> {
  if (e.url !== undefined) {
    const fwd = forwardingFixture({ upstream: e.url });
    pools.push(fwd.close);
    return fwd.fixture;
  }
  if (e.handlers !== undefined) {
    let load = modules.get(e.handlers);
    if (!load) modules.set(e.handlers, (load = loadHandlerModule(e.handlers)));
    const handlers = await (await load)({ provider: e.provider, region: e.region, rng: forkRng(seed, `handlers:${e.key}`) });
    return () => handlers;
  }
  if (e.fixture === undefined) throw new Error(`endpoint ${e.key} has no fixture, url or handlers`);
  return e.fixture;
}

async function closeAll() {
  await Promise.allSettled([...servers.values()].map((s) => s.close()));
  servers.clear();
  await Promise.allSettled(pools.splice(0).map((close) => close()));
  await toxiproxy?.close();
  toxiproxy = undefined;
}

serveWorker(
  {
    async start(args: ProviderHostStart): Promise<ProviderHostStarted> {
      const modules = new Map<string, Promise<HandlerFactory>>();
      for (const e of args.endpoints) {
        const server = await serveFixture({
          provider: e.provider,
          region: e.region,
          fixture: await sourceOf(e, args.seed, modules),
          rng: forkRng(args.seed, `fixture:${e.key}`),
          ...(e.capacity && { capacity: e.capacity }),
        });
        servers.set(e.key, server);
      }
      if (args.embeddedToxiproxy) {
        toxiproxy = await startToxiproxyServer({ host: '127.0.0.1', port: 0, rng: seededRng(args.seed ^ 0x70c5) });
      }
      return {
        endpoints: [...servers.entries()].map(([key, s]) => ({ key, url: s.url, port: s.port })),
        toxiproxyUrl: toxiproxy?.url,
      };
    },
    setHttpFaults(args: { key: string; faults: HttpStageFault[] }) {
      const s = servers.get(args.key);
      if (!s) throw new Error(`no fixture endpoint ${args.key}`);
      s.setFaults(args.faults);
      return performance.timeOrigin + performance.now();
    },
    received(): { key: string; records: ReceivedRequest[] }[] {
      return [...servers.entries()].map(([key, s]) => ({ key, records: s.received() }));
    },
  },
  closeAll,
);
