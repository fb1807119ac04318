/**
 * What faultline's policy pipeline costs on the success path, against opossum and cockatiel
 * doing the same work in the same run: a per-attempt timeout, retry (3 attempts, exponential
 * backoff), a count-window circuit breaker and a bulkhead around one async function that
 * succeeds. Nanoseconds per call, with a bare call for scale.
 *
 * Aim (issue 4): at least 2× faster than the fastest library configuration, with no timer
 * per call on the success path.
 *
 * Each library is set up as its README recommends, in the order cockatiel's README composes
 * policies (`wrap(retry, breaker, timeout)`, with the bulkhead where faultline's router puts
 * it: retry → bulkhead → breaker → per-attempt timeout):
 *
 * - faultline: `wrap(RetryPolicy, Bulkhead, CircuitBreaker, TimeoutPolicy)` on the system clock.
 * - cockatiel 4: `wrap(retry(handleAll, { maxAttempts: 2, backoff: ExponentialBackoff }),
 *   bulkhead(100, 100), circuitBreaker(handleAll, { breaker: CountBreaker }), timeout(1000, …))`,
 *   once with the Aggressive timeout (faultline's semantics: the call rejects at the deadline
 *   even if the function ignores its signal), once lean: Cooperative, and `abortOnReturn: false`
 *   (a typed option, off the README) so the signal is not aborted after every call.
 *   cockatiel's `maxAttempts` counts retries, so 2 is faultline's 3 attempts.
 * - opossum 10: one `CircuitBreaker` does timeout, breaking and capacity (its semaphore,
 *   which rejects rather than queues); it has no retry, so a minimal retry loop (3 attempts,
 *   exponential backoff) goes around `fire()`. Once with its defaults (rolling latency
 *   percentiles and snapshots on) and once lean (both off: its docs call turning snapshots off
 *   an optimisation). Its timeout hands the function no per-call AbortSignal (only an optional
 *   shared AbortController), so it does less per call than the other two.
 *
 * Two workloads: a function that resolves at once, called one after another; and one that
 * resolves after a `setImmediate`, 64 calls in flight (as a loaded router has). Arms run in
 * short slices, in rotating order, over several rounds; the table shows each arm's median CPU
 * time per call (wall time beside it: on a shared host it also counts waiting for a core).
 * A separate pass counts, per call, timers armed (setTimeout/setInterval), AbortControllers
 * made and heap bytes allocated (from V8's GC profiler: freed by each GC plus growth).
 *
 *   node_modules/.bin/node bench/policies.ts            # about 35 s
 *   node_modules/.bin/node bench/policies.ts --quick    # about 10 s
 */
import os from 'node:os';
import v8 from 'node:v8';
import Opossum from 'opossum';
import {
  bulkhead as cBulkhead,
  circuitBreaker as cCircuitBreaker,
  CountBreaker,
  ExponentialBackoff,
  handleAll,
  retry as cRetry,
  timeout as cTimeout,
  TimeoutStrategy,
  wrap as cWrap,
} from 'cockatiel';
import { systemClock } from '../src/core/clock.ts';
import { seededRng } from '../src/core/rng.ts';
import { CircuitBreaker } from '../src/router/policies/breaker.ts';
import { Bulkhead } from '../src/router/policies/bulkhead.ts';
import { wrap } from '../src/router/policies/compose.ts';
import { RetryPolicy } from '../src/router/policies/retry.ts';
import { TimeoutPolicy } from '../src/router/policies/timeout.ts';

const QUICK = process.argv.includes('--quick');
/** Rounds of slices; each arm's figure is the median over them. */
const ROUNDS = QUICK ? 5 : 11;
/** Target wall time of one slice (one arm, one round). */
const SLICE_MS = QUICK ? 50 : 120;
/** Warm-up per arm, before calibration: enough for the JIT to settle. */
const WARMUP_MS = QUICK ? 150 : 400;
/** Calls per arm in the counting pass. */
const COUNT_CALLS = QUICK ? 5_000 : 20_000;
/** Hard cap on the whole run. */
const DEADLINE_MS = 90_000;
const AIM = 2;

// The same policy parameters for every library.
const TIMEOUT_MS = 1_000;
const ATTEMPTS = 3;
const BACKOFF = { base: 50, cap: 1_000 };
const BREAKER = { failureRate: 0.5, window: 100, minimumCalls: 20, openFor: 5_000 };
const BULKHEAD = { maxConcurrentCalls: 100, queueCapacity: 100 };

const VALUE = { ok: true };
type Work = () => Promise<typeof VALUE>;

interface Workload {
  name: string;
  fn: Work;
  /** Calls in flight at once. */
  lanes: number;
  /** Also time each faultline policy alone, to show where the pipeline's time goes. */
  parts?: boolean;
}

const WORKLOADS: Workload[] = [
  { name: 'resolves at once, 1 in flight', fn: () => Promise.resolve(VALUE), lanes: 1, parts: true },
  { name: 'resolves after setImmediate, 64 in flight', fn: () => new Promise((r) => setImmediate(r, VALUE)), lanes: 64 },
];

interface Arm {
  name: string;
  library: 'none' | 'faultline' | 'faultline-part' | 'cockatiel' | 'opossum';
  call: () => Promise<unknown>;
  close(): void;
}

function arms(w: Workload): Arm[] {
  const fn = w.fn;
  const list = [bare(fn), faultline(fn), cockatiel(fn, false), cockatiel(fn, true), opossum(fn, false), opossum(fn, true)];
  return w.parts ? [...list, ...faultlineParts(fn)] : list;
}

function bare(fn: Work): Arm {
  return { name: 'bare call', library: 'none', call: fn, close() {} };
}

function faultline(fn: Work): Arm {
  const timeout = new TimeoutPolicy(TIMEOUT_MS, systemClock);
  const bulkhead = new Bulkhead(BULKHEAD, systemClock);
  const pipeline = wrap(
    new RetryPolicy({ maxAttempts: ATTEMPTS, backoff: { ...BACKOFF, jitter: 'full' } }, systemClock, seededRng(1)),
    bulkhead,
    new CircuitBreaker({ ...BREAKER, halfOpen: { probes: 1, successesToClose: 1 } }, systemClock),
    timeout,
  );
  return {
    name: 'faultline wrap(retry, bulkhead, breaker, timeout)',
    library: 'faultline',
    call: () => pipeline.execute(fn),
    close() {
      timeout.dispose();
      bulkhead.dispose();
    },
  };
}

/** Each of faultline's four policies alone, configured as in the pipeline. */
function faultlineParts(fn: Work): Arm[] {
  const timeout = new TimeoutPolicy(TIMEOUT_MS, systemClock);
  const parts = [
    ['timeout', timeout],
    ['retry', new RetryPolicy({ maxAttempts: ATTEMPTS, backoff: { ...BACKOFF, jitter: 'full' } }, systemClock, seededRng(1))],
    ['breaker', new CircuitBreaker({ ...BREAKER, halfOpen: { probes: 1, successesToClose: 1 } }, systemClock)],
    ['bulkhead', new Bulkhead(BULKHEAD, systemClock)],
  ] as const;
  return parts.map(([name, policy]) => ({
    name: `  faultline ${name} alone`,
    library: 'faultline-part',
    call: () => policy.execute(fn),
    close: () => (policy === timeout ? timeout.dispose() : undefined),
  }));
}

function cockatiel(fn: Work, lean: boolean): Arm {
  const policy = cWrap(
    cRetry(handleAll, { maxAttempts: ATTEMPTS - 1, backoff: new ExponentialBackoff({ initialDelay: BACKOFF.base, maxDelay: BACKOFF.cap }) }),
    cBulkhead(BULKHEAD.maxConcurrentCalls, BULKHEAD.queueCapacity),
    cCircuitBreaker(handleAll, {
      halfOpenAfter: BREAKER.openFor,
      breaker: new CountBreaker({ threshold: BREAKER.failureRate, size: BREAKER.window, minimumNumberOfCalls: BREAKER.minimumCalls }),
    }),
    // Lean: a cooperative timeout that leaves the signal alone when the call returns (aborting
    // it makes a DOMException, stack trace included, on every call).
    cTimeout(TIMEOUT_MS, lean ? { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false } : TimeoutStrategy.Aggressive),
  );
  return {
    name: `cockatiel wrap(retry, bulkhead, breaker, timeout)${lean ? ', cooperative, abortOnReturn off' : ' (aggressive)'}`,
    library: 'cockatiel',
    call: () => policy.execute(fn),
    close() {},
  };
}

function opossum(fn: Work, lean: boolean): Arm {
  const breaker = new Opossum(fn, {
    timeout: TIMEOUT_MS,
    errorThresholdPercentage: BREAKER.failureRate * 100,
    volumeThreshold: BREAKER.minimumCalls,
    resetTimeout: BREAKER.openFor,
    capacity: BULKHEAD.maxConcurrentCalls,
    ...(lean && { rollingPercentilesEnabled: false, enableSnapshots: false }),
  });
  // opossum has no retry: the smallest loop that does what the others' retry does.
  const call = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await breaker.fire();
      } catch (err) {
        if (attempt >= ATTEMPTS || breaker.opened) throw err;
        const delay = Math.random() * Math.min(BACKOFF.cap, BACKOFF.base * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  return {
    name: `opossum fire() + retry loop${lean ? ', percentiles & snapshots off' : ' (defaults)'}`,
    library: 'opossum',
    call,
    close: () => breaker.shutdown(),
  };
}

/**
 * Runs `n` calls, `lanes` at a time; ns per call in CPU time (this process, all threads) and
 * in wall time. CPU time is the figure judged: on a host shared with other work, wall time
 * also counts the moments this process was waiting for a core. Throws if a call fails.
 */
async function drive(call: () => Promise<unknown>, n: number, lanes: number): Promise<{ cpu: number; wall: number }> {
  const per = Math.max(1, Math.ceil(n / lanes));
  const lane = async () => {
    for (let i = 0; i < per; i++) {
      if ((await call()) !== VALUE) throw new Error('wrong value');
    }
  };
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (lanes === 1) await lane();
  else await Promise.all(Array.from({ length: lanes }, lane));
  const wall = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { cpu: ((c.user + c.system) * 1000) / (per * lanes), wall: wall / (per * lanes) };
}

/** Calls that take about `ms` at `nsPerCall`. */
const callsFor = (ms: number, nsPerCall: number) => Math.max(1_000, Math.round((ms * 1e6) / nsPerCall));

interface Counts {
  timers: number;
  controllers: number;
  bytes: number;
}

/**
 * Timers, AbortControllers and heap bytes per call, over COUNT_CALLS calls. The globals are
 * wrapped only for this pass (the libraries look them up at call time), never while timing.
 */
async function count(arm: Arm, lanes: number): Promise<Counts> {
  let timers = 0;
  let controllers = 0;
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { setTimeout: g.setTimeout, setInterval: g.setInterval, AbortController: g.AbortController };
  const realTimeout = globalThis.setTimeout;
  const realInterval = globalThis.setInterval;
  const RealController = globalThis.AbortController;
  g.setTimeout = (...args: Parameters<typeof setTimeout>) => (timers++, realTimeout(...args));
  g.setInterval = (...args: Parameters<typeof setInterval>) => (timers++, realInterval(...args));
  g.AbortController = class extends RealController {
    constructor() {
      super();
      controllers++;
    }
  };
  try {
    await drive(arm.call, COUNT_CALLS, lanes);
  } finally {
    Object.assign(g, saved);
  }
  // Bytes: what each GC during the run freed, plus what the heap grew by.
  const profiler = new v8.GCProfiler();
  const before = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  await drive(arm.call, COUNT_CALLS, lanes);
  const after = v8.getHeapStatistics().used_heap_size;
  const data = profiler.stop();
  let freed = 0;
  for (const s of data?.statistics ?? []) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return { timers: timers / COUNT_CALLS, controllers: controllers / COUNT_CALLS, bytes: (after - before + freed) / COUNT_CALLS };
}

interface Row {
  arm: Arm;
  /** CPU ns per call, median and quartiles over the rounds. */
  ns: number;
  spread: [number, number];
  /** Wall ns per call, median. */
  wall: number;
  counts: Counts;
}

async function measure(w: Workload): Promise<Row[]> {
  const list = arms(w);
  try {
    // Warm-up and calibration: each arm for WARMUP_MS, then slices sized to SLICE_MS.
    const sizes: number[] = [];
    for (const arm of list) {
      let ns = (await drive(arm.call, 2_000, w.lanes)).wall;
      const until = performance.now() + WARMUP_MS;
      while (performance.now() < until) ns = (await drive(arm.call, callsFor(20, ns), w.lanes)).wall;
      sizes.push(callsFor(SLICE_MS, ns));
    }
    const cpu = list.map(() => [] as number[]);
    const wall = list.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < list.length; k++) {
        const i = (round + k) % list.length;
        const r = await drive(list[i]!.call, sizes[i]!, w.lanes);
        cpu[i]!.push(r.cpu);
        wall[i]!.push(r.wall);
      }
    }
    const rows: Row[] = [];
    for (const [i, arm] of list.entries()) {
      const s = cpu[i]!;
      rows.push({ arm, ns: quantile(s, 0.5), spread: [quantile(s, 0.25), quantile(s, 0.75)], wall: quantile(wall[i]!, 0.5), counts: await count(arm, w.lanes) });
    }
    return rows;
  } finally {
    for (const arm of list) arm.close();
  }
}

function report(w: Workload, rows: Row[]): { ratio: number; timers: number } {
  const libs = rows.filter((r) => r.arm.library === 'cockatiel' || r.arm.library === 'opossum');
  const fastest = libs.reduce((a, b) => (b.ns < a.ns ? b : a));
  const ours = rows.find((r) => r.arm.library === 'faultline')!;
  const bareRow = rows.find((r) => r.arm.library === 'none')!;
  console.log(`\n${w.name}`);
  printTable(
    ['arm', 'CPU ns/call', 'IQR', 'wall ns/call', 'over bare', '× fastest lib', 'timers/call', 'AbortCtl/call', 'bytes/call'],
    rows.map((r) => [
      r.arm.name,
      r.ns.toFixed(0),
      `${r.spread[0].toFixed(0)}–${r.spread[1].toFixed(0)}`,
      r.wall.toFixed(0),
      r === bareRow ? '—' : (r.ns - bareRow.ns).toFixed(0),
      r === bareRow || r.arm.library === 'faultline-part' ? '—' : (r.ns / fastest.ns).toFixed(2),
      r.counts.timers.toFixed(3),
      r.counts.controllers.toFixed(2),
      r.counts.bytes.toFixed(0),
    ]),
  );
  const ratio = fastest.ns / ours.ns;
  console.log(
    `fastest library (${fastest.arm.name.trim()}) / faultline = ${ratio.toFixed(3)}× in CPU time per call; aim ≥ ${AIM}×: ${ratio >= AIM ? 'met' : 'NOT met'}.` +
      ` Over a bare call: faultline ${(ours.ns - bareRow.ns).toFixed(0)} ns, that library ${(fastest.ns - bareRow.ns).toFixed(0)} ns` +
      ` (${((fastest.ns - bareRow.ns) / (ours.ns - bareRow.ns)).toFixed(2)}×).`,
  );
  return { ratio, timers: ours.counts.timers };
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const started = performance.now();
  const load = os.loadavg()[0]!;
  const cap = setTimeout(() => {
    console.error(`bench: over the ${DEADLINE_MS / 1000} s cap; stopping`);
    process.exit(2);
  }, DEADLINE_MS);
  cap.unref();
  console.log(
    `Policy pipeline on the success path: timeout ${TIMEOUT_MS} ms, retry ${ATTEMPTS} attempts, count breaker (window ${BREAKER.window}),` +
      ` bulkhead ${BULKHEAD.maxConcurrentCalls}+${BULKHEAD.queueCapacity}. ${ROUNDS} rounds of ~${SLICE_MS} ms slices per arm, rotating order; medians${QUICK ? ' — quick run' : ''}.`,
  );
  const verdicts: Array<{ ratio: number; timers: number }> = [];
  for (const w of WORKLOADS) verdicts.push(report(w, await measure(w)));
  clearTimeout(cap);
  const met = verdicts.every((v) => v.ratio >= AIM);
  const timerFree = verdicts.every((v) => v.timers < 0.01);
  console.log(
    `\naim ≥ ${AIM}× the fastest library on every workload: ${met ? 'met' : 'NOT met'}; no timer per call on faultline's success path: ${timerFree ? 'yes' : 'NO'}.` +
      `\nhost load average ${load.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end, on ${os.availableParallelism()} cores; node ${process.version}; wall time ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

await main();
