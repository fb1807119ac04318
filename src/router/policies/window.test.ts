import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketWindow } from './window.ts';

describe('BucketWindow', () => {
  it('sums what was added in the current bucket and the buckets − 1 before it', () => {
    const w = new BucketWindow(1_000, 4, 1); // 250 ms buckets
    w.add(0, 0);
    w.add(249, 0);
    w.add(250, 0, 3);
    expect(w.total(999, 0)).toBe(5);
    expect(w.total(1_000, 0)).toBe(3); // bucket 0 slid out
    expect(w.total(1_250, 0)).toBe(0);
    expect(w.snapshot(1_250)).toEqual([]);
  });

  it('agrees with a plain list of timestamped additions for any sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 2_000 }), n: fc.integer({ min: 0, max: 5 }), field: fc.nat(1) }), { maxLength: 100 }),
        (windowMs, buckets, steps) => {
          const w = new BucketWindow(windowMs, buckets, 2);
          const width = windowMs / buckets;
          const log: Array<{ t: number; n: number; field: number }> = [];
          let now = 0;
          for (const s of steps) {
            now += s.gap;
            w.add(now, s.field, s.n);
            log.push({ t: now, n: s.n, field: s.field });
            const current = Math.floor(now / width);
            for (const field of [0, 1]) {
              const expected = log.filter((e) => e.field === field && Math.floor(e.t / width) > current - buckets).reduce((a, e) => a + e.n, 0);
              expect(w.total(now, field)).toBe(expected);
            }
          }
          const copy = new BucketWindow(windowMs, buckets, 2);
          copy.restore(now, w.snapshot(now));
          expect(copy.snapshot(now)).toEqual(w.snapshot(now));
        },
      ),
      { numRuns: 300 },
    );
  });
});
