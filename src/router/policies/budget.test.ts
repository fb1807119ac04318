import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { compileBudget, ConcurrencyRetryBudget, RetryQuota, TokenRetryBudget, type RetryBudget } from './budget.ts';
import { NetworkError, TimeoutError } from './errors.ts';
import { RetryPolicy } from './retry.ts';
import { runWithClock } from './testing.ts';

/**
 * Runs `requests` calls through one RetryPolicy sharing `budget`, all at once on a fake
 * clock; each attempt takes `durations[i]` ms and fails when `fails[i]` (scripts cycle).
 * Returns the upstream attempts made.
 */
async function drive(budget: RetryBudget, requests: number, maxAttempts: number, fails: boolean[], durations: number[], starts: number[]) {
  const clock = new FakeClock();
  const retry = new RetryPolicy<{ status: number }>(
    { maxAttempts, backoff: { base: 5, cap: 40, jitter: 'full' }, retryOnResult: (r) => r.status >= 500, budget },
    clock,
    seededRng(3),
  );
  let attempts = 0;
  const all = Array.from({ length: requests }, async (_, r) => {
    await clock.sleep(starts[r % starts.length]!);
    return retry.execute(async () => {
      const i = attempts++;
      await clock.sleep(durations[i % durations.length]!);
      return { status: fails[i % fails.length] ? 503 : 200 };
    });
  });
  await runWithClock(clock, Promise.all(all), 1);
  return attempts;
}

describe('TokenRetryBudget (gRPC retryThrottling)', () => {
  it('bounds attempts by (1 + tokenRatio) × requests + maxTokens / 2, under any failure pattern and concurrency', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }), // requests
        fc.integer({ min: 1, max: 6 }), // maxAttempts
        fc.integer({ min: 1, max: 20 }), // maxTokens
        fc.constantFrom(0.05, 0.1, 0.2, 0.5, 1), // tokenRatio
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 10 }),
        async (requests, maxAttempts, maxTokens, tokenRatio, fails, durations, starts) => {
          const budget = new TokenRetryBudget({ maxTokens, tokenRatio });
          const attempts = await drive(budget, requests, maxAttempts, fails, durations, starts);
          expect(attempts).toBeLessThanOrEqual((1 + tokenRatio) * requests + maxTokens / 2);
          expect(attempts).toBeLessThanOrEqual(maxAttempts * requests);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('stops retries at half the tokens and resumes as successes refill them (the gRPC test vector)', () => {
    // grpc-core's retry_throttle_test: max 4 tokens, ratio 1.6.
    const b = new TokenRetryBudget({ maxTokens: 4, tokenRatio: 1.6 });
    b.attemptEnded(false, 0); // 3: above 2
    expect(b.tryRetry()).toBe(1);
    b.attemptEnded(true, 0); // 4 (capped)
    b.attemptEnded(false, 0); // 3
    b.attemptEnded(false, 0); // 2: at the threshold, no retries
    expect(b.tryRetry()).toBe(0);
    b.attemptEnded(true, 0); // 3.6
    expect(b.tryRetry()).toBe(1);
  });
});

describe('ConcurrencyRetryBudget (Envoy retry_budget)', () => {
  it('never grants a retry beyond max(minRetryConcurrency, budgetPercent × active requests) in flight', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom(0, 0.1, 0.2, 0.5),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 10 }),
        async (requests, maxAttempts, budgetPercent, minRetryConcurrency, fails, durations, starts) => {
          const budget = new ConcurrencyRetryBudget({ budgetPercent, minRetryConcurrency });
          const grants: Array<{ active: number; retries: number }> = [];
          const watched: RetryBudget = {
            callStarted: () => budget.callStarted(),
            callEnded: () => budget.callEnded(),
            attemptEnded: (ok, g) => budget.attemptEnded(ok, g),
            tryRetry: () => {
              const g = budget.tryRetry();
              const s = budget.state() as { activeRequests: number; activeRetries: number };
              if (g > 0) grants.push({ active: s.activeRequests, retries: s.activeRetries });
              return g;
            },
          };
          await drive(watched, requests, maxAttempts, fails, durations, starts);
          for (const g of grants) expect(g.retries).toBeLessThanOrEqual(Math.max(minRetryConcurrency, Math.floor(budgetPercent * g.active)));
          // Everything handed back at the end.
          expect(budget.state()).toEqual({ type: 'concurrency', activeRequests: 0, activeRetries: 0 });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('defaults to Envoy’s 20 % with a minimum of 3', () => {
    const b = new ConcurrencyRetryBudget();
    for (let i = 0; i < 30; i++) b.callStarted();
    expect(b.limit).toBe(6);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.tryRetry())).toEqual([1, 1, 1, 1, 1, 1, 0]);
    const small = new ConcurrencyRetryBudget();
    small.callStarted();
    expect(small.limit).toBe(3);
  });
});

describe('RetryQuota (AWS SDK)', () => {
  it('charges 5 per retry and 10 after a timeout, refunds a successful retry and adds 1 for a first-time success', async () => {
    const q = new RetryQuota();
    expect(q.tryRetry('error')).toBe(5);
    expect(q.tryRetry('timeout')).toBe(10);
    expect(q.state()).toEqual({ type: 'quota', available: 485 });
    q.attemptEnded(true, 10); // the retry after the timeout succeeded: refunded
    q.attemptEnded(true, 0); // a first attempt succeeded: +1, capped at 500
    expect(q.state()).toEqual({ type: 'quota', available: 496 });
  });

  it('stops retrying a provider that is down after the bucket is spent: 100 retries, not maxAttempts × requests', async () => {
    const clock = new FakeClock();
    const quota = new RetryQuota();
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: { base: 1, cap: 1, jitter: 'none' }, retryOnError: () => true, budget: quota }, clock, seededRng(1));
    let attempts = 0;
    for (let i = 0; i < 200; i++) {
      await runWithClock(
        clock,
        retry.execute(async () => {
          attempts++;
          throw i % 2 ? new TimeoutError(100) : new NetworkError('ECONNRESET', 'reset');
        }),
      ).catch(() => undefined);
    }
    expect(attempts).toBeLessThan(200 + 100);
    expect((quota.state() as { available: number }).available).toBeLessThan(10);
  });
});

describe('retry budget config', () => {
  it("fills Envoy's and the AWS SDKs' defaults per design", () => {
    expect(compileBudget({ type: 'concurrency' })).toEqual({ type: 'concurrency', budgetPercent: 0.2, minRetryConcurrency: 3 });
    expect(compileBudget({ type: 'concurrency', budgetPercent: '50%', minRetryConcurrency: 0 })).toEqual({ type: 'concurrency', budgetPercent: 0.5, minRetryConcurrency: 0 });
    expect(compileBudget({ type: 'tokens', maxTokens: 10, tokenRatio: 0.1 })).toEqual({ type: 'tokens', maxTokens: 10, tokenRatio: 0.1 });
    expect(compileBudget({ type: 'quota' })).toEqual({ type: 'quota', initialTokens: 500, retryCost: 5, timeoutCost: 10, noRetryIncrement: 1 });
  });
});
