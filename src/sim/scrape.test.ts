import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../collect/scrape.ts';
import { FakeClock } from '../core/clock.ts';
import { RouterMetrics } from '../router/metrics.ts';
import { CircuitBreaker } from '../router/policies/breaker.ts';
import { Canary } from '../router/routing/canary.ts';
import { readRegistry } from './scrape.ts';

/** The text scrape the collector takes live, of the same registry: what readRegistry must equal. */
async function textScrape(registry: Registry) {
  return parseExposition(await registry.metrics());
}

describe('readRegistry: the text scrape without the text', () => {
  it("gives the text scrape's samples and declared names for the router's full metric set", async () => {
    const m = new RouterMetrics();
    const clock = new FakeClock(1_000);
    const breaker = new CircuitBreaker({ failureRate: 0.5, window: 4, minimumCalls: 4, openFor: 1_000, halfOpen: { probes: 1, successesToClose: 1 } }, clock);
    m.watchBreaker('stripe', 'eu', breaker);
    m.watchBreaker('adyen', undefined, new CircuitBreaker({ failureRate: 0.5, window: 4, minimumCalls: 4, openFor: 1_000, halfOpen: { probes: 1, successesToClose: 1 } }, clock));
    m.watchCanary('pay', new Canary({ weight: 0.1, seed: 7, window: 60_000, minSamples: 20, rollback: { errorRate: 0.05 } }, clock));
    // Before anything moved: declared-only counters, zeroed series.
    expect(await readRegistry(m.registry)).toEqual(await textScrape(m.registry));

    // Every counter and the histogram, with labels that need escaping in the text.
    const odd = 'a "quoted" \\ back\nslash';
    m.zero('retries', 'pay', 'stripe');
    m.zeroDuration('pay', 'stripe', 'success');
    m.retry('pay', 'stripe');
    m.retry(odd, 'stripe');
    for (const status of [200, 503, 'timeout', 'network', 'aborted', 'deadline'] as const) m.attempt('stripe', status);
    m.failover('stripe', 'adyen', 'timeout');
    m.decision('pay', 'stripe', 'cheapest');
    m.cost('stripe', 'EUR', 0.25, 0.1);
    m.budgetRefused('pay', 'stripe');
    m.bulkheadRejected('route', 'pay', 'full');
    m.shed('low');
    m.limited('pay', 'global');
    m.throttle('stripe');
    m.ejected('pay', 'stripe', 'consecutive_5xx');
    m.fallback('pay', 'cache');
    m.authRejected('pay', 'missing_token');
    m.canaryRequest('pay', 'canary', 'error');
    m.llmAnswer('chat', 'small', 'gpt');
    for (const s of [0.0004, 0.001, 0.003, 0.2, 0.2, 7, 42]) m.request('pay', 'stripe', 'success', s);
    m.request('pay', 'adyen', 'failure', 0.05);
    m.request(odd, 'adyen', 'deadline_exceeded', 1.5);
    for (let i = 0; i < 4; i++) breaker.failure(breaker.acquire());
    expect(breaker.state().kind).toBe('open');
    const read = await readRegistry(m.registry);
    const text = await textScrape(m.registry);
    expect(read).toEqual(text);
    // Not vacuous: labelled histogram buckets, sums and counts are there.
    expect(read.samples.filter((s) => s.name === 'router_request_duration_seconds_bucket' && s.labels.route === odd).length).toBe(14);
    expect(read.samples.find((s) => s.name === 'router_request_duration_seconds_count' && s.labels.provider === 'stripe')?.value).toBe(7);
    // A second scrape: the counters' tallies flushed once, not twice.
    expect(await readRegistry(m.registry)).toEqual(await textScrape(m.registry));
  });

  it("matches prom-client's own histogram, summary and the values the text prints oddly (NaN, ±Inf, -0)", async () => {
    const registry = new Registry();
    const registers = [registry];
    const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1], registers });
    h.observe({ route: 'a' }, 0.05);
    h.observe({ route: 'b' }, 3);
    new Summary({ name: 's', help: 's', percentiles: [0.5, 0.9], registers }).observe(4);
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['k'], registers });
    g.set({ k: 'nan' }, NaN);
    g.set({ k: 'inf' }, Infinity);
    g.set({ k: 'ninf' }, -Infinity);
    g.set({ k: 'nzero' }, -0);
    g.set({ k: 'tiny' }, 1e-300);
    new Counter({ name: 'c_total', help: 'c', registers }).inc(0.1 + 0.2);
    const read = await readRegistry(registry);
    expect(read).toEqual(await textScrape(registry));
    expect(read.samples.some((s) => s.labels.k === 'nan')).toBe(false); // the text prints "Nan", which the parser drops
    expect(Object.is(read.samples.find((s) => s.labels.k === 'nzero')?.value, 0)).toBe(true);
  });
});
