import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { Canary, canaryOptionProblems, stickyKey, stickyPoint, type CanaryOptions, type CanaryState } from './canary.ts';

const base: CanaryOptions = { weight: 0.1, seed: 7, window: 60_000, minSamples: 20, rollback: { errorRate: 0.05 } };

function setup(o: Partial<CanaryOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const canary = new Canary({ ...base, ...o }, clock);
  return { clock, canary };
}

describe('Canary: sticky assignment', () => {
  it('puts the same client on the same arm every time (any key, seed, weight)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), (key, seed, weight) => {
        const canary = new Canary({ ...base, seed, weight }, new FakeClock());
        const arm = canary.assign(key);
        for (let i = 0; i < 3; i++) expect(canary.assign(key)).toBe(arm);
        // And another router process with the same seed agrees.
        expect(new Canary({ ...base, seed, weight }, new FakeClock()).assign(key)).toBe(arm);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every canary client in the canary when the weight is raised', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (key, seed, w1, w2) => {
        const [lo, hi] = w1 <= w2 ? [w1, w2] : [w2, w1];
        const canary = new Canary({ ...base, seed, weight: lo }, new FakeClock());
        const before = canary.assign(key);
        canary.setWeight(hi);
        if (before === 'canary') expect(canary.assign(key)).toBe('canary');
      }),
      { numRuns: 500 },
    );
  });

  // n distinct clients, each in the canary with probability p independently (if the hash is
  // uniform): the count is Binomial(n, p). At 99.9 % confidence (z = 3.29) the share lies
  // within p ± z·√(p(1−p)/n). n = 20 000, p = 0.1: ± 0.70 points. Deterministic (fixed seeds),
  // so this cannot flake; it fails only if the hash is biased.
  it.each([
    ['sequential ids', (i: number) => `client-${i}`],
    ['IPv4 addresses', (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    ['UUID-like keys', (i: number) => `${(i * 2654435761) >>> 0}-4a1b-${i.toString(16).padStart(8, '0')}`],
  ])('sends a share of %s within the 99.9 %% binomial interval of the weight (n = 20 000)', (_, keyOf) => {
    const n = 20_000;
    const z = 3.29;
    for (const [seed, p] of [
      [7, 0.1],
      [11, 0.5],
      [13, 0.01],
    ] as const) {
      const canary = new Canary({ ...base, seed, weight: p }, new FakeClock());
      let inCanary = 0;
      for (let i = 0; i < n; i++) if (canary.assign(keyOf(i)) === 'canary') inCanary++;
      const share = inCanary / n;
      expect(Math.abs(share - p)).toBeLessThanOrEqual(z * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('maps keys uniformly into [0, 1): each decile holds its tenth (chi-square, 9 df, 99.9 %: < 27.88)', () => {
    const n = 50_000;
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(stickyPoint(42, `user-${i}`) * 10)]!++;
    const expected = n / 10;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.88);
  });

  it('reshuffles clients with a new seed', () => {
    const a = new Canary({ ...base, seed: 1, weight: 0.5 }, new FakeClock());
    const b = new Canary({ ...base, seed: 2, weight: 0.5 }, new FakeClock());
    let differ = 0;
    for (let i = 0; i < 1000; i++) if (a.assign(`c${i}`) !== b.assign(`c${i}`)) differ++;
    expect(differ).toBeGreaterThan(400); // ~500 expected
  });

  it('keeps clients outside the canary regions on the baseline', () => {
    const { canary } = setup({ weight: 1, regions: ['us-east'] });
    expect(canary.assign('anyone', 'us-east')).toBe('canary');
    expect(canary.assign('anyone', 'eu')).toBe('baseline');
    expect(canary.assign('anyone')).toBe('baseline');
  });

  it('keys clients by a header, else by IP', () => {
    expect(stickyKey({ headers: { 'x-client-id': 'u-42' }, ip: '10.0.0.1' }, 'x-client-id')).toBe('u-42');
    expect(stickyKey({ headers: {}, ip: '10.0.0.1' }, 'x-client-id')).toBe('10.0.0.1');
    expect(stickyKey({ headers: { 'x-client-id': 'u-42' }, ip: '10.0.0.1' })).toBe('10.0.0.1');
    expect(stickyKey({ headers: {} })).toBe('');
  });
});

describe('Canary: automatic rollback', () => {
  it('does not roll back before minSamples, even at 100 % errors; rolls back on the call that reaches it', () => {
    const { canary } = setup();
    for (let i = 0; i < 19; i++) expect(canary.record('canary', { ok: false, latency: 5 }).kind).toBe('canary');
    const s = canary.record('canary', { ok: false, latency: 5 });
    expect(s).toEqual({ kind: 'rolled-back', at: 1_000_000, reason: 'error rate 100% over 20 calls > 5%' });
  });

  it('stays a canary while the error rate holds', () => {
    const { canary } = setup();
    for (let i = 0; i < 200; i++) canary.record('canary', { ok: i % 25 !== 24, latency: 5 }); // 4 %, never above 5 % along the way
    expect(canary.state()).toEqual({ kind: 'canary', weight: 0.1 });
    expect(canary.stats().canary).toEqual({ calls: 200, errors: 8, slow: 0 });
  });

  it('forgets calls older than the window', () => {
    const { canary, clock } = setup({ window: 10_000, buckets: 10 });
    for (let i = 0; i < 19; i++) canary.record('canary', { ok: false, latency: 5 });
    clock.advance(10_000);
    expect(canary.stats().canary.calls).toBe(0);
    expect(canary.record('canary', { ok: false, latency: 5 }).kind).toBe('canary');
  });

  it('rolls back on slow calls', () => {
    const { canary } = setup({ rollback: { slowCall: { over: 500, rate: 0.2 } } });
    for (let i = 0; i < 20; i++) canary.record('canary', { ok: true, latency: i < 5 ? 900 : 50 }); // 25 % slow
    expect(canary.state()).toMatchObject({ kind: 'rolled-back', reason: 'slow calls (> 500ms) 25% over 20 calls > 20%' });
  });

  it('judged against the baseline, rides out an outage both arms share, and rolls back when the canary alone is worse', () => {
    const shared = setup({ rollback: { vsBaseline: 0.05 } }).canary;
    for (let i = 0; i < 100; i++) {
      shared.record('baseline', { ok: i % 2 === 0, latency: 5 });
      if (i < 40) shared.record('canary', { ok: i % 2 === 0, latency: 5 });
    }
    expect(shared.state().kind).toBe('canary'); // 50 % vs 50 %

    const worse = setup({ rollback: { vsBaseline: 0.02 } }).canary;
    for (let i = 0; i < 20; i++) worse.record('canary', { ok: i % 5 !== 0, latency: 5 }); // 20 %, but no baseline yet
    expect(worse.state().kind).toBe('canary');
    for (let i = 0; i < 20; i++) worse.record('baseline', { ok: i !== 0, latency: 5 }); // 5 %
    expect(worse.state()).toMatchObject({ kind: 'rolled-back', reason: 'error rate 20% over 20 calls > baseline 5% over 20 calls + 2%' });
  });

  it('sends nobody to the canary after a rollback, and drops canary calls that finish after it', () => {
    const { canary } = setup({ weight: 1 });
    expect(canary.assign('c')).toBe('canary');
    canary.rollback('operator');
    expect(canary.assign('c')).toBe('baseline');
    expect(canary.record('canary', { ok: false, latency: 5 })).toMatchObject({ kind: 'rolled-back', reason: 'operator' });
    expect(canary.setWeight(0.5).kind).toBe('rolled-back');
    expect(canary.promote().kind).toBe('rolled-back');
  });

  it('after promotion sends everyone to the new version and judges no more', () => {
    const { canary } = setup();
    canary.promote();
    expect(canary.assign('anyone')).toBe('canary');
    for (let i = 0; i < 50; i++) canary.record('canary', { ok: false, latency: 5 });
    expect(canary.state().kind).toBe('promoted');
  });

  it('reads and restores its state, and tells listeners', () => {
    const { canary } = setup();
    const seen: string[] = [];
    canary.onTransition((t) => seen.push(`${t.from.kind}→${t.to.kind}`));
    const rolled: CanaryState = { kind: 'rolled-back', at: 5, reason: 'earlier run' };
    canary.restore(rolled);
    expect(canary.state()).toEqual(rolled);
    expect(canary.assign('x')).toBe('baseline');
    canary.restore({ kind: 'canary', weight: 1 });
    expect(canary.assign('x')).toBe('canary');
    expect(seen).toEqual(['canary→rolled-back', 'rolled-back→canary']);
    // A restored state, and the one read back, are copies.
    const read = canary.state();
    (read as { weight: number }).weight = 0;
    expect(canary.assign('x')).toBe('canary');
  });

  it('refuses options under which it could never roll back', () => {
    expect(canaryOptionProblems({ ...base, rollback: {} }).map((p) => p.field)).toEqual(['rollback']);
    expect(canaryOptionProblems({ ...base, weight: 1.5, minSamples: 0, window: 0 }).map((p) => p.field)).toEqual(['weight', 'window', 'minSamples']);
    expect(canaryOptionProblems({ ...base, rollback: { errorRate: 1 } }).map((p) => p.field)).toEqual(['rollback.errorRate']);
    expect(() => new Canary({ ...base, rollback: {} }, new FakeClock())).toThrow(/rollback/);
  });
});

describe('invariants: rollback only after min samples and a breach; never the canary after it', () => {
  const step = fc.oneof(
    fc.record({ t: fc.constant('call' as const), arm: fc.constantFrom('canary' as const, 'baseline' as const), ok: fc.boolean(), latency: fc.nat(1_000) }),
    fc.record({ t: fc.constant('wait' as const), ms: fc.nat(20_000) }),
  );

  it('holds under arbitrary sequences of calls, outcomes and time', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 300 }),
        fc.integer({ min: 1, max: 30 }),
        fc.record({
          errorRate: fc.option(fc.double({ min: 0, max: 0.99, noNaN: true }), { nil: undefined }),
          vsBaseline: fc.option(fc.double({ min: 0, max: 0.5, noNaN: true }), { nil: undefined }),
          slow: fc.option(fc.record({ over: fc.integer({ min: 1, max: 900 }), rate: fc.double({ min: 0, max: 0.99, noNaN: true }) }), { nil: undefined }),
        }),
        fc.array(fc.string(), { minLength: 1, maxLength: 20 }),
        (steps, minSamples, r, clients) => {
          const rollback = {
            ...(r.errorRate !== undefined && { errorRate: r.errorRate }),
            ...(r.vsBaseline !== undefined && { vsBaseline: r.vsBaseline }),
            ...(r.slow !== undefined && { slowCall: r.slow }),
          };
          if (Object.keys(rollback).length === 0) rollback.errorRate = 0.1;
          const clock = new FakeClock();
          const canary = new Canary({ weight: 0.5, seed: 3, window: 30_000, minSamples, rollback }, clock);
          let canaryCalls = 0;
          let rolledBack = false;
          canary.onTransition((t) => {
            if (t.to.kind !== 'rolled-back') return;
            // At the moment of rollback: enough canary calls in the window, and a breach stated.
            const c = canary.stats().canary;
            expect(c.calls).toBeGreaterThanOrEqual(minSamples);
            expect(canaryCalls).toBeGreaterThanOrEqual(minSamples);
            expect(c.errors + c.slow).toBeGreaterThan(0);
            expect(t.to.reason).toMatch(/>/);
            rolledBack = true;
          });
          for (const s of steps) {
            if (s.t === 'wait') clock.advance(s.ms);
            else {
              if (s.arm === 'canary') canaryCalls++;
              canary.record(s.arm, { ok: s.ok, latency: s.latency });
            }
            if (rolledBack) for (const c of clients) expect(canary.assign(c)).toBe('baseline');
          }
          // A canary whose every call succeeded fast never rolls back.
          if (steps.every((s) => s.t === 'wait' || s.arm === 'baseline' || (s.ok && (r.slow === undefined || s.latency <= r.slow.over)))) expect(rolledBack).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
