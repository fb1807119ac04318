import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { DeadlineQueue, type Deadline } from './deadlines.ts';

const entry = (name: string, log: string[]): Deadline => ({ at: 0, prev: undefined, next: undefined, expire: () => log.push(`${name}@`) });

describe('DeadlineQueue', () => {
  it('expires entries in order, skipping removed ones, behind one timer', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock, 100);
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => entry(n, log)) as [Deadline, Deadline, Deadline];
    queue.add(a);
    clock.advance(10);
    queue.add(b);
    clock.advance(10);
    queue.add(c);
    expect(clock.pending).toBe(1);
    queue.remove(a); // finished in time
    queue.remove(a); // idempotent
    expect(queue.size).toBe(2);
    clock.advance(80); // t=100: a's slot, nothing due; re-arms for b
    expect(log).toEqual([]);
    clock.advance(10);
    expect(log).toEqual(['b@']);
    queue.remove(c);
    clock.advance(100);
    expect(log).toEqual(['b@']);
    expect(clock.pending).toBe(0);
    expect(queue.size).toBe(0);
  });

  it('arms again after going idle, and forgets everything on dispose', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock, 50);
    const log: string[] = [];
    queue.add(entry('a', log));
    clock.advance(50);
    queue.add(entry('b', log));
    expect(clock.pending).toBe(1);
    queue.dispose();
    clock.advance(100);
    expect(log).toEqual(['a@']);
    expect(clock.pending).toBe(0);
  });
});
