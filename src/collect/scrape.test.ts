import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { parseExposition } from './scrape.ts';

describe('parseExposition', () => {
  it("reads prom-client's own exposition: counters, histograms as _bucket/_sum/_count, and declared-but-silent series", async () => {
    const registry = new Registry();
    const retries = new Counter({ name: 'retry_attempts_total', help: 'retries', labelNames: ['provider'], registers: [registry] });
    new Counter({ name: 'failover_invocations_total', help: 'never moved', labelNames: ['from', 'to'], registers: [registry] });
    const duration = new Histogram({ name: 'req_seconds', help: 'd', buckets: [0.1, 1], registers: [registry] });
    retries.inc({ provider: 'joke' }, 3);
    duration.observe(0.05);
    duration.observe(0.5);

    const { samples, declared } = parseExposition(await registry.metrics());
    expect(samples).toContainEqual({ name: 'retry_attempts_total', labels: { provider: 'joke' }, value: 3 });
    expect(samples).toContainEqual({ name: 'req_seconds_bucket', labels: { le: '0.1' }, value: 1 });
    expect(samples).toContainEqual({ name: 'req_seconds_bucket', labels: { le: '+Inf' }, value: 2 });
    expect(samples).toContainEqual({ name: 'req_seconds_count', labels: {}, value: 2 });
    expect(samples.find((s) => s.name === 'req_seconds_sum')!.value).toBeCloseTo(0.55);
    expect(samples.some((s) => s.name === 'failover_invocations_total')).toBe(false);
    expect(declared).toEqual(expect.arrayContaining(['retry_attempts_total', 'failover_invocations_total', 'req_seconds_bucket', 'req_seconds_sum', 'req_seconds_count']));
  });

  it('keeps every label set of a histogram apart, with its labels, _sum and _count', () => {
    const text = [
      '# HELP h Durations.',
      '# TYPE h histogram',
      'h_bucket{le="0.1",route="r",outcome="success"} 1',
      'h_bucket{le="+Inf",route="r",outcome="success"} 2',
      'h_sum{route="r",outcome="success"} 0.5',
      'h_count{route="r",outcome="success"} 2',
      'h_bucket{route="q",le="0.1"} 3',
      'h_bucket{route="q",le="+Inf"} 3',
      'h_sum{route="q"} 0.1',
      'h_count{route="q"} 3',
    ].join('\n');
    const { samples } = parseExposition(text);
    expect(samples).toEqual([
      { name: 'h_bucket', labels: { le: '0.1', route: 'r', outcome: 'success' }, value: 1 },
      { name: 'h_bucket', labels: { le: '+Inf', route: 'r', outcome: 'success' }, value: 2 },
      { name: 'h_sum', labels: { route: 'r', outcome: 'success' }, value: 0.5 },
      { name: 'h_count', labels: { route: 'r', outcome: 'success' }, value: 2 },
      { name: 'h_bucket', labels: { route: 'q', le: '0.1' }, value: 3 },
      { name: 'h_bucket', labels: { route: 'q', le: '+Inf' }, value: 3 },
      { name: 'h_sum', labels: { route: 'q' }, value: 0.1 },
      { name: 'h_count', labels: { route: 'q' }, value: 3 },
    ]);
  });

  it('reads escaped label values, special values and timestamps, and skips lines that are not samples', () => {
    const { samples, declared } = parseExposition(
      ['# TYPE g gauge', 'g{path="/a \\"b\\" \\\\ c\\nd"} +Inf 1700000000000', 'g{x="1"} NaN', 'g -3.5e-2', 'not a sample', '{broken} 1', '# TYPE s summary', 's{quantile="0.5"} 2'].join('\n'),
    );
    expect(samples[0]).toEqual({ name: 'g', labels: { path: '/a "b" \\ c\nd' }, value: Infinity });
    expect(samples[1]!.value).toBeNaN();
    expect(samples[2]).toEqual({ name: 'g', labels: {}, value: -0.035 });
    expect(samples[3]).toEqual({ name: 's', labels: { quantile: '0.5' }, value: 2 });
    expect(samples).toHaveLength(4);
    expect(declared).toEqual(['g', 's', 's_sum', 's_count']);
  });
});
