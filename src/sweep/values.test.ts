import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseParam, rangeValue } from './values.ts';

const ok = (arg: string) => {
  const r = parseParam(arg);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.param;
};

describe('--param values', () => {
  it('a list: items read as YAML scalars, on and off kept as words', () => {
    expect(ok('retry.backoff.jitter=none,full,equal,decorrelated').values).toEqual(['none', 'full', 'equal', 'decorrelated']);
    expect(ok('retry.budget=on,off').values).toEqual(['on', 'off']);
    expect(ok('retry.maxAttempts=1, 3 ,5').values).toEqual([1, 3, 5]);
    expect(ok('retry.backoff={ base: 10ms, cap: 10ms },off').values).toEqual(['{ base: 10ms, cap: 10ms }', 'off']);
  });

  it('a range: count, log count, step; in its unit, 4 significant digits; whole numbers for a plain whole range', () => {
    expect(ok('retry.backoff.base=10ms..200ms:5').values).toEqual(['10ms', '57.5ms', '105ms', '152.5ms', '200ms']);
    expect(ok('retry.backoff.base=10ms..1000ms:log3').values).toEqual(['10ms', '100ms', '1000ms']);
    expect(ok('routes[0].breaker.failureRate=5%..50%:+15%').values).toEqual(['5%', '20%', '35%', '50%']);
    expect(ok('retry.maxAttempts=1..5').values).toEqual([1, 2, 3, 4, 5]);
    expect(ok('load.rate=20/s..80/s:3').values).toEqual(['20/s', '50/s', '80/s']);
    expect(ok('x=0.1..0.3:+0.1').values).toEqual([0.1, 0.2, 0.3]);
    expect(ok('retry.backoff.base=10ms..200ms').range).toEqual({ lo: 10, hi: 200, unit: 'ms', spacing: 'linear', integer: false });
  });

  it('every problem at once, each at its character', () => {
    expect(ok('retry.backoff.cap=200ms..2s:3').values).toEqual(['200ms', '1100ms', '2000ms']);
    const r = parseParam('retry.backoff.base=10ms..2%:x');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      { column: 26, message: 'both ends need the same unit: ms at the low end, % at the high end' },
      { column: 29, message: 'after : expected a count (5), a log count (log5) or a step (+10ms), found "x"' },
    ]);
    const missing = parseParam('retry.backoff.base');
    expect(missing.ok || missing.errors[0]!.message).toMatch(/expected path=values/);
    const down = parseParam('a=5..1');
    expect(down.ok || down.errors[0]).toEqual({ column: 6, message: 'the high end (1) must be above the low end (5)' });
    const dup = parseParam('a=x,y,x');
    expect(dup.ok || dup.errors[0]).toEqual({ column: 7, message: '`x` is in the list twice' });
    const log0 = parseParam('a=0ms..10ms:log3');
    expect(log0.ok || log0.errors[0]!.message).toBe('a log range needs a low end above 0');
    expect(parseParam('a=1..2:1').ok).toBe(false);
    expect(parseParam('a=1..2:5000').ok).toBe(false);
    expect(parseParam('a=').ok).toBe(false);
  });

  it('property: a range of n values has n distinct values (or fewer only by rounding a whole range), ends included, in order, within the ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 2, max: 30 }), fc.boolean(), (a, span, n, log) => {
        const lo = a;
        const hi = a + span;
        const p = ok(`retry.backoff.base=${lo}ms..${hi}ms:${log ? 'log' : ''}${n}`);
        const nums = p.values.map((v) => Number.parseFloat(String(v)));
        expect(nums[0]).toBe(lo);
        expect(nums[nums.length - 1]).toBe(hi);
        for (let i = 1; i < nums.length; i++) expect(nums[i]!).toBeGreaterThan(nums[i - 1]!);
        expect(nums.length).toBeLessThanOrEqual(n);
        for (const x of nums) expect(x >= lo && x <= hi).toBe(true);
      }),
    );
  });

  it('rangeValue: geometric for log (the middle of 10..1000 is 100)', () => {
    expect(rangeValue({ lo: 10, hi: 1000, unit: 'ms', spacing: 'log', integer: false }, 0.5)).toBeCloseTo(100, 9);
    expect(rangeValue({ lo: 10, hi: 1000, unit: 'ms', spacing: 'linear', integer: false }, 0.5)).toBe(505);
  });
});
