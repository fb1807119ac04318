import { describe, expect, it } from 'vitest';
import type { MetricSample, MetricScrape } from '../model/run.ts';
import { bucketQuantile } from '../model/buckets.ts';
import { routerSeries } from './router-series.ts';

const sample = (name: string, value: number, labels: Record<string, string> = {}): MetricSample => ({ name, labels, value });
const scrape = (t: number, samples: MetricSample[], declared: string[] = []): MetricScrape => ({ t, samples, declared });

describe('routerSeries', () => {
  it('is undefined without scrapes (a target without metrics)', () => {
    expect(routerSeries([], 5)).toBeUndefined();
  });

  it('reads counters as increases per second, summed over labels; a series that appears later counts from 0', () => {
    const s = routerSeries(
      [
        scrape(0, [sample('retry_attempts_total', 0, { provider: 'a' })], ['retry_attempts_total', 'load_shed_total']),
        scrape(1000, [sample('retry_attempts_total', 3, { provider: 'a' })]),
        scrape(2000, [sample('retry_attempts_total', 5, { provider: 'a' }), sample('retry_attempts_total', 4, { provider: 'b' })]),
        scrape(3000, [sample('retry_attempts_total', 5, { provider: 'a' }), sample('retry_attempts_total', 4, { provider: 'b' })]),
      ],
      3,
    )!;
    expect(s.actions.retries).toEqual([3, 6, 0]);
    // Declared, never moved: a 0 line, not a missing one; not declared at all: no series.
    expect(s.actions.shed).toEqual([0, 0, 0]);
    expect(s.actions.failovers).toBeUndefined();
  });

  it('spreads an increase over the seconds a missed scrape leaves, and puts the final scrape in the last second', () => {
    const s = routerSeries(
      [
        scrape(0, [sample('failover_invocations_total', 0)]),
        scrape(1000, [sample('failover_invocations_total', 2)]),
        // The scrape at 2 s failed: the 4 of [1 s, 3 s) go half to each second.
        scrape(3000, [sample('failover_invocations_total', 6)]),
        scrape(3004, [sample('failover_invocations_total', 7)]),
      ],
      3,
    )!;
    expect(s.actions.failovers).toEqual([2, 2, 3]);
  });

  it('takes a counter that went down as restarted', () => {
    const s = routerSeries([scrape(0, [sample('load_shed_total', 10)]), scrape(1000, [sample('load_shed_total', 2)])], 1)!;
    expect(s.actions.shed).toEqual([2]);
  });

  it("gives each breaker's state per second, raised to open in a second it tripped between scrapes", () => {
    const state = (t: number, eu: number, us: number, openedEu = 0) =>
      scrape(t, [
        sample('circuit_breaker_state', eu, { provider: 'stripe', region: 'eu' }),
        sample('circuit_breaker_state', us, { provider: 'joke', region: '' }),
        sample('circuit_breaker_transitions_total', openedEu, { provider: 'stripe', region: 'eu', from: 'closed', to: 'open' }),
      ]);
    // stripe@eu: closed at 0 s and 1 s, but it opened and closed again inside [1 s, 2 s); open at 3 s; half-open at 4 s.
    const s = routerSeries([state(0, 0, 0), state(1000, 0, 0), state(2000, 0, 0, 1), state(3000, 1, 0, 2), state(4000, 2, 0, 2)], 5)!;
    expect(s.breakers['stripe@eu']).toEqual([0, 1, 1, 1, 2]);
    expect(s.breakers['joke']).toEqual([0, 0, 0, 0, 0]);
  });

  it('leaves a second without a scrape null in a gauge', () => {
    const s = routerSeries([scrape(0, [sample('circuit_breaker_state', 0, { provider: 'p', region: '' })]), scrape(2000, [sample('circuit_breaker_state', 1, { provider: 'p', region: '' })])], 3)!;
    expect(s.breakers['p']).toEqual([0, null, 1]);
  });

  it('charts the metrics a scenario names: counters by label set, gauges as scraped, histograms as p50/p99 from bucket increases', () => {
    const bucket = (le: string, v: number) => sample('req_seconds_bucket', v, { route: 'r', le });
    const s = routerSeries(
      [
        scrape(0, [sample('cost_total', 0, { currency: 'EUR' }), sample('queue_depth', 4), bucket('0.1', 0), bucket('1', 0), bucket('+Inf', 0)], ['req_seconds_bucket']),
        scrape(1000, [sample('cost_total', 1.5, { currency: 'EUR' }), sample('queue_depth', 7), bucket('0.1', 100), bucket('1', 100), bucket('+Inf', 100)]),
        scrape(2000, [sample('cost_total', 2, { currency: 'EUR' }), sample('queue_depth', 2), bucket('0.1', 100), bucket('1', 200), bucket('+Inf', 200)]),
      ],
      2,
      ['cost_total', 'queue_depth', 'req_seconds'],
    )!;
    expect(s.metrics!['cost_total{currency="EUR"}']).toEqual([1.5, 0.5]);
    expect(s.metrics!['queue_depth']).toEqual([4, 7]);
    // Second 0: all 100 under 0.1 s, interpolated inside the bucket; second 1: all between 0.1 and 1 s.
    expect(s.metrics!['req_seconds:p50']).toEqual([0.05, 0.55]);
    expect(s.metrics!['req_seconds:p99']).toEqual([0.099, 0.991]);
  });
});

describe('bucketQuantile', () => {
  it('interpolates inside the bucket as histogram_quantile does, and stops at the last finite bound', () => {
    const b = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: Infinity, count: 100 },
    ];
    expect(bucketQuantile(b, 0.5)).toBeCloseTo(0.1);
    expect(bucketQuantile(b, 0.7)).toBeCloseTo(0.3);
    expect(bucketQuantile(b, 0.99)).toBe(0.5);
    expect(bucketQuantile([{ le: Infinity, count: 0 }], 0.5)).toBeNull();
  });
});
