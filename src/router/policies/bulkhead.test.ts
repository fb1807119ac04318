import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { Bulkhead, compileBulkhead } from './bulkhead.ts';
import { BulkheadRejectedError, CallerAbortedError } from './errors.ts';
import { collectIssues } from './testing.ts';

describe('Bulkhead', () => {
  it('runs at most maxConcurrentCalls, queues up to queueCapacity and refuses the rest at once', async () => {
    const clock = new FakeClock();
    const rejected: string[] = [];
    const bulkhead = new Bulkhead({ maxConcurrentCalls: 2, queueCapacity: 1 }, clock, { onRejected: (r) => rejected.push(r) });
    const order: number[] = [];
    const call = (i: number) => bulkhead.execute(async () => {
      order.push(i);
      await clock.sleep(10);
      return i;
    });
    const calls = [call(1), call(2), call(3)];
    const refused = await call(4).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BulkheadRejectedError);
    expect((refused as BulkheadRejectedError).reason).toBe('full');
    expect(bulkhead.state()).toEqual({ active: 2, queued: 1 });
    await clock.advanceAsync(10);
    await clock.advanceAsync(10);
    expect(await Promise.all(calls)).toEqual([1, 2, 3]);
    expect(order).toEqual([1, 2, 3]);
    expect(rejected).toEqual(['full']);
    expect(bulkhead.state()).toEqual({ active: 0, queued: 0 });
  });

  it('gives up on a queued call after maxWaitDuration, with no timer while nobody waits', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    const bulkhead = new Bulkhead({ maxConcurrentCalls: 1, queueCapacity: 5, maxWaitDuration: 50 }, clock, { onQueueWait: (ms) => waits.push(ms) });
    await bulkhead.execute(async () => 1);
    expect(clock.pending).toBe(0);
    const long = bulkhead.execute(() => clock.sleep(100));
    const queued = bulkhead.execute(async () => 2).catch((e: unknown) => e);
    await clock.advanceAsync(50);
    const err = await queued;
    expect(err).toBeInstanceOf(BulkheadRejectedError);
    expect((err as BulkheadRejectedError).reason).toBe('queue_timeout');
    expect(waits).toEqual([0, 0, 50]);
    await clock.advanceAsync(50);
    await long;
  });

  it('lets a queued call leave when its caller does', async () => {
    const clock = new FakeClock();
    const bulkhead = new Bulkhead({ maxConcurrentCalls: 1, queueCapacity: 1 }, clock);
    const running = bulkhead.execute(() => clock.sleep(10));
    const controller = new AbortController();
    const queued = bulkhead.execute(async () => 'ran', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new CallerAbortedError());
    expect(await queued).toBeInstanceOf(CallerAbortedError);
    expect(bulkhead.state()).toEqual({ active: 1, queued: 0 });
    await clock.advanceAsync(10);
    await running;
    expect(bulkhead.state()).toEqual({ active: 0, queued: 0 });
  });

  it('never exceeds its concurrency or its queue, and serves its queue in order, under any interleaving', async () => {
    type Step = { kind: 'call'; duration: number; fails: boolean; abortAfter: number | undefined } | { kind: 'advance'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), duration: fc.integer({ min: 0, max: 40 }), fails: fc.boolean(), abortAfter: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
        fc.array(step, { maxLength: 60 }),
        async (maxConcurrentCalls, queueCapacity, maxWaitDuration, steps) => {
          const clock = new FakeClock();
          const bulkhead = new Bulkhead({ maxConcurrentCalls, queueCapacity, ...(maxWaitDuration !== undefined && { maxWaitDuration }) }, clock);
          let running = 0;
          let peak = 0;
          const started: number[] = [];
          const queuedOrder: number[] = [];
          const settled: Array<Promise<unknown>> = [];
          let id = 0;
          for (const s of steps) {
            if (s.kind === 'advance') {
              await clock.advanceAsync(s.ms);
            } else {
              const me = id++;
              const controller = new AbortController();
              if (s.abortAfter !== undefined) clock.schedule(s.abortAfter, () => controller.abort(new CallerAbortedError()));
              const before = bulkhead.state();
              if (before.active === maxConcurrentCalls && before.queued < queueCapacity) queuedOrder.push(me);
              settled.push(
                bulkhead
                  .execute(
                    async () => {
                      started.push(me);
                      running++;
                      peak = Math.max(peak, running);
                      await clock.sleep(s.duration);
                      running--;
                      if (s.fails) throw new Error('provider failed');
                    },
                    { signal: controller.signal },
                  )
                  .catch(() => undefined),
              );
              await Promise.resolve();
            }
            const st = bulkhead.state();
            expect(st.active).toBeLessThanOrEqual(maxConcurrentCalls);
            expect(st.queued).toBeLessThanOrEqual(queueCapacity);
            expect(running).toBeLessThanOrEqual(maxConcurrentCalls);
          }
          await clock.advanceAsync(1_000);
          await Promise.all(settled);
          expect(peak).toBeLessThanOrEqual(maxConcurrentCalls);
          expect(bulkhead.state()).toEqual({ active: 0, queued: 0 });
          // Calls that waited started in the order they queued (some left or timed out: a subsequence).
          const waitedAndStarted = started.filter((i) => queuedOrder.includes(i));
          expect(waitedAndStarted).toEqual([...waitedAndStarted].sort((a, b) => a - b));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('bulkhead config', () => {
  it('compiles the wait to ms with an empty queue by default', () => {
    const { issue, issues } = collectIssues();
    expect(compileBulkhead({ maxConcurrentCalls: 4 }, ['bulkhead'], issue)).toEqual({ maxConcurrentCalls: 4, queueCapacity: 0 });
    expect(compileBulkhead({ maxConcurrentCalls: 2, queueCapacity: 3, maxWaitDuration: '100ms' }, ['bulkhead'], issue)).toEqual({ maxConcurrentCalls: 2, queueCapacity: 3, maxWaitDuration: 100 });
    expect(issues).toEqual([]);
  });

  it('reports a count the schema cannot see at its field', () => {
    const { issue, issues } = collectIssues();
    expect(compileBulkhead({ maxConcurrentCalls: 1.5 }, ['routes', 0, 'bulkhead'], issue)).toBeUndefined();
    expect(issues).toEqual(['routes.0.bulkhead.maxConcurrentCalls: maxConcurrentCalls must be a whole number ≥ 1, got 1.5']);
  });
});
