/**
 * The router in virtual time: simulated requests per second of wall time for
 * scenarios/incidents/retry-storm.yaml at 10× its duration (120 s simulated: ~7,200 client
 * requests, the brown-out and its retries), with the breakdown that says where the time goes.
 *
 * Arms, each on the same scenario's router config, interleaved over several rounds (medians):
 * - `sim`: `simulateScenario` end to end — the event queue with its microtask settling after
 *   every event, the modelled clients, network and providers (the live provider stage: MSW
 *   handlers, the capacity queue), the fault timeline, a metrics scrape per simulated second,
 *   and `buildResult`.
 * - `engine, instant providers`: the same router and clients on the event queue, but a
 *   transport that answers 200 at once (no network, no provider stage): what the queue and
 *   settling cost over the router's own work.
 * - baseline `handle() loop`: the same number of `router.handle()` calls with the instant
 *   transport and no event queue at all (a FakeClock that never moves; 64 in flight at a
 *   time, as a loaded router has): the router's own cost per request, the floor any simulator
 *   of this router pays. The ratio sim / baseline is what modelling everything else costs.
 *
 * - `sweep point`: the bundled scenario at its own length (12 s simulated), one run per seed,
 *   after the others: wall ms per run (median), what one point of a sweep costs (fixed costs
 *   per run included: the router's start, the scrapes, `buildResult`).
 *
 *   node_modules/.bin/node bench/sim-router.ts            # about 40 s
 *   node_modules/.bin/node bench/sim-router.ts --quick    # about 10 s, indicative only
 */
import os from 'node:os';
import { FakeClock } from '../src/core/clock.ts';
import { seededRng } from '../src/core/rng.ts';
import { loadScenario } from '../src/api.ts';
import { createRouter, loadRouterConfig, type Transport } from '../src/router/index.ts';
import { simulateScenario } from '../src/sim/index.ts';
import { SimClock } from '../src/sim/engine.ts';
import { driveClients } from '../src/sim/clients.ts';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 3;
const SCALE = QUICK ? 2 : 10;
const FILE = 'scenarios/incidents/retry-storm.yaml';

const scenario = await loadScenario(FILE);
const durationMs = scenario.load.durationMs * SCALE;
if (scenario.target.kind !== 'router') throw new Error('retry-storm targets the router');
const loaded = await loadRouterConfig(scenario.target.config);
if (!loaded.ok) throw new Error('invalid router config');
const config = loaded.value;

const body = new TextEncoder().encode('{"ok":true}');
const instant: Transport = { send: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body }), close: async () => {} };

interface Sample {
  requests: number;
  wallMs: number;
  events?: number;
  upstream?: number;
}

async function simArm(): Promise<Sample> {
  const { stats } = await simulateScenario(scenario, { durationMs });
  return { requests: stats.simulatedRequests, wallMs: stats.wallMs, events: stats.events, upstream: stats.upstreamCalls };
}

async function engineArm(): Promise<Sample> {
  const start = performance.now();
  const clock = new SimClock(0);
  const router = createRouter({ config, transport: instant, clock, rng: seededRng(1) });
  const s = { ...scenario, load: { ...scenario.load, durationMs } };
  const { requests } = await driveClients(s, router, clock, 0, { clientLeg: { distribution: 'fixed', value: 0.2 }, rng: seededRng(2) });
  await router.close();
  return { requests: requests.length, wallMs: performance.now() - start, events: clock.events };
}

async function baselineArm(n: number): Promise<Sample> {
  const start = performance.now();
  const router = createRouter({ config, transport: instant, clock: new FakeClock(0), rng: seededRng(1) });
  const req = { method: 'GET', path: '/api/orders', headers: {}, remoteAddress: '127.0.0.1' };
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next++;
      const res = await router.handle(req);
      if (res.status !== 200) throw new Error(`baseline answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  await router.close();
  return { requests: n, wallMs: performance.now() - start };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, Sample[]> = { sim: [], engine: [], baseline: [] };
// Warm-up: one of each, not counted.
const warm = await simArm();
await engineArm();
await baselineArm(warm.requests);
for (let round = 0; round < ROUNDS; round++) {
  const order = ['sim', 'engine', 'baseline'];
  for (let k = 0; k < round; k++) order.push(order.shift()!);
  for (const arm of order) {
    const s = arm === 'sim' ? await simArm() : arm === 'engine' ? await engineArm() : await baselineArm(warm.requests);
    results[arm]!.push(s);
  }
}

const rate = (s: Sample[]) => median(s.map((x) => x.requests / (x.wallMs / 1000)));
const sim = rate(results.sim!);
const engine = rate(results.engine!);
const base = rate(results.baseline!);
const one = results.sim![0]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`retry-storm at ${SCALE}× (${durationMs / 1000} s simulated): ${one.requests} requests, ${one.upstream} upstream calls, ${one.events} events per run`);
console.log(`${os.cpus()[0]?.model ?? 'cpu'} · node ${process.version} · ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}, medians${QUICK ? ' — quick run' : ''}\n`);
console.log('arm                          simulated requests / wall s   vs baseline');
console.log(`sim (end to end)             ${fmt(sim).padStart(12)}                  ${(sim / base).toFixed(3)}×`);
console.log(`engine, instant providers    ${fmt(engine).padStart(12)}                  ${(engine / base).toFixed(3)}×`);
console.log(`baseline: handle() loop      ${fmt(base).padStart(12)}                  1×`);
const POINTS = QUICK ? 5 : 15;
const pointMs: number[] = [];
for (let i = 0; i < POINTS; i++) {
  const t = performance.now();
  await simulateScenario(scenario, { seed: i });
  pointMs.push(performance.now() - t);
}
console.log(`\nsweep point (retry-storm at 1×, ${POINTS} seeds): ${median(pointMs).toFixed(1)} ms per run (median; min ${Math.min(...pointMs).toFixed(1)}, max ${Math.max(...pointMs).toFixed(1)})`);
console.log(`sim: ${fmt(median(results.sim!.map((x) => x.events! / (x.wallMs / 1000))))} events / wall s; ${fmt((durationMs / 1000) / (median(results.sim!.map((x) => x.wallMs)) / 1000))} simulated seconds per wall second`);
