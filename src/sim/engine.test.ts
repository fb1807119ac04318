import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { SimClock } from './engine.ts';

/** An await chain `depth` deep, then `fn`. */
async function deep(depth: number, fn: () => void): Promise<void> {
  for (let i = 0; i < depth; i++) await Promise.resolve();
  fn();
}

describe('SimClock', () => {
  it('fires events in time order, ties in the order they were scheduled', async () => {
    const clock = new SimClock(1000);
    const seen: string[] = [];
    clock.schedule(30, () => seen.push(`c@${clock.now()}`));
    clock.schedule(10, () => seen.push(`a@${clock.now()}`));
    clock.schedule(10, () => seen.push(`b@${clock.now()}`));
    clock.schedule(-5, () => seen.push(`now@${clock.now()}`));
    await clock.runUntil(2000);
    expect(seen).toEqual(['now@1000', 'a@1010', 'b@1010', 'c@1030']);
    expect(clock.now()).toBe(2000);
    expect(clock.events).toBe(4);
  });

  it('an event scheduled by an event fires in the same run when due; a cancelled one never', async () => {
    const clock = new SimClock();
    const seen: number[] = [];
    const cancel = clock.schedule(15, () => seen.push(-1));
    clock.schedule(10, () => clock.schedule(5, () => seen.push(clock.now())));
    expect(clock.pending).toBe(2);
    cancel();
    expect(clock.pending).toBe(1);
    await clock.runUntil(100);
    expect(seen).toEqual([15]);
    expect(clock.pending).toBe(0);
  });

  it('settles every promise continuation between two events, however deep the chain', async () => {
    const clock = new SimClock();
    const seen: string[] = [];
    // A chain deeper than FakeClock.advanceAsync's 20 turns, started by the first of two events due together.
    clock.schedule(10, () => void deep(500, () => seen.push(`chain@${clock.now()}`)));
    clock.schedule(10, () => seen.push(`second@${clock.now()}`));
    await clock.runUntil(100);
    expect(seen).toEqual(['chain@10', 'second@10']);

    // The same with FakeClock: the chain finishes after the second event (why the engine has its own loop).
    const fake = new FakeClock();
    const fakeSeen: string[] = [];
    fake.schedule(10, () => void deep(500, () => fakeSeen.push('chain')));
    fake.schedule(10, () => fakeSeen.push('second'));
    await fake.advanceAsync(100);
    await deep(600, () => {});
    expect(fakeSeen).toEqual(['second', 'chain']);
  });

  it('waits for immediates the settled code queues, and nextTicks, however many events fire in one turn of the loop', async () => {
    const clock = new SimClock();
    const seen: string[] = [];
    // More events than one batch of the engine's immediates, each leaving work behind: a
    // nextTick that starts a chain, an immediate that queues another (as a streamed body's
    // error does), which must all be done before the next event fires.
    for (let i = 0; i < 200; i++) {
      clock.schedule(i % 7, () => {
        process.nextTick(() => void deep(50, () => seen.push(`tick ${i}`)));
        if (i % 3 === 0) setImmediate(() => setImmediate(() => Promise.resolve().then(() => seen.push(`imm ${i}`))));
        seen.push(`event ${i}`);
      });
    }
    await clock.runUntil(100);
    const expected: string[] = [];
    const order = Array.from({ length: 200 }, (_, i) => i).sort((a, b) => (a % 7) - (b % 7) || a - b);
    for (const i of order) expected.push(`event ${i}`, `tick ${i}`, ...(i % 3 === 0 ? [`imm ${i}`] : []));
    expect(seen).toEqual(expected);
    // Nothing of the engine's own is left queued once the run is over.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate')).toEqual([]);
  });

  it('async code awaiting sleeps progresses as it would live', async () => {
    const clock = new SimClock();
    const stamps: number[] = [];
    const worker = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        await deep(50, () => {});
        stamps.push(clock.now());
      }
    };
    const done = worker();
    await clock.runUntil(1000);
    await done;
    expect(stamps).toEqual([100, 200, 300]);
  });

  it('a sleep rejects with the signal\'s reason when aborted first, and its timer is gone', async () => {
    const clock = new SimClock();
    const ac = new AbortController();
    const slept = clock.sleep(100, ac.signal);
    clock.schedule(40, () => ac.abort(new Error('gave up')));
    const outcome = slept.then(() => 'slept', (e: Error) => `${e.message}@${clock.now()}`);
    await clock.runUntil(1000);
    expect(await outcome).toBe('gave up@40');
    expect(clock.events).toBe(1);
    await expect(clock.sleep(5, ac.signal)).rejects.toThrow('gave up');
  });

  it('stops early when `until` says so, the time left at that event', async () => {
    const clock = new SimClock();
    let n = 0;
    for (let i = 1; i <= 10; i++) clock.schedule(i * 10, () => n++);
    await clock.runUntil(1000, () => n >= 3);
    expect(n).toBe(3);
    expect(clock.now()).toBe(30);
    expect(clock.nextAt()).toBe(40);
  });
});
