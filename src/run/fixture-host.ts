/**
 * The fixture host: a worker process that serves every fixture provider of a run on its own
 * loopback port and, unless the run uses an outside Toxiproxy, the embedded
 * Toxiproxy-compatible server. Kept apart from the harness so the load driver's event loop
 * and the providers' do not slow each other down.
 */
import { seededRng, forkRng } from '../core/rng.ts';
import { serveFixture, type FixtureServer, type ReceivedRequest } from '../fixtures/server.ts';
import type { HttpFault } from '../fixtures/http-faults.ts';
import type { CapacitySpec } from '../fixtures/capacity.ts';
import { startToxiproxyServer } from '../toxiproxy/server.ts';
import { serveWorker } from './worker.ts';

export interface EndpointSpec {
  /** `provider` or `provider@region`. */
  key: string;
  provider: string;
  region?: string;
  fixture: string;
  /** The endpoint's capacity (each region has its own); absent: unlimited. */
  capacity?: CapacitySpec;
}

export interface FixtureHostStart {
  seed: number;
  endpoints: EndpointSpec[];
  embeddedToxiproxy: boolean;
}

export interface FixtureHostStarted {
  endpoints: { key: string; url: string; port: number }[];
  toxiproxyUrl?: string;
}

const servers = new Map<string, FixtureServer>();
let toxiproxy: { url: string; close(): Promise<void> } | undefined;

async function closeAll() {
  await Promise.allSettled([...servers.values()].map((s) => s.close()));
  servers.clear();
  await toxiproxy?.close();
  toxiproxy = undefined;
}

serveWorker(
  {
    async start(args: FixtureHostStart): Promise<FixtureHostStarted> {
      for (const e of args.endpoints) {
        const server = await serveFixture({
          provider: e.provider,
          region: e.region,
          fixture: e.fixture,
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
    setHttpFaults(args: { key: string; faults: HttpFault[] }) {
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
