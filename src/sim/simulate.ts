/**
 * One scenario in virtual time, end to end, producing what a live run produces: the same
 * `RunData` (requests, upstream ground truth, fault switches, metric scrapes) judged by the
 * same `buildResult`. The parts are the live ones wherever they do not touch a socket:
 * - the reference router's own code (`createRouter`, its config by `loadRouterConfig`, its
 *   own `RouterMetrics`), with the simulated transport (./transport.ts);
 * - the providers' own stage (`providerChain`: HTTP faults, capacity, fixtures; ./provider.ts);
 * - the live fault planner and timeline, through a backend that switches the modelled
 *   providers (HTTP faults, by the live `httpFaultBackend`) and network paths (./network.ts);
 * - the live arrival schedule and request mix, drawn from the same seeded streams as the
 *   open-model driver (`forkRng(seed, 'load')`, then one stream for arrivals, one for picks).
 * What is modelled instead of measured: network latency, the fixtures' own answer time, and
 * the client (./clients.ts).
 */
import type { RunData, MetricScrape } from '../model/run.ts';
import type { ProviderEndpoint, RunResult } from '../model/result.ts';
import type { Scenario } from '../model/scenario.ts';
import { forkRng, seededRng } from '../core/rng.ts';
import { formatIssues } from '../config/issues.ts';
import { planFaults } from '../faults/plan.ts';
import { startTimeline } from '../faults/timeline.ts';
import { readRegistry } from './scrape.ts';
import { buildResult } from '../result/build.ts';
import { createRouter, loadRouterConfig, RouterMetrics } from '../router/index.ts';
import { providerEnvName } from '../scenario/templates.ts';
import { SimClock } from './engine.ts';
import { driveClients, type ClientModel } from './clients.ts';
import { DEFAULT_NETWORK, PathState, simFaultBackend, type NetworkModel } from './network.ts';
import { SimProvider } from './provider.ts';
import { simTransport } from './transport.ts';
import { SimUnsupportedError, unsupportedParts } from './unsupported.ts';
import type { Distribution } from '../core/distributions.ts';
import type { DocOverride } from '../config/doc-path.ts';
import type { Loaded } from '../config/load.ts';
import type { RouterConfig } from '../router/index.ts';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SimOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Overrides the scenario's load duration (ms). */
  durationMs?: number;
  /** Width of the fine upstream-arrival bins kept in the result, ms (absent: per-second series only). */
  binMs?: number;
  /** The network's one-way delays; default DEFAULT_NETWORK. */
  network?: NetworkModel;
  /** A provider's own time per request, on top of its capacity's service time; default DEFAULT_PROVIDER_OVERHEAD. */
  providerOverhead?: Distribution;
}

export interface SimOutcome {
  /** Same shape as a live run's, with mode: 'sim'. */
  result: RunResult;
  /** What was "measured": requests, upstream ground truth, fault switches, metric scrapes. */
  data: RunData;
  stats: { events: number; simulatedRequests: number; upstreamCalls: number; wallMs: number };
}

/**
 * t = 0 of every simulated run: 2026-01-01T00:00:00Z. Fixed, so `startedAt` (and the run id
 * made from it) is the same on every machine and every day, and plainly not a real start.
 */
export const SIM_EPOCH = Date.UTC(2026, 0, 1);

/**
 * The fixture's own time per request when it has no capacity of its own (and on top of the
 * service time when it has): the fixture server's parse-handle-write on loopback, fitted to
 * live runs (README, "Virtual time"). A lognormal: mostly a fraction of a ms, sometimes a
 * scheduling hiccup of a few.
 */
export const DEFAULT_PROVIDER_OVERHEAD: Distribution = { distribution: 'lognormal', p50: 0.6, p99: 1.5 };

const SCRAPE_EVERY_MS = 1000;
/**
 * How late after each whole second a live scrape takes its reading: the collector's timer
 * fires at least a millisecond after it is due (Node's setTimeout). It matters at a window's
 * edge: an SLO on a router counter takes the scrape nearest the edge, and a fault that ends
 * at 3.5 s is equidistant from exact scrapes at 3 s and 4 s, where live is not.
 */
const SCRAPE_LAG_MS = 1;

/** A simulated run's id: the virtual start time as a live id has it, and the seed (`20260101T000000.000Z-sim7`). */
export function simRunId(seed: number): string {
  return `${new Date(SIM_EPOCH).toISOString().replace(/[-:]/g, '')}-sim${seed}`;
}

/** Router configs loaded in this process, by file and settings: a sweep simulates one config many times. */
const configs = new Map<string, { mtimeMs: number; size: number; loaded: Loaded<RouterConfig> }>();
const CONFIG_CACHE_SIZE = 64;

/**
 * `loadRouterConfig`, kept per (file, settings) while the file is unchanged (its mtime and
 * size). Only a config that names nothing outside itself is kept (no JWT keys or secrets,
 * no LLM registry: files and variables the router file's stat does not cover), and it is
 * frozen, so no run can change what the next one is given.
 */
async function routerConfig(file: string, set: readonly DocOverride[]): Promise<Loaded<RouterConfig>> {
  const key = JSON.stringify([resolve(file), set]);
  let stat: { mtimeMs: number; size: number } | undefined;
  try {
    stat = statSync(file);
  } catch {
    // Unreadable: the loader says why.
  }
  const kept = configs.get(key);
  if (stat && kept && kept.mtimeMs === stat.mtimeMs && kept.size === stat.size) return kept.loaded;
  const loaded = await loadRouterConfig(file, { set });
  if (stat && loaded.ok && !loaded.value.routes.some((r) => r.auth || r.llm)) {
    if (configs.size >= CONFIG_CACHE_SIZE) configs.clear();
    configs.set(key, { mtimeMs: stat.mtimeMs, size: stat.size, loaded: deepFreeze(loaded) });
  }
  return loaded;
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The scenario with the options' overrides (a shorter or longer run, another seed). */
function withOptions(scenario: Scenario, options: SimOptions): Scenario {
  let s = scenario;
  if (options.seed !== undefined) s = { ...s, seed: options.seed };
  if (options.durationMs !== undefined) {
    if (!(options.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${options.durationMs}`);
    s = { ...s, load: { ...s.load, durationMs: options.durationMs } };
  }
  return s;
}

export async function simulateScenario(input: Scenario, options: SimOptions = {}): Promise<SimOutcome> {
  const wallStart = performance.now();
  const scenario = withOptions(input, options);
  if (options.binMs !== undefined && !(options.binMs > 0)) throw new RangeError(`binMs must be > 0, got ${options.binMs}`);
  const planned = planFaults(scenario);
  const problems = unsupportedParts(scenario, planned);
  if (problems.length > 0 || scenario.target.kind !== 'router') throw new SimUnsupportedError(problems);
  const loaded = await routerConfig(scenario.target.config, scenario.target.set ?? []);
  if (!loaded.ok) throw new SimUnsupportedError([`the router config ${scenario.target.config} is invalid:\n${formatIssues(loaded.issues)}`]);

  const seed = scenario.seed;
  const t0 = SIM_EPOCH;
  const clock = new SimClock(t0);
  const overhead = options.providerOverhead ?? DEFAULT_PROVIDER_OVERHEAD;

  // One modelled provider and one network path per endpoint, keyed as the live run keys them.
  const providers = new Map<string, SimProvider>();
  const paths = new Map<string, PathState>();
  const endpoints: Omit<ProviderEndpoint, 'requests'>[] = [];
  const upstreams: Record<string, string> = {};
  for (const p of scenario.providers) {
    if (p.kind !== 'fixture') continue;
    for (const region of p.regions.length ? p.regions : [undefined]) {
      const key = region ? `${p.name}@${region}` : p.name;
      // The live provider host's stream for the stage (src/run/provider-host.ts), so fault draws fall on the same requests.
      const sp = new SimProvider(
        { key, provider: p.name, region, fixture: p.fixture, capacity: p.capacity, clock, rng: forkRng(seed, `fixture:${key}`), overhead, overheadRng: forkRng(seed, `sim:overhead:${key}`) },
        providers.size,
      );
      providers.set(key, sp);
      paths.set(key, new PathState());
      upstreams[key] = sp.origin;
      endpoints.push({
        name: p.name,
        ...(region !== undefined && { region }),
        kind: 'fixture',
        url: sp.origin,
        listen: 'simulated',
        env: providerEnvName(p.name, region),
        fixture: p.fixture,
      });
    }
  }

  const network = options.network ?? DEFAULT_NETWORK;
  const transport = simTransport({ clock, rng: forkRng(seed, 'sim:network'), network, providers, paths });
  const metrics = new RouterMetrics();
  // The live router host's seed for the router's draws (src/run/router-host.ts).
  const router = createRouter({ config: loaded.value, transport, upstreams, clock, rng: seededRng(seed ^ 0x7a11), metrics });

  const warnings: string[] = [];
  const backend = simFaultBackend(providers, paths, clock);
  // No primeFaults: it warms the live backends' cold paths; a modelled switch is instant.
  const timeline = startTimeline(planned, backend, clock, t0, (f, phase, err) => {
    warnings.push(`fault ${f.name} failed to switch ${phase}: ${err instanceof Error ? err.message : String(err)}`);
  });

  // The router's own registry, scraped every simulated second from t = 0 as the collector does live (a lag behind each second, as live);
  // read from the registry's values, the samples the text scrape would parse (scrape.ts).
  const scrapes: MetricScrape[] = [];
  let scraping = true;
  const scrape = async () => {
    const t = clock.now() - t0;
    scrapes.push({ t, ...(await readRegistry(metrics.registry)) });
  };
  const scrapeLoop = () => {
    if (!scraping) return;
    void scrape();
    clock.schedule(SCRAPE_EVERY_MS, scrapeLoop);
  };
  clock.schedule(SCRAPE_LAG_MS, scrapeLoop);

  const client: ClientModel = { clientLeg: network.clientLeg, rng: forkRng(seed, 'sim:client') };
  const load = await driveClients(scenario, router, clock, t0, client);

  scraping = false;
  await timeline.stop();
  await scrape();
  await router.close();
  for (const sp of providers.values()) sp.close();

  const upstream = [...providers.values()]
    .flatMap((sp) => sp.received.map((r) => ({ t: r.at - t0, provider: sp.provider, region: sp.region, endpoint: r.endpoint, status: r.status, ms: r.ms, path: r.path })))
    .sort((a, b) => a.t - b.t);
  const data: RunData = { startedAt: t0, durationMs: scenario.load.durationMs, requests: load.requests, upstream, faults: timeline.switches, scrapes };
  const built = buildResult(scenario, data, {
    runId: simRunId(seed),
    mode: 'sim',
    abortReason: undefined,
    endpoints,
    environment: { node: 'simulated', toxiproxy: 'none (network modelled)', seed, host: 'simulated' },
    ...(options.binMs !== undefined && { binMs: options.binMs }),
  });
  const result: RunResult = { ...built, warnings: [...built.warnings, ...warnings] };
  return {
    result,
    data,
    stats: { events: clock.events, simulatedRequests: load.requests.length, upstreamCalls: transport.calls, wallMs: performance.now() - wallStart },
  };
}
