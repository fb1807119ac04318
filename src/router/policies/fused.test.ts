import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { CircuitBreaker, type BreakerTransition } from './breaker.ts';
import { ConcurrencyRetryBudget } from './budget.ts';
import { Bulkhead } from './bulkhead.ts';
import { wrap, wrapNested } from './compose.ts';
import { FusedPolicies } from './fused.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { RetryPolicy } from './retry.ts';
import { ENVOY_OUTLIER_DEFAULTS, OutlierDetector } from './outlier.ts';
import { AdaptiveThrottle } from './throttle.ts';
import { TimeoutPolicy } from './timeout.ts';

/** How one attempt ends: after `ms` of fake time (0: at once, no timer). */
type Outcome =
  | { kind: 'ok' | 'fail' | 'throw'; ms: number }
  /** Never ends on its own; `heeds` rejects with the signal's reason when it aborts. */
  | { kind: 'hang'; heeds: boolean };

interface Call {
  /** Attempt n's outcome is `attempts[n - 1]` (the last one repeats). */
  attempts: Outcome[];
  method: 'GET' | 'POST';
  /** The caller gives up this long after starting the call. */
  abortAfter?: number;
}

type Step = { call: Call } | { advance: number };

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant<'ok'>('ok'), ms: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom<'fail' | 'throw'>('fail', 'throw'), ms: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<'hang'>('hang'), heeds: fc.boolean() }) },
);
const call: fc.Arbitrary<Call> = fc.record(
  { attempts: fc.array(outcome, { minLength: 1, maxLength: 3 }), method: fc.constantFrom<'GET' | 'POST'>('GET', 'GET', 'POST'), abortAfter: fc.integer({ min: 1, max: 200 }) },
  { requiredKeys: ['attempts', 'method'] },
);
const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof({ weight: 3, arbitrary: call.map((c) => ({ call: c })) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 150 }).map((n) => ({ advance: n })) }),
  { minLength: 1, maxLength: 40 },
);

interface Config {
  retry: boolean;
  bulkhead: boolean;
  breaker: boolean;
  timeout: boolean;
  budget: boolean;
  slowCall: boolean;
  timeWindow: boolean;
  throttle: boolean;
  outlier: boolean;
}

/** Runs `script` through `build`'s composition of fresh policies; returns everything observable. */
async function run(build: (...p: Policy[]) => Policy, cfg: Config, script: Step[], seed: number, sequential: boolean) {
  const clock = new FakeClock(1_000);
  const rng = seededRng(seed);
  const log: string[] = [];
  const budget = cfg.budget ? new ConcurrencyRetryBudget({ budgetPercent: 0.2, minRetryConcurrency: 1 }) : undefined;
  const retry = new RetryPolicy<number>(
    {
      maxAttempts: 3,
      // Concurrent runs use no jitter: calls that end in the same instant may reach the shared RNG
      // in another order when their promise chains differ in length (see below).
      backoff: { base: 10, cap: 40, jitter: sequential ? 'full' : 'none' },
      retryOnResult: (v) => v === 503,
      ...(budget && { budget, onBudgetExhausted: () => log.push(`budget ${clock.now()}`) }),
      onRetry: (e) => log.push(`retry ${e.attempt} ${e.delay} ${clock.now()}`),
    },
    clock,
    rng,
  );
  const bulkhead = new Bulkhead({ maxConcurrentCalls: 2, queueCapacity: 2, maxWaitDuration: 30 }, clock, {
    onRejected: (r) => log.push(`rejected ${r} ${clock.now()}`),
    onQueueWait: (ms) => log.push(`wait ${ms} ${clock.now()}`),
  });
  const breaker = new CircuitBreaker(
    {
      failureRate: 0.5,
      ...(cfg.timeWindow ? { windowType: 'time' as const, window: 200 } : { window: 6 }),
      minimumCalls: 3,
      openFor: 100,
      ...(cfg.slowCall && { slowCall: { duration: 40, rate: 0.5 } }),
      halfOpen: { probes: 2, successesToClose: 2 },
    },
    clock,
    { result: (v) => v === 503 },
  );
  breaker.onStateChange((t: BreakerTransition) => log.push(`breaker ${t.from}>${t.to} ${t.at}`));
  const timeout = new TimeoutPolicy(60, clock);
  // Quick to act, so that short scripts reach their refusals and ejections.
  const throttle = new AdaptiveThrottle<number>({ k: 1.2, window: 300, buckets: 3, minRequests: 3 }, clock, seededRng(seed + 1), {
    rejected: (v) => v === 503,
    onThrottled: () => log.push(`throttled ${clock.now()}`),
  });
  const outliers = new OutlierDetector(['p', 'q'], { ...ENVOY_OUTLIER_DEFAULTS, consecutive5xx: 2, interval: 40, baseEjectionTime: 50, maxEjectionPercent: 0.5 }, clock, (host, reason) =>
    log.push(`ejected ${host} ${reason} ${clock.now()}`),
  );
  // The router's order: retry → throttle → bulkhead → breaker → outlier → timeout.
  const policies: Policy[] = [];
  if (cfg.retry) policies.push(retry);
  if (cfg.throttle) policies.push(throttle);
  if (cfg.bulkhead) policies.push(bulkhead);
  if (cfg.breaker) policies.push(breaker);
  if (cfg.outlier) policies.push(outliers.forHost<number>('p', (v) => v === 503));
  if (cfg.timeout) policies.push(timeout);
  const pipeline = build(...policies);

  const results: string[] = [];
  let id = 0;
  for (const step of script) {
    if ('advance' in step) {
      await clock.advanceAsync(step.advance);
      continue;
    }
    const n = id++;
    const c = step.call;
    const controller = new AbortController();
    if (c.abortAfter !== undefined) clock.schedule(c.abortAfter, () => controller.abort(new Error(`caller ${n} left`)));
    const fn = (ctx: PolicyContext): Promise<number> => {
      const attempt = ctx.attempt ?? 1;
      log.push(`call ${n}.${attempt} ${clock.now()}`);
      const o = c.attempts[Math.min(attempt, c.attempts.length) - 1]!;
      if (o.kind === 'hang') {
        return new Promise((_, reject) => {
          if (o.heeds) ctx.signal?.addEventListener('abort', () => reject(ctx.signal!.reason), { once: true });
        });
      }
      const end = (resolve: (v: number) => void, reject: (e: unknown) => void) => {
        if (o.kind === 'ok') resolve(200);
        else if (o.kind === 'fail') resolve(503);
        else reject(new Error(`boom ${n}.${attempt}`));
      };
      return new Promise((resolve, reject) => {
        if (o.ms === 0) end(resolve, reject);
        else clock.schedule(o.ms, () => end(resolve, reject));
      });
    };
    const started = clock.now();
    pipeline.execute(fn, { method: c.method, signal: controller.signal }).then(
      (v) => results.push(`${n} ok ${v} ${clock.now() - started}`),
      (e: unknown) => results.push(`${n} ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} ${clock.now() - started}`),
    );
    await clock.advanceAsync(0);
    // One call at a time: run it to its end (if it has one) before the next step.
    for (let i = 0; sequential && i < 20 && results.length < id; i++) await clock.advanceAsync(50);
  }
  // Let everything end that can (a call that hangs with no timeout and no caller abort cannot).
  for (let i = 0; i < 20 && results.length < id; i++) await clock.advanceAsync(100);
  return {
    unsettled: id - results.length,
    results: results.sort(),
    // Concurrent: what happened at each instant, as a multiset. Events of different calls in
    // the same instant may interleave differently — the fused path settles in fewer promise
    // hops — but each call's own accounting, and every state, must be the same.
    log: sequential ? log : [...log].sort(),
    breaker: breaker.state(),
    bulkhead: bulkhead.state(),
    budget: budget?.state(),
    throttle: throttle.state(),
    outliers: outliers.state(),
    pending: clock.pending,
  };
}

const config: fc.Arbitrary<Config> = fc.record({
  retry: fc.boolean(),
  bulkhead: fc.boolean(),
  breaker: fc.boolean(),
  timeout: fc.boolean(),
  budget: fc.boolean(),
  slowCall: fc.boolean(),
  timeWindow: fc.boolean(),
  throttle: fc.boolean(),
  outlier: fc.boolean(),
});

describe('wrap: the fused retry → throttle → bulkhead → breaker → outlier → timeout path', () => {
  it('fuses retry, gates and timeout into one level, and leaves other chains nested', () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxAttempts: 2, backoff: { base: 1, cap: 1, jitter: 'none' } }, clock, seededRng(1));
    const bulkhead = new Bulkhead({ maxConcurrentCalls: 1, queueCapacity: 0 }, clock);
    const breaker = new CircuitBreaker({ failureRate: 0.5, window: 2, minimumCalls: 1, openFor: 1, halfOpen: { probes: 1, successesToClose: 1 } }, clock);
    const timeout = new TimeoutPolicy(10, clock);
    expect(wrap(retry, bulkhead, breaker, timeout)).toBeInstanceOf(FusedPolicies);
    expect(wrap(breaker, timeout)).toBeInstanceOf(FusedPolicies);
    expect(wrap(timeout, breaker)).not.toBeInstanceOf(FusedPolicies);
    expect(wrap(retry)).toBe(retry);
    const throttle = new AdaptiveThrottle({ k: 2 }, clock, seededRng(1));
    const outlier = new OutlierDetector(['p'], ENVOY_OUTLIER_DEFAULTS, clock).forHost('p', () => false);
    const fused = wrap(retry, throttle, bulkhead, breaker, outlier, timeout);
    expect(fused).toBeInstanceOf(FusedPolicies);
    expect((fused as FusedPolicies).gates).toEqual([throttle, bulkhead, breaker, outlier]);
  });

  it('gives the same results, retries, breaker, bulkhead and budget state as the nested path, one call at a time', async () => {
    await fc.assert(
      fc.asyncProperty(config, steps, fc.integer({ min: 1, max: 1_000 }), async (cfg, script, seed) => {
        const fused = await run(wrap, cfg, script, seed, true);
        const nested = await run(wrapNested, cfg, script, seed, true);
        expect(fused).toEqual(nested);
      }),
      { numRuns: 150 },
    );
  });

  it('and with calls overlapping in time (queueing, half-open probes, shared budget)', async () => {
    await fc.assert(
      fc.asyncProperty(config, steps, fc.integer({ min: 1, max: 1_000 }), async (cfg, script, seed) => {
        const fused = await run(wrap, cfg, script, seed, false);
        const nested = await run(wrapNested, cfg, script, seed, false);
        expect(fused).toEqual(nested);
      }),
      { numRuns: 150 },
    );
  });

  it('reaches throttling, ejection, breaker refusals and queueing often enough for the comparison to cover them', async () => {
    const seen = { throttled: 0, ejected: 0, open: 0, queued: 0 };
    const all: Config = { retry: true, bulkhead: true, breaker: true, timeout: true, budget: false, slowCall: false, timeWindow: false, throttle: true, outlier: true };
    for (const [script, seed] of fc.sample(fc.tuple(steps, fc.integer({ min: 1, max: 1_000 })), { numRuns: 100, seed: 7 })) {
      const { log } = await run(wrap, all, script, seed, false);
      if (log.some((l) => l.startsWith('throttled'))) seen.throttled++;
      if (log.some((l) => l.startsWith('ejected'))) seen.ejected++;
      if (log.some((l) => l.startsWith('breaker closed>open'))) seen.open++;
      if (log.some((l) => /^wait [1-9]/.test(l))) seen.queued++;
    }
    expect(seen.throttled).toBeGreaterThan(5);
    expect(seen.ejected).toBeGreaterThan(5);
    expect(seen.open).toBeGreaterThan(5);
    expect(seen.queued).toBeGreaterThan(5);
  });
});
