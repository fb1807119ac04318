import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import { arrivalTimes, mixCycle, mixPicker, routeName, type RequestMix } from './arrivals.ts';

const entry = (name: string, weight: number): RequestMix => ({ name, weight, method: 'GET', path: `/${name}`, headers: {} });

describe('arrivalTimes: uniform', () => {
  it.each([
    [200, 3000, 600],
    [100, 4000, 400],
    [7, 1000, 7],
    [3, 1000, 3],
    [0.5, 10_000, 5],
    [1000, 10_000, 10_000],
  ])('%d/s for %d ms gives %d arrivals, evenly spaced from t = 0', (rate, durationMs, count) => {
    const times = [...arrivalTimes({ kind: 'uniform', rate, durationMs })];
    expect(times).toHaveLength(count);
    expect(times[0]).toBe(0);
    // No drift: every time is i/rate to within float rounding, also late in a long run.
    const worst = Math.max(...times.map((t, i) => Math.abs(t - (i * 1000) / rate)));
    expect(worst).toBeLessThan(1e-9);
    expect(times[times.length - 1]!).toBeLessThan(durationMs);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => [...arrivalTimes({ kind: 'uniform', rate: 0, durationMs: 1000 })]).toThrow(RangeError);
    expect(() => [...arrivalTimes({ kind: 'uniform', rate: -1, durationMs: 1000 })]).toThrow(RangeError);
  });
});

describe('arrivalTimes: poisson', () => {
  it('mean gap is 1/rate (n ≈ 10 000, 99.9 % interval)', () => {
    const times = [...arrivalTimes({ kind: 'poisson', rate: 100, durationMs: 100_000, rng: seededRng(21) })];
    const n = times.length;
    // The count is Poisson(10 000): sd 100, so the 99.9 % interval (z = 3.29) is ±329.
    expect(Math.abs(n - 10_000)).toBeLessThan(329);
    const gaps = times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]!));
    const mean = gaps.reduce((a, b) => a + b, 0) / n;
    // Exponential gaps with mean 10 ms have sd 10 ms; the mean of n has se 10/√n ≈ 0.1 ms,
    // so the 99.9 % interval is 10 ± 0.33 ms.
    expect(Math.abs(mean - 10)).toBeLessThan((3.29 * 10) / Math.sqrt(n));
    // And they are exponential, not evenly spaced: coefficient of variation ≈ 1 (se ≈ 1/√n),
    // and P(gap > mean) = e^-1 ≈ 0.368 (se ≈ 0.0048).
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.05);
    const over = gaps.filter((g) => g > 10).length / n;
    expect(Math.abs(over - Math.exp(-1))).toBeLessThan(3.29 * Math.sqrt((0.368 * 0.632) / n));
  });

  it('the same seed gives the same schedule', () => {
    const a = [...arrivalTimes({ kind: 'poisson', rate: 50, durationMs: 2000, rng: seededRng(5) })];
    const b = [...arrivalTimes({ kind: 'poisson', rate: 50, durationMs: 2000, rng: seededRng(5) })];
    expect(a).toEqual(b);
  });

  it('needs an rng', () => {
    expect(() => [...arrivalTimes({ kind: 'poisson', rate: 10, durationMs: 1000 })]).toThrow(TypeError);
  });

  it('property: ascending, within [0, duration)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uniform' as const, 'poisson' as const),
        fc.double({ min: 0.1, max: 500, noNaN: true }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer(),
        (kind, rate, durationMs, seed) => {
          const times = [...arrivalTimes({ kind, rate, durationMs, rng: seededRng(seed) })];
          times.forEach((t, i) => {
            expect(t).toBeGreaterThanOrEqual(i === 0 ? 0 : times[i - 1]!);
            expect(t).toBeLessThan(durationMs);
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('mixPicker', () => {
  it('picks in proportion to the weights (n = 20 000, 99.9 % intervals)', () => {
    const mix = [entry('a', 1), entry('b', 2), entry('c', 7), entry('never', 0)];
    const pick = mixPicker(mix, seededRng(31));
    const n = 20_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const m = pick();
      counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
    }
    for (const [name, p] of [['a', 0.1], ['b', 0.2], ['c', 0.7]] as const) {
      const share = (counts.get(name) ?? 0) / n;
      // Binomial share: se = √(p(1−p)/n); z = 3.29 for 99.9 % two-sided.
      expect(Math.abs(share - p)).toBeLessThan(3.29 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(counts.has('never')).toBe(false);
  });

  it('is deterministic per seed', () => {
    const mix = [entry('a', 1), entry('b', 1)];
    const draw = (seed: number) => {
      const pick = mixPicker(mix, seededRng(seed));
      return Array.from({ length: 50 }, () => pick().name).join('');
    };
    expect(draw(3)).toBe(draw(3));
    expect(draw(3)).not.toBe(draw(4));
  });

  it('refuses an empty mix, negative weights and all-zero weights', () => {
    expect(() => mixPicker([], seededRng(1))).toThrow(/empty/);
    expect(() => mixPicker([entry('a', -1)], seededRng(1))).toThrow(/weight/);
    expect(() => mixPicker([entry('a', 0)], seededRng(1))).toThrow(/weight 0/);
  });
});

describe('mixCycle', () => {
  const count = (cycle: RequestMix[]) => cycle.reduce<Record<string, number>>((c, m) => ({ ...c, [m.name]: (c[m.name] ?? 0) + 1 }), {});

  it('holds the weights exactly over a cycle, rounding by largest remainder', () => {
    expect(count(mixCycle([entry('ok', 3), entry('fail', 1)], seededRng(1)))).toEqual({ ok: 75, fail: 25 });
    expect(count(mixCycle([entry('a', 1), entry('b', 1), entry('c', 1)], seededRng(1)))).toEqual({ a: 34, b: 33, c: 33 });
    expect(count(mixCycle([entry('a', 1), entry('b', 0)], seededRng(1), 10))).toEqual({ a: 10 });
  });

  it('interleaves the routes (seeded shuffle)', () => {
    const cycle = mixCycle([entry('a', 1), entry('b', 1)], seededRng(2));
    expect(cycle.slice(0, 50).some((m) => m.name === 'b')).toBe(true);
    expect(cycle.map((m) => m.name)).toEqual(mixCycle([entry('a', 1), entry('b', 1)], seededRng(2)).map((m) => m.name));
  });
});

describe('routeName', () => {
  it('is the mix name, or method and path', () => {
    expect(routeName(entry('joke', 1))).toBe('joke');
    expect(routeName({ ...entry('', 1), method: 'post', path: '/pay' })).toBe('POST /pay');
  });
});
