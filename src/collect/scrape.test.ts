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
});
