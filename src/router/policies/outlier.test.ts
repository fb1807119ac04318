import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { compileOutlier, ENVOY_OUTLIER_DEFAULTS, OutlierDetector, type OutlierOptions } from './outlier.ts';
import { collectIssues } from './testing.ts';

const hosts = ['a', 'b', 'c', 'd'];

describe('OutlierDetector', () => {
  it('ejects a host after consecutive5xx failures in a row, for baseEjectionTime × its ejections', () => {
    const clock = new FakeClock();
    const ejected: string[] = [];
    const d = new OutlierDetector(hosts, { ...ENVOY_OUTLIER_DEFAULTS, maxEjectionPercent: 0.5 }, clock, (h, r) => ejected.push(`${h}:${r}`));
    for (let i = 0; i < 4; i++) d.record('a', true);
    d.record('a', false); // a success breaks the run
    for (let i = 0; i < 4; i++) d.record('a', true);
    expect(d.isEjected('a')).toBe(false);
    d.record('a', true);
    expect(d.isEjected('a')).toBe(true);
    expect(ejected).toEqual(['a:consecutive_5xx']);
    expect(d.state().a).toMatchObject({ ejectedUntil: 30_000, ejections: 1 });
    clock.advance(30_000);
    expect(d.isEjected('a')).toBe(false);
    // Ejected again at once: twice as long.
    for (let i = 0; i < 5; i++) d.record('a', true);
    expect(d.state().a).toMatchObject({ ejectedUntil: 30_000 + 60_000, ejections: 2 });
  });

  it('never ejects more than maxEjectionPercent of the hosts, but always may eject one', () => {
    const clock = new FakeClock();
    const d = new OutlierDetector(hosts, { ...ENVOY_OUTLIER_DEFAULTS, maxEjectionPercent: 0.1 }, clock);
    for (const h of hosts) for (let i = 0; i < 5; i++) d.record(h, true);
    expect(d.ejectedCount()).toBe(1);
    expect(hosts.filter((h) => d.isEjected(h))).toEqual(['a']);
  });

  it('ejects by failure percentage over an interval, given enough volume on enough hosts', () => {
    const clock = new FakeClock();
    const d = new OutlierDetector(
      hosts,
      { ...ENVOY_OUTLIER_DEFAULTS, consecutive5xx: 0, maxEjectionPercent: 0.5, failurePercentage: { threshold: 0.5, requestVolume: 10, minimumHosts: 3 } },
      clock,
    );
    for (let i = 0; i < 10; i++) {
      d.record('a', i % 2 === 0); // 50 %
      d.record('b', i % 5 === 0); // 20 %
      d.record('c', false);
    }
    d.record('d', true); // too few requests to be judged
    clock.advance(10_000);
    expect(hosts.filter((h) => d.isEjected(h))).toEqual(['a']);
  });

  it('forgives one ejection per interval a host stays in service', () => {
    const clock = new FakeClock();
    const d = new OutlierDetector(hosts, { ...ENVOY_OUTLIER_DEFAULTS, consecutive5xx: 1, baseEjectionTime: 1_000, interval: 10_000 }, clock);
    d.record('a', true);
    clock.advance(1_000);
    expect(d.isEjected('a')).toBe(false);
    expect(d.state().a!.ejections).toBe(1);
    clock.advance(9_000); // back for only 9 s of this interval: not yet
    expect(d.state().a!.ejections).toBe(1);
    clock.advance(10_000); // a whole interval in service
    expect(d.state().a!.ejections).toBe(0);
  });

  it('never has more than max(1, ⌊maxEjectionPercent × hosts⌋) hosts ejected, under any outcomes and times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 0.1, 0.25, 0.5, 1),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.array(fc.record({ host: fc.nat(7), failed: fc.boolean(), gap: fc.integer({ min: 0, max: 3_000 }) }), { maxLength: 200 }),
        (n, maxEjectionPercent, consecutive5xx, byPercentage, script) => {
          const clock = new FakeClock();
          const names = Array.from({ length: n }, (_, i) => `h${i}`);
          const options: OutlierOptions = {
            consecutive5xx,
            interval: 2_000,
            baseEjectionTime: 1_000,
            maxEjectionTime: 5_000,
            maxEjectionPercent,
            ...((byPercentage || consecutive5xx === 0) && { failurePercentage: { threshold: 0.5, requestVolume: 2, minimumHosts: 1 } }),
          };
          const d = new OutlierDetector(names, options, clock);
          const max = Math.max(1, Math.floor(maxEjectionPercent * n));
          for (const s of script) {
            clock.advance(s.gap);
            d.record(names[s.host % n]!, s.failed);
            expect(names.filter((h) => d.isEjected(h)).length).toBeLessThanOrEqual(max);
            for (const st of Object.values(d.state())) if (st.ejectedUntil !== undefined) expect(st.ejectedUntil - clock.now()).toBeLessThanOrEqual(5_000);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('outlier detection config', () => {
  it("fills Envoy's defaults, failure-percentage ejection only when asked", () => {
    const { issue, issues } = collectIssues();
    expect(compileOutlier({}, ['outlierDetection'], issue)).toEqual({ ...ENVOY_OUTLIER_DEFAULTS, failureOn: ['5xx', 'network', 'timeout'] });
    expect(compileOutlier({ interval: '5s', failurePercentage: {} }, ['outlierDetection'], issue)).toMatchObject({ interval: 5_000, failurePercentage: { threshold: 0.85, requestVolume: 50, minimumHosts: 5 } });
    expect(issues).toEqual([]);
  });

  it('reports an ejection that could not grow', () => {
    const { issue, issues } = collectIssues();
    expect(compileOutlier({ baseEjectionTime: '2s', maxEjectionTime: '1s' }, ['routes', 0, 'outlierDetection'], issue)).toBeUndefined();
    expect(issues).toEqual(['routes.0.outlierDetection.maxEjectionTime: maxEjectionTime (1000ms) is shorter than baseEjectionTime (2000ms)']);
  });
});
