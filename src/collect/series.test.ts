import { describe, expect, it } from 'vitest';
import { buildSeries, fineBins, latencyHistogram, percentileMs, recordLatency } from './series.ts';
import type { RequestRecord, UpstreamRecord } from '../model/run.ts';

const req = (due: number, latency: number, status: number, route = 'r', error?: string): RequestRecord =>
  error ? { due, sent: due, end: due + latency, status, route, error } : { due, sent: due, end: due + latency, status, route };

/** HDR with 3 significant digits reports a value's bucket top: within 0.1 % above it. */
const near = (got: number | null, want: number) => {
  expect(got).not.toBeNull();
  expect(got!).toBeGreaterThanOrEqual(want);
  expect(got!).toBeLessThanOrEqual(want * 1.001 + 0.001);
};

describe('buildSeries', () => {
  const requests: RequestRecord[] = [
    // second 0: two ok, a 404, a timeout
    req(0, 10, 200),
    req(100, 20, 200),
    req(500, 30, 404),
    req(900, 40, 0, 'r', 'timeout'),
    // second 1: a 503 and a 301 (ok: answered, not an error)
    req(1000, 5, 503),
    req(1999.9, 7, 301),
    // second 2: nothing
  ];
  const upstream: UpstreamRecord[] = [
    { t: 10, provider: 'stripe', region: 'eu', endpoint: 'POST /charge', status: 200 },
    { t: 20, provider: 'stripe', region: 'eu', endpoint: 'POST /charge', status: 503 },
    { t: 1500, provider: 'stripe', region: 'us', endpoint: 'POST /charge', status: 200 },
    { t: 2500, provider: 'adyen', endpoint: 'POST /pay', status: 200 },
  ];

  it('counts requests by outcome class in the second they were due', () => {
    const s = buildSeries(requests, upstream, 3000);
    expect(s.t).toEqual([0, 1, 2]);
    expect(s.ok).toEqual([2, 1, 0]);
    expect(s.status4xx).toEqual([1, 0, 0]);
    expect(s.status5xx).toEqual([0, 1, 0]);
    expect(s.errors).toEqual([1, 0, 0]);
  });

  it('gives p50 and p99 of end − due per second, errors included, null when empty', () => {
    const s = buildSeries(requests, upstream, 3000);
    near(s.p50[0]!, 20); // 10, 20, 30, 40: nearest rank 2 of 4
    near(s.p99[0]!, 40); // the timeout's 40 ms counts
    near(s.p50[1]!, 5);
    near(s.p99[1]!, 7);
    expect(s.p50[2]).toBeNull();
    expect(s.p99[2]).toBeNull();
  });

  it('gives p95 per second beside p50 and p99', () => {
    const s = buildSeries(Array.from({ length: 100 }, (_, i) => req(i, i + 1, 200)), [], 1000);
    near(s.p95![0]!, 95);
  });

  it("gives each provider's latency per second from its own records, only where they carry it", () => {
    const u = (t: number, ms: number | undefined, provider = 'stripe'): UpstreamRecord => ({ t, provider, endpoint: 'POST /charge', status: 200, ...(ms !== undefined && { ms }) });
    const s = buildSeries([], [u(10, 5), u(20, 15), u(1500, 40), u(30, undefined, 'adyen')], 3000);
    near(s.upstreamLatency!['stripe']!.p50[0]!, 5);
    near(s.upstreamLatency!['stripe']!.p99[0]!, 15);
    near(s.upstreamLatency!['stripe']!.p50[1]!, 40);
    expect(s.upstreamLatency!['stripe']!.p50[2]).toBeNull();
    expect(s.upstreamLatency!['adyen']).toBeUndefined();
    expect(buildSeries([], [u(10, undefined)], 1000).upstreamLatency).toBeUndefined();
  });

  it('counts upstream calls per provider, or provider@region', () => {
    const s = buildSeries(requests, upstream, 3000);
    expect(s.upstream).toEqual({ 'stripe@eu': [2, 0, 0], 'stripe@us': [0, 1, 0], adyen: [0, 0, 1] });
  });

  it('covers the whole duration, and extends to records past it; records before t = 0 are left out', () => {
    const s = buildSeries([req(-5, 1, 200), req(10, 1, 200)], [{ t: 4200, provider: 'p', endpoint: 'GET /', status: 200 }], 2500);
    expect(s.t).toEqual([0, 1, 2, 3, 4]);
    expect(s.ok).toEqual([1, 0, 0, 0, 0]);
    expect(s.upstream['p']).toEqual([0, 0, 0, 0, 1]);
    expect(buildSeries([], [], 0).t).toEqual([]);
  });

  it('keeps sub-millisecond and multi-second latencies in one histogram at 0.1 %', () => {
    const h = latencyHistogram();
    for (let i = 0; i < 98; i++) recordLatency(h, 0.25);
    recordLatency(h, 1500);
    recordLatency(h, 3000);
    near(percentileMs(h, 50), 0.25);
    near(percentileMs(h, 99), 1500);
    near(percentileMs(h, 100), 3000);
    expect(percentileMs(latencyHistogram(), 50)).toBeNull();
  });
});

describe('fineBins', () => {
  it('counts arrivals per provider endpoint in bins of binMs over [0, spanMs), leaving out t < 0 and t ≥ span', () => {
    const u = (t: number, provider: string, region?: string): UpstreamRecord => ({ t, provider, endpoint: 'GET /', status: 200, ...(region && { region }) });
    const f = fineBins({ upstream: [u(-1, 'a'), u(0, 'a'), u(9.9, 'a'), u(10, 'a'), u(35, 'b', 'eu'), u(40, 'a')] }, 40, 10);
    expect(f).toEqual({ binMs: 10, counts: { a: [2, 1, 0, 0], 'b@eu': [0, 0, 0, 1] } });
  });
});
