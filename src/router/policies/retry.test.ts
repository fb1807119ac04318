import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { DEFAULT_BACKOFF } from './backoff.ts';
import { TokenRetryBudget } from './budget.ts';
import { BrokenCircuitError, NetworkError } from './errors.ts';
import { compileRetry, isIdempotent, parseRetryAfter, RetryPolicy, type RetryOptions } from './retry.ts';
import { collectIssues, runWithClock } from './testing.ts';

interface Res {
  status: number;
  retryAfter?: string;
}

function policy(clock: FakeClock, overrides: Partial<RetryOptions<Res>> = {}) {
  return new RetryPolicy<Res>(
    {
      maxAttempts: 3,
      backoff: { base: 10, cap: 100, jitter: 'none' },
      retryOnResult: (r) => r.status >= 500,
      retryOnError: (e) => e instanceof NetworkError,
      retryAfter: (r) => parseRetryAfter(r.retryAfter, clock.now()),
      ...overrides,
    },
    clock,
    seededRng(1),
  );
}

describe('RetryPolicy', () => {
  it('never makes more than maxAttempts attempts, whatever the failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom<'ok' | '503' | 'reset'>('ok', '503', 'reset'), { minLength: 1, maxLength: 10 }),
        async (maxAttempts, script) => {
          const clock = new FakeClock();
          let calls = 0;
          const retry = policy(clock, { maxAttempts });
          const run = retry.execute(async () => {
            const step = script[calls++ % script.length];
            if (step === 'reset') throw new NetworkError('ECONNRESET', 'reset');
            return { status: step === 'ok' ? 200 : 503 };
          });
          await runWithClock(clock, run, 10).catch(() => undefined);
          expect(calls).toBeLessThanOrEqual(maxAttempts);
          // And it stops at the first success.
          const firstOk = script.indexOf('ok');
          if (firstOk >= 0 && firstOk < maxAttempts) expect(calls).toBe(firstOk + 1);
          else expect(calls).toBe(maxAttempts);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns the last failing answer when attempts run out, and throws the last error', async () => {
    const clock = new FakeClock();
    const answer = await runWithClock(clock, policy(clock).execute(async () => ({ status: 503 })));
    expect(answer.status).toBe(503);
    const failing = policy(clock).execute(async () => {
      throw new NetworkError('ECONNREFUSED', 'refused');
    });
    await expect(runWithClock(clock, failing)).rejects.toThrow('refused');
  });

  it('waits the backoff between attempts', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const run = policy(clock, { maxAttempts: 4 }).execute(async () => {
      at.push(clock.now());
      return { status: 500 };
    });
    await runWithClock(clock, run);
    expect(at).toEqual([0, 10, 30, 70]); // 10, 20, 40 ms: base·2ⁿ without jitter
  });

  it('does not retry a POST unless the route allows it', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const fail = async () => {
      calls++;
      return { status: 503 };
    };
    await runWithClock(clock, policy(clock).execute(fail, { method: 'POST' }));
    expect(calls).toBe(1);

    calls = 0;
    await runWithClock(clock, policy(clock, { retryNonIdempotent: true }).execute(fail, { method: 'POST' }));
    expect(calls).toBe(3);

    calls = 0;
    await runWithClock(clock, policy(clock).execute(fail, { method: 'PUT' }));
    expect(calls).toBe(3); // PUT is idempotent
  });

  it('honours Retry-After, capped', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const run = policy(clock, { retryAfterCap: 5_000 }).execute(async () => {
      at.push(clock.now());
      return at.length === 1 ? { status: 503, retryAfter: '2' } : at.length === 2 ? { status: 503, retryAfter: '60' } : { status: 200 };
    });
    const res = await runWithClock(clock, run, 50);
    expect(res.status).toBe(200);
    expect(at).toEqual([0, 2_000, 7_000]); // 2s as asked, then 60s cut to the 5s cap
  });

  it('does not retry an open breaker or a caller abort', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: { base: 1, cap: 1, jitter: 'none' } }, clock, seededRng(1));
    await expect(
      retry.execute(async () => {
        calls++;
        throw new BrokenCircuitError();
      }),
    ).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(1);

    const controller = new AbortController();
    calls = 0;
    const run = retry.execute(
      async () => {
        calls++;
        controller.abort(new Error('client left'));
        throw new NetworkError('ECONNRESET', 'reset');
      },
      { signal: controller.signal },
    );
    await expect(run).rejects.toThrow('reset');
    expect(calls).toBe(1);
  });

  it('asks allowRetry before each retry (the retry-budget seam)', async () => {
    const clock = new FakeClock();
    let calls = 0;
    let budget = 1;
    const run = policy(clock, { maxAttempts: 5, allowRetry: () => budget-- > 0 }).execute(async () => {
      calls++;
      return { status: 503 };
    });
    await runWithClock(clock, run);
    expect(calls).toBe(2);
  });

  it('retries a POST whose connection was refused (never sent), but not one that was reset', async () => {
    const clock = new FakeClock();
    const run = async (code: string) => {
      let calls = 0;
      const p = policy(clock).execute(
        async () => {
          calls++;
          if (calls === 1) throw new NetworkError(code, code);
          return { status: 200 };
        },
        { method: 'POST' },
      );
      await runWithClock(clock, p).catch(() => undefined);
      return calls;
    };
    expect(await run('ECONNREFUSED')).toBe(2); // nothing reached the provider: safe to send again
    expect(await run('ENOTFOUND')).toBe(2);
    expect(await run('ECONNRESET')).toBe(1); // the provider may have charged before the reset
    const strict = new RetryPolicy<Res>({ maxAttempts: 3, backoff: { base: 1, cap: 1, jitter: 'none' }, retryOnError: () => true, retryNeverSent: false }, clock, seededRng(1));
    let calls = 0;
    await runWithClock(
      clock,
      strict.execute(
        async () => {
          calls++;
          throw new NetworkError('ECONNREFUSED', 'refused');
        },
        { method: 'POST' },
      ),
    ).catch(() => undefined);
    expect(calls).toBe(1);
  });

  it('does not start a backoff that would outlive the request deadline', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    // Backoff 10, 20, 40 ms: with a deadline at 25 ms only the first retry fits.
    const run = policy(clock, { maxAttempts: 4 }).execute(
      async () => {
        at.push(clock.now());
        return { status: 503 };
      },
      { deadline: 25 },
    );
    expect((await runWithClock(clock, run)).status).toBe(503);
    expect(at).toEqual([0, 10]);
  });

  it('consults its budget before each retry, and reports when it is exhausted', async () => {
    const clock = new FakeClock();
    let exhausted = 0;
    const budget = new TokenRetryBudget({ maxTokens: 4, tokenRatio: 0.5 });
    const retry = policy(clock, { maxAttempts: 5, budget, onBudgetExhausted: () => exhausted++ });
    let calls = 0;
    await runWithClock(
      clock,
      retry.execute(async () => {
        calls++;
        return { status: 503 };
      }),
    );
    // Tokens 4 → 3 (retry) → 2 (at half: no retry).
    expect(calls).toBe(2);
    expect(exhausted).toBe(1);
    expect(budget.state()).toEqual({ type: 'tokens', tokens: 2 });
  });

  it('numbers attempts in the context and reports each retry', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const events: number[] = [];
    const run = policy(clock, { onRetry: (e) => events.push(e.attempt) }).execute(async (ctx) => {
      attempts.push(ctx.attempt!);
      return { status: 502 };
    });
    await runWithClock(clock, run);
    expect(attempts).toEqual([1, 2, 3]);
    expect(events).toEqual([1, 2]);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', 0)).toBe(2_000);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });
});

describe('isIdempotent', () => {
  it('follows RFC 9110', () => {
    expect(['GET', 'head', 'PUT', 'DELETE', 'OPTIONS'].every(isIdempotent)).toBe(true);
    expect(['POST', 'PATCH'].some(isIdempotent)).toBe(false);
  });
});

describe('retry config', () => {
  it("compiles attempts, Envoy's backoff by default, Retry-After capped at the backoff's cap", () => {
    const { issue, issues } = collectIssues();
    expect(compileRetry({ maxAttempts: 3 }, ['retry'], issue)).toEqual({ maxAttempts: 3, on: ['5xx', 'network', 'timeout'], backoff: DEFAULT_BACKOFF, retryAfterCap: 250, idempotentOnly: true });
    expect(compileRetry({ maxAttempts: 2, on: [503], backoff: { base: '10ms', cap: '1s', jitter: 'equal' }, budget: { type: 'quota', retryCost: 2 } }, ['retry'], issue)).toEqual({
      maxAttempts: 2,
      on: ['503'],
      backoff: { base: 10, cap: 1_000, jitter: 'equal' },
      retryAfterCap: 1_000,
      idempotentOnly: true,
      budget: { type: 'quota', initialTokens: 500, retryCost: 2, timeoutCost: 10, noRetryIncrement: 1 },
    });
    expect(issues).toEqual([]);
  });

  it('compiles nothing for a single attempt, and reports a backoff base over its cap', () => {
    const { issue, issues } = collectIssues();
    expect(compileRetry({ maxAttempts: 1, backoff: { base: '2s', cap: '1s' } }, ['retry'], issue)).toBeUndefined();
    expect(issues).toEqual([]);
    expect(compileRetry({ maxAttempts: 2, backoff: { base: '2s', cap: '1s' } }, ['routes', 0, 'retry'], issue)).toBeDefined();
    expect(issues).toEqual(['routes.0.retry.backoff.base: backoff base (2s) exceeds its cap (1s)']);
  });
});
