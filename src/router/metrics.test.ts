import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, DurationHistogram, RouterMetrics } from './metrics.ts';

describe('RouterMetrics', () => {
  it('exposes the request-duration histogram exactly as prom-client’s Histogram would, bucket edges included', async () => {
    const registry = new Registry();
    const reference = new Histogram({ name: 'router_request_duration_seconds', help: 'h', labelNames: ['route', 'provider', 'outcome'], buckets: DURATION_BUCKETS, registers: [registry] });
    const ours = new DurationHistogram('router_request_duration_seconds', 'h', DURATION_BUCKETS);
    const ourRegistry = new Registry();
    ourRegistry.registerMetric(ours as never);
    // Values on the bounds themselves (le is inclusive), between them, and past the last one.
    const values = [0, 0.001, 0.0011, 0.005, 0.0499, 0.05, 0.3, 1, 9.99, 10, 12, 60];
    const series = [
      { route: '/a/**', provider: 'x', outcome: 'success' },
      { route: '/a/**', provider: 'none', outcome: 'shed' },
    ];
    for (const [k, labels] of series.entries()) {
      const s = ours.series(labels);
      for (const v of values.slice(k * 3)) {
        reference.observe(labels, v);
        s.observe(v);
      }
    }
    expect(await ourRegistry.metrics()).toBe(await registry.metrics());
    // As JSON too (prom-client's Histogram adds an empty `exemplar` to each value; exemplars are off).
    const { values: refValues, ...refRest } = (await registry.getMetricsAsJSON())[0]!;
    const { values: ourValues, ...ourRest } = (await ourRegistry.getMetricsAsJSON())[0]!;
    expect(ourRest).toEqual(refRest);
    expect(ourValues).toEqual(refValues.map((v) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'exemplar'))));
  });

  it('hands counted calls to prom-client when scraped, once: a second scrape adds nothing', async () => {
    const m = new RouterMetrics();
    m.zero('retries', '/r', 'p');
    for (let i = 0; i < 3; i++) m.attempt('p', 200);
    m.attempt('p', 'timeout');
    m.retry('/r', 'p');
    m.request('/r', 'p', 'success', 0.002);
    const first = await m.text();
    expect(first).toContain('upstream_attempts_total{provider="p",status="200"} 3');
    expect(first).toContain('upstream_attempts_total{provider="p",status="timeout"} 1');
    expect(first).toContain('retry_attempts_total{route="/r",provider="p"} 1');
    expect(first).toContain('router_request_duration_seconds_count{route="/r",provider="p",outcome="success"} 1');
    expect(first).toContain('router_request_duration_seconds_bucket{le="0.0025",route="/r",provider="p",outcome="success"} 1');
    expect(await m.text()).toBe(first);
    m.attempt('p', 200);
    expect(await m.text()).toContain('upstream_attempts_total{provider="p",status="200"} 4');
  });

  it('shows a zeroed series before anything is counted in it', async () => {
    const m = new RouterMetrics();
    m.zero('loadShed', 'critical');
    m.zeroDuration('/r', 'p', 'success');
    const text = await m.text();
    expect(text).toContain('load_shed_total{priority="critical"} 0');
    expect(text).toContain('router_request_duration_seconds_count{route="/r",provider="p",outcome="success"} 0');
  });
});
