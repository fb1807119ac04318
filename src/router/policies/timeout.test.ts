import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { wrap } from './compose.ts';
import { CallerAbortedError, DeadlineExceededError, TimeoutError } from './errors.ts';
import { RetryPolicy } from './retry.ts';
import { collectIssues } from './testing.ts';
import { compileTimeouts, DeadlinePolicy, DEFAULT_TIMEOUT_MS, TimeoutPolicy } from './timeout.ts';

/** A call that ends only when its signal aborts, like a hung provider. */
const hang = ({ signal }: { signal?: AbortSignal }) =>
  new Promise<never>((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason), { once: true }));

describe('TimeoutPolicy', () => {
  it('aborts the attempt at its deadline and rejects with TimeoutError', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy(300, clock);
    let seen: AbortSignal | undefined;
    const run = timeout.execute((ctx) => {
      seen = ctx.signal;
      return hang(ctx);
    });
    run.catch(() => {});
    clock.advance(299);
    expect(seen!.aborted).toBe(false);
    clock.advance(1);
    expect(seen!.aborted).toBe(true);
    await expect(run).rejects.toBeInstanceOf(TimeoutError);
  });

  it('rejects on time even when the call ignores its signal', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy(100, clock);
    const run = timeout.execute(() => new Promise<never>(() => {}));
    run.catch(() => {});
    clock.advance(100);
    await expect(run).rejects.toThrow('timed out after 100ms');
  });

  it('keeps one clock timer for many calls, and none once they have finished and it fired', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy(300, clock);
    for (let i = 0; i < 1_000; i++) await timeout.execute(async () => i);
    expect(clock.pending).toBe(1);
    clock.advance(300);
    expect(clock.pending).toBe(0);
  });

  it('re-arms for the oldest call still running when earlier ones finished', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy(300, clock);
    await timeout.execute(async () => 'fast'); // arms the timer for t=300
    clock.advance(100);
    const slow = timeout.execute(hang); // due at t=400
    slow.catch(() => {});
    clock.advance(200); // t=300: the timer passes the finished call and re-arms
    expect(clock.pending).toBe(1);
    clock.advance(99);
    await Promise.resolve();
    let settled = false;
    slow.then(() => {}, () => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(slow).rejects.toBeInstanceOf(TimeoutError);
  });

  it("passes the caller's abort through and stops the deadline", async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy(300, clock);
    const controller = new AbortController();
    const run = timeout.execute(hang, { signal: controller.signal });
    run.catch(() => {});
    controller.abort(new CallerAbortedError());
    await expect(run).rejects.toBeInstanceOf(CallerAbortedError);
    clock.advance(300); // the deadline passing later changes nothing
  });

  it('passes results and errors through untouched', async () => {
    const timeout = new TimeoutPolicy(300, new FakeClock());
    await expect(timeout.execute(async () => 42)).resolves.toBe(42);
    await expect(timeout.execute(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('stops its timer on dispose', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy(300, clock);
    await timeout.execute(async () => 1);
    timeout.dispose();
    expect(clock.pending).toBe(0);
  });
});

describe('DeadlinePolicy', () => {
  it('bounds retries, backoff and failover together: everything inside is aborted at the deadline', async () => {
    const clock = new FakeClock();
    const deadline = new DeadlinePolicy(1_000, clock);
    const perAttempt = new TimeoutPolicy(300, clock);
    const retry = new RetryPolicy({ maxAttempts: 10, backoff: { base: 100, cap: 100, jitter: 'none' }, retryOnError: () => true }, clock, seededRng(1));
    const starts: number[] = [];
    const run = deadline.execute((ctx) => {
      expect(ctx.deadline).toBe(1_000);
      return wrap(retry, perAttempt).execute((c) => {
        starts.push(clock.now());
        return hang(c);
      }, ctx);
    });
    run.catch(() => {});
    await clock.advanceAsync(1_000);
    await expect(run).rejects.toBeInstanceOf(DeadlineExceededError);
    // 300 ms attempts, 100 ms backoff: attempts at 0 and 400; the third (at 800) would need a
    // backoff ending at 800 < 1000, so it starts, and the deadline cuts it at 1000.
    expect(starts).toEqual([0, 400, 800]);
    deadline.dispose();
    perAttempt.dispose();
  });

  it('keeps an outer, earlier deadline', async () => {
    const clock = new FakeClock();
    const inner = new DeadlinePolicy(5_000, clock);
    let seen: number | undefined;
    await inner.execute(async (ctx) => {
      seen = ctx.deadline;
    }, { deadline: 700 });
    expect(seen).toBe(700);
    inner.dispose();
  });
});

describe('timeout and deadline config', () => {
  it("compiles to ms, Envoy's 15s timeout by default", () => {
    const { issue, issues } = collectIssues();
    expect(compileTimeouts({}, ['routes', 0], issue)).toEqual({ timeout: DEFAULT_TIMEOUT_MS });
    expect(compileTimeouts({ timeout: '300ms', deadline: '1s' }, ['routes', 0], issue)).toEqual({ timeout: 300, deadline: 1_000 });
    expect(issues).toEqual([]);
  });

  it('reports a deadline the timeout could never fire under, and zero durations', () => {
    const { issue, issues } = collectIssues();
    compileTimeouts({ timeout: '2s', deadline: '1s' }, ['routes', 0], issue);
    compileTimeouts({ timeout: '0s', deadline: '0s' }, ['routes', 1], issue);
    expect(issues).toEqual([
      'routes.0.deadline: deadline (1s) is shorter than the per-attempt timeout (2s): the timeout could never fire',
      'routes.1.timeout: timeout must be more than 0',
      'routes.1.deadline: deadline must be more than 0',
    ]);
  });
});
