import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { CircuitBreaker } from './breaker.ts';
import { BulkheadRejectedError, CallerAbortedError, NetworkError, ThrottledError, TimeoutError } from './errors.ts';
import { AllTargetsFailedError, compileFailoverOn, FailoverPolicy, type FailoverTarget } from './failover.ts';

interface Res {
  status: number;
}

const failover = (log: string[] = []) =>
  new FailoverPolicy<Res>({
    failedResult: (r) => (r.status >= 500 ? { reason: '5xx', status: r.status } : undefined),
    onFailover: (from, to, reason) => log.push(`${from}→${to} (${reason})`),
  });

const target = (key: string, run: () => Promise<Res>, calls: string[], available?: () => boolean): FailoverTarget<Res> => ({
  key,
  ...(available && { available }),
  run: () => {
    calls.push(key);
    return run();
  },
});

describe('FailoverPolicy', () => {
  it('answers from the first target that succeeds, in order', async () => {
    const calls: string[] = [];
    const log: string[] = [];
    const result = await failover(log).execute([
      target('a', async () => ({ status: 503 }), calls),
      target('b', async () => Promise.reject(new TimeoutError(300)), calls),
      target('c', async () => ({ status: 200 }), calls),
      target('d', async () => ({ status: 200 }), calls),
    ]);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(result.key).toBe('c');
    expect(result.passedOver?.map((p) => p.reason)).toEqual(['5xx', 'timeout']);
    expect(log).toEqual(['a→b (5xx)', 'b→c (timeout)']);
  });

  it('does not call a target whose breaker is open', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ failureRate: 0.5, window: 1, minimumCalls: 1, openFor: 1_000, halfOpen: { probes: 1, successesToClose: 1 } }, clock);
    breaker.restore({ kind: 'open', openedAt: 0, until: 1_000 });
    const calls: string[] = [];
    const log: string[] = [];
    const result = await failover(log).execute([
      target('primary', async () => ({ status: 200 }), calls, () => breaker.isCallPermitted()),
      target('backup', async () => ({ status: 200 }), calls),
    ]);
    expect(calls).toEqual(['backup']);
    expect(result.key).toBe('backup');
    expect(log).toEqual(['primary→backup (breaker_open)']);
  });

  it('throws AllTargetsFailedError naming every attempt, and tells when all breakers were open', async () => {
    const calls: string[] = [];
    const err = await failover()
      .execute([
        target('a', async () => ({ status: 502 }), calls),
        target('b', async () => Promise.reject(new NetworkError('ECONNREFUSED', 'refused')), calls),
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    const e = err as AllTargetsFailedError;
    expect(e.attempts).toMatchObject([
      { key: 'a', reason: '5xx', status: 502 },
      { key: 'b', reason: 'network' },
    ]);
    expect(e.allBreakersOpen).toBe(false);

    const closed = await failover()
      .execute([target('a', async () => ({ status: 200 }), calls, () => false)])
      .catch((x: unknown) => x);
    expect((closed as AllTargetsFailedError).allBreakersOpen).toBe(true);
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const run = failover().execute(
      [
        target('a', async () => {
          controller.abort(new CallerAbortedError());
          throw new CallerAbortedError();
        }, calls),
        target('b', async () => ({ status: 200 }), calls),
      ],
      { signal: controller.signal },
    );
    await expect(run).rejects.toBeInstanceOf(CallerAbortedError);
    expect(calls).toEqual(['a']);
  });

  it('passes a failure it was not told to fail over on straight to the caller', async () => {
    const policy = new FailoverPolicy<Res>({ failOverOnError: (_e, reason) => reason === 'breaker_open' });
    const calls: string[] = [];
    await expect(
      policy.execute([target('a', async () => Promise.reject(new NetworkError('ECONNRESET', 'reset')), calls), target('b', async () => ({ status: 200 }), calls)]),
    ).rejects.toBeInstanceOf(NetworkError);
    expect(calls).toEqual(['a']);
  });

  it('skips a target with a reason (ejected), and passes over one the router refused itself (bulkhead full)', async () => {
    const calls: string[] = [];
    const log: string[] = [];
    const result = await failover(log).execute([
      { key: 'a', skip: () => 'ejected', run: async () => ({ status: 200 }) },
      target('b', async () => Promise.reject(new BulkheadRejectedError('full', 'b')), calls),
      target('c', async () => ({ status: 200 }), calls),
    ]);
    expect(result.key).toBe('c');
    expect(log).toEqual(['a→b (ejected)', 'b→c (bulkhead_full)']);
    const none = await failover()
      .execute([{ key: 'a', skip: () => 'ejected', run: async () => ({ status: 200 }) }, target('b', async () => Promise.reject(new ThrottledError(0.5)), [])])
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(AllTargetsFailedError);
    expect((none as AllTargetsFailedError).noneCalled).toBe(true);
    expect((none as AllTargetsFailedError).allBreakersOpen).toBe(false);
  });
});

describe('failover config', () => {
  it('reads statuses as strings, [5xx, network, timeout] by default', () => {
    expect(compileFailoverOn(undefined)).toEqual(['5xx', 'network', 'timeout']);
    expect(compileFailoverOn(['4xx', 503])).toEqual(['4xx', '503']);
  });
});
