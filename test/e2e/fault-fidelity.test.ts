/**
 * Window switch fidelity over the real path: faults switched by the timeline on the system
 * clock, HTTP faults through the fixture worker's IPC and network faults through the embedded
 * Toxiproxy via toxiproxy-node-client, as a run does — and judged from outside, by when a
 * client first sees the effect (a 503, a refused connection, a reset, a slower answer).
 *
 * Three faults flap for six seconds, staggered so their switches do not coincide, each
 * watched by a client probing on fresh connections — every 3 ms around each scheduled edge,
 * every 40 ms between — so an edge is timed to a few ms:
 *   http error 503 (rate 100%)  on joke-http   — effect: the first 503 / the first 200 again
 *   outage shape flapping       on joke-down   — effect: the first ECONNREFUSED / the first 200
 *   outage shape partial 100%   on joke-reset  — effect: the first ECONNRESET / the first 200
 * n = 3 faults × 7 cycles × 2 edges = 42 edges; each must be seen within 50 ms of when it was
 * scheduled (the issue's bound) — not a mean: every one. A fourth endpoint ramps a latency
 * toxic (toxic.update) and checks each step's latency reaches the client from its recorded time.
 * Measured on this 2-core machine when it was not shared: client-seen lag p50 6–10 ms, max
 * 27–45 ms; the recorded switch times (result.json's) within a few ms of what clients saw.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import type { FaultSwitch } from '../../src/model/run.ts';
import { httpFaultBackend, layeredBackend, toxiproxyFaultBackend } from '../../src/faults/backends.ts';
import { planFaults } from '../../src/faults/plan.ts';
import { primeFaults, startTimeline } from '../../src/faults/timeline.ts';
import { startEnvironment, type Environment } from '../../src/run/environment.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/model/scenario.ts';
import { childrenOf } from '../support/processes.ts';

const BOUND_MS = 50;
const LEAD_MS = 400;
const STEADY_GAP_MS = 40;
const EDGE_GAP_MS = 3;
const EDGE_WATCH_MS = 120;

const SCENARIO = `
name: fidelity
target: { url: "http://127.0.0.1:9" }
providers:
  - { name: joke-http, fixture: joke }
  - { name: joke-down, fixture: joke }
  - { name: joke-reset, fixture: joke }
  - { name: joke-slow, fixture: joke }
load: { rate: 1, duration: 7600ms, requests: [{ path: /joke }] }
faults:
  - { name: http-503, target: { provider: joke-http }, layer: http, kind: error, status: 503, from: 500ms, to: 6100ms, flap: { down: 400ms, up: 400ms } }
  - { name: refused, target: { provider: joke-down }, layer: network, kind: outage, shape: flapping, from: 630ms, to: 6230ms, flap: { down: 400ms, up: 400ms } }
  - { name: reset, target: { provider: joke-reset }, layer: network, kind: outage, shape: partial, toxicity: 100%, from: 760ms, to: 6360ms, flap: { down: 400ms, up: 400ms } }
  - { name: ramp, target: { provider: joke-slow }, layer: network, kind: outage, shape: slow, from: 300ms, to: 7300ms, ramp: { from: 0ms, to: 240ms, over: 6s, steps: 3 } }
slos: [{ name: a, expr: availability >= 0% }]
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

interface Probe {
  start: number;
  end: number;
  /** `200`, `503`, `ECONNREFUSED`, `ECONNRESET`, ... */
  outcome: string;
}

/** One GET on a fresh connection, timed on the run's clock; a hung one gives up after 1 s (`TIMEOUT`). */
function probe(base: string): Promise<Probe> {
  const start = systemClock.now();
  return new Promise((resolve) => {
    const done = (outcome: string) => resolve({ start, end: systemClock.now(), outcome });
    const req = http.get(`${base}/joke`, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on('end', () => done(String(res.statusCode)));
      res.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
  });
}

/**
 * When to probe: every STEADY_GAP_MS through the run, and every EDGE_GAP_MS from just before
 * each scheduled edge until EDGE_WATCH_MS after it — fine where an edge is timed, light
 * elsewhere, so the probing does not itself load the fixture worker that does the switching.
 */
function probeTimes(t0: number, endMs: number, edges: number[]): number[] {
  const times = new Set<number>();
  for (let t = 0; t < endMs; t += STEADY_GAP_MS) times.add(t);
  for (const e of edges) for (let t = e - 10; t < e + EDGE_WATCH_MS; t += EDGE_GAP_MS) times.add(t);
  return [...times].sort((a, b) => a - b).map((t) => t0 + t);
}

/**
 * Starts a probe at each of `times` without waiting for the last one (an open model): a
 * probe that hangs at an edge does not hold up the next. Bounded by the list, and each probe
 * by its timeout.
 */
async function watch(base: string, times: number[]): Promise<Probe[]> {
  const pending: Promise<Probe>[] = [];
  for (const at of times) {
    const wait = at - systemClock.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(probe(base));
  }
  return (await Promise.all(pending)).sort((a, b) => a.end - b.end);
}

/**
 * For each edge of each switch (on, then off), when a client first saw the new state: the
 * end of the first probe, after the edge was due minus a little, whose outcome is the new one.
 * Returns the lag behind the scheduled time, in ms.
 */
function edgeLags(switches: FaultSwitch[], probes: Probe[], t0: number, faulty: (p: Probe) => boolean): { edge: string; lag: number }[] {
  const healthy = (p: Probe) => p.outcome === '200';
  const out: { edge: string; lag: number }[] = [];
  for (const s of switches) {
    for (const [edge, due, wantFaulty] of [
      ['on', s.scheduledOn, true],
      ['off', s.scheduledOff, false],
    ] as const) {
      const at = t0 + due;
      // Probes that ended before the edge was due show the old state, whatever they say.
      // A probe that hung at an edge (TIMEOUT) says neither; it is skipped.
      const first = probes.find((p) => p.end >= at && (wantFaulty ? faulty(p) : healthy(p)));
      out.push({ edge: `${s.fault}#${s.occurrence} ${edge}`, lag: first ? first.end - at : Infinity });
    }
  }
  return out;
}

interface Measurement {
  t0: number;
  switches: FaultSwitch[];
  probes: Record<'http' | 'down' | 'reset' | 'slow', Probe[]>;
  /** How long this process's event loop was held up while probing, in ms: p99 and max. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** One timeline over the real path, watched from outside. Leaves every fault off. */
async function measure(env: Environment, scenario: Scenario): Promise<Measurement> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const base = (key: string) => `http://${env.proxies.get(key)!.listen}`;
  const backend = layeredBackend({
    http: httpFaultBackend((key, faults) => env.setHttpFaults(key, faults)),
    network: toxiproxyFaultBackend(env.proxies),
  });
  const errors: string[] = [];
  const keys = ['joke-http', 'joke-down', 'joke-reset', 'joke-slow'];
  // The client's own first request (module and JIT warm-up) is not the switch's lag.
  for (const k of keys) await probe(base(k));
  const planned = planFaults(scenario);
  await primeFaults(planned, backend); // as a run does before t = 0
  const t0 = systemClock.now() + LEAD_MS;
  const timeline = startTimeline(planned, backend, systemClock, t0, (f, phase, err) => errors.push(`${f.name} ${phase}: ${String(err)}`));
  const edgesOf = (key: string) => planned.filter((f) => f.keys.includes(key)).flatMap((f) => [f.fromMs, f.toMs, ...(f.ramp?.steps.map((s) => s.atMs) ?? [])]);
  loop.enable();
  const watched = await Promise.all(keys.map((k) => watch(base(k), probeTimes(t0, scenario.load.durationMs, edgesOf(k)))));
  loop.disable();
  await timeline.stop();
  expect(errors).toEqual([]);
  return {
    t0,
    switches: timeline.switches,
    probes: { http: watched[0]!, down: watched[1]!, reset: watched[2]!, slow: watched[3]! },
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

/**
 * Why an attempt measured the machine rather than faultline, or undefined. Two signs, each
 * far beyond what this test sees on a 2-core machine it has to itself: this process's event
 * loop held up more than 20 ms at its p99 (a switch is due on it), or a plain request through
 * the embedded Toxiproxy — the worker that switches the faults — taking a median of more
 * than 10 ms (unshared: 1.3–2.5 ms).
 */
function starvation(m: Measurement): string | undefined {
  const through = median(m.probes.down.filter((p) => p.outcome === '200').map((p) => p.end - p.start));
  if (m.loopDelayP99Ms > 20) return `event loop held up ${m.loopDelayP99Ms.toFixed(0)} ms at p99`;
  if (through > 10) return `a request through Toxiproxy took ${through.toFixed(1)} ms at the median`;
  return undefined;
}

/** Every assertion on one measurement; throws on the first that fails. */
function check({ t0, switches, probes }: Measurement): void {
  const flaps = switches.filter((s) => s.fault !== 'ramp');
  const lags = [
    ...edgeLags(switches.filter((s) => s.fault === 'http-503'), probes.http, t0, (p) => p.outcome === '503'),
    ...edgeLags(switches.filter((s) => s.fault === 'refused'), probes.down, t0, (p) => p.outcome === 'ECONNREFUSED'),
    ...edgeLags(switches.filter((s) => s.fault === 'reset'), probes.reset, t0, (p) => p.outcome === 'ECONNRESET'),
  ];
  const sorted = lags.map((l) => l.lag).sort((a, b) => a - b);
  const recorded = flaps.flatMap((s) => [s.on! - s.scheduledOn, s.off! - s.scheduledOff]);
  console.info(
    `switch lag seen by a client over ${lags.length} edges: p50 ${sorted[sorted.length >> 1]!.toFixed(1)} ms, ` +
      `p95 ${sorted[Math.ceil(sorted.length * 0.95) - 1]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (bound ${BOUND_MS} ms); ` +
      `recorded switch lag max ${Math.max(...recorded).toFixed(1)} ms; ` +
      `over 25 ms: ${lags.filter((l) => l.lag > 25).map((l) => `${l.edge} ${l.lag.toFixed(0)}`).join(', ') || 'none'}; ` +
      `probes: ${Object.entries(probes).map(([k, v]) => `${k} ${v.length} (median ${median(v.map((p) => p.end - p.start)).toFixed(1)} ms)`).join(', ')}`,
  );

  expect(lags).toHaveLength(42);
  for (const { edge, lag } of lags) {
    expect(lag, edge).toBeGreaterThan(-5); // a timer may fire a hair early; never more
    expect(lag, edge).toBeLessThanOrEqual(BOUND_MS);
  }

  // Each occurrence is its own switch, recorded close to what the client saw.
  for (const name of ['http-503', 'refused', 'reset']) {
    const own = flaps.filter((s) => s.fault === name);
    expect(own.map((s) => s.occurrence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const s of own) {
      expect(s.on! - s.scheduledOn, `${name}#${s.occurrence} on`).toBeLessThanOrEqual(BOUND_MS);
      expect(s.off! - s.scheduledOff, `${name}#${s.occurrence} off`).toBeLessThanOrEqual(BOUND_MS);
    }
  }

  // Between its edges each state holds: no probe wholly inside a window sees anything else.
  const steady = (fault: string, seen: Probe[], outcome: string) => {
    for (const s of switches.filter((x) => x.fault === fault)) {
      const inside = seen.filter((p) => p.start >= t0 + s.on! && p.end <= t0 + s.off!);
      expect(inside.length, `${fault}#${s.occurrence}`).toBeGreaterThan(5);
      expect(inside.filter((p) => p.outcome !== outcome).map((p) => p.outcome), `${fault}#${s.occurrence}`).toEqual([]);
    }
  };
  steady('http-503', probes.http, '503');
  steady('refused', probes.down, 'ECONNREFUSED');
  steady('reset', probes.reset, 'ECONNRESET');

  // The ramp: every step applied within the bound, and its latency reaching the client from then on.
  const ramp = switches.find((s) => s.fault === 'ramp')!;
  expect(ramp.ramp!.steps.map((s) => [s.scheduled, s.value])).toEqual([
    [300, 0],
    [2_300, 80],
    [4_300, 160],
    [6_300, 240],
  ]);
  ramp.ramp!.steps.forEach((step, k) => {
    expect(step.at! - step.scheduled, `step ${k}`).toBeLessThanOrEqual(BOUND_MS);
    const next = ramp.ramp!.steps[k + 1]?.scheduled ?? ramp.scheduledOff;
    // Probes sent after the step took effect and answered before the next one was due.
    const inStep = probes.slow.filter((p) => p.start >= t0 + step.at! && p.end < t0 + next);
    expect(inStep.length, `step ${k}`).toBeGreaterThan(3);
    // Every answer is at least the step's latency, and typically (the median) nearer it than
    // the next step's, 80 ms on.
    for (const p of inStep) {
      expect(p.outcome).toBe('200');
      expect(p.end - p.start, `step ${k}`).toBeGreaterThanOrEqual(step.value - 1);
    }
    expect(median(inStep.map((p) => p.end - p.start)), `step ${k} median`).toBeLessThan(step.value + 40);
  });

  // Nothing is left on.
  expect(switches.every((s) => s.on !== null && s.off !== null)).toBe(true);
}

describe('fault windows switch on time, as a client sees it', () => {
  let env: Environment;
  let scenario: Scenario;

  beforeAll(async () => {
    const loaded = parseScenario(SCENARIO, 'fidelity.yaml', { fileExists: () => true });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    scenario = loaded.scenario;
    env = await startEnvironment({
      seed: 1,
      endpoints: scenario.providers.map((p) => ({ key: p.name, provider: p.name, fixture: p.fixture })),
      target: scenario.target,
    });
  }, 60_000);

  afterAll(async () => {
    await env?.close();
  });

  // Each attempt measures afresh, up to four. Another test file on the other core can delay
  // one edge past the bound for a moment; a switch late by design (a slow path, a lost timer)
  // is late in every attempt, and fails. An attempt on a starved machine (see `starvation`)
  // measures the machine, not faultline: it does not count, and if every attempt is starved
  // the test is skipped with the figures, rather than passed.
  it('switches every edge of three flapping faults within 50 ms of schedule, seen by a client (n = 42), and holds each state between edges', { timeout: 90_000 }, async (ctx) => {
    const starved: string[] = [];
    let failure: unknown;
    for (let attempt = 1; attempt <= 4; attempt++) {
      const m = await measure(env, scenario);
      const why = starvation(m);
      const through = median(m.probes.down.filter((p) => p.outcome === '200').map((p) => p.end - p.start));
      console.info(
        `attempt ${attempt}: event loop held up ${m.loopDelayP99Ms.toFixed(1)} ms at p99, ${m.loopDelayMaxMs.toFixed(1)} ms at most; ` +
          `a request through Toxiproxy ${through.toFixed(1)} ms at the median${why ? ' — starved, not counted' : ''}`,
      );
      if (why) {
        starved.push(`attempt ${attempt}: ${why}`);
        continue;
      }
      try {
        check(m);
        return;
      } catch (err) {
        failure = err;
      }
    }
    if (failure) throw failure;
    ctx.skip(`the machine was too busy to time a switch to 50 ms in any attempt (${starved.join('; ')})`);
  });

  it('leaves no worker process once closed', async () => {
    await env.close();
    expect(childrenOf(process.pid)).toEqual([]);
  });
});
