/**
 * Per-second series for charts and windowed SLOs: throughput by outcome class, latency
 * percentiles from HDR histograms, and what each fixture provider received and how long it
 * took. The series from the router's own /metrics are router-series.ts's.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { RunSeries } from '../model/result.ts';
import type { RequestRecord, RunData, UpstreamRecord } from '../model/run.ts';

const BUCKET_MS = 1000;

/**
 * An HDR histogram of latencies in microseconds, 3 significant digits (±0.1 %), so
 * sub-millisecond loopback answers and multi-second stalls sit in one histogram.
 * The pure-JS implementation: no WebAssembly module to initialise or free.
 */
export function latencyHistogram(): Histogram {
  return build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
}

/** Records one latency given in ms (negative readings, from clock skew, count as 0). */
export function recordLatency(h: Histogram, ms: number): void {
  h.recordValue(Math.max(0, Math.round(ms * 1000)));
}

/** A percentile (0–100) of a histogram filled by recordLatency, back in ms; null when it is empty. */
export function percentileMs(h: Histogram, percentile: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(percentile) / 1000;
}

/**
 * One bucket per second of the run. Requests fall in the bucket of their due time (so a stall
 * shows in the second it hit, not the second it ended), upstream calls in the bucket of their
 * arrival. Latency is end − due for every request, errors and timeouts included.
 *
 * The series covers at least `durationMs`, and is extended to the last record (upstream calls
 * can outlive the load: retries still draining). Records before t = 0 are left out.
 *
 * @example
 *   const series = buildSeries(run.requests, run.upstream, run.durationMs);
 *   series.p99[12] // p99 in ms of the requests due in the 13th second
 */
export function buildSeries(requests: readonly RequestRecord[], upstream: readonly UpstreamRecord[], durationMs: number): RunSeries {
  let last = Math.ceil(Math.max(0, durationMs) / BUCKET_MS) - 1;
  for (const r of requests) if (r.due >= 0) last = Math.max(last, Math.floor(r.due / BUCKET_MS));
  for (const u of upstream) if (u.t >= 0) last = Math.max(last, Math.floor(u.t / BUCKET_MS));
  const n = last + 1;
  const zeros = () => new Array<number>(n).fill(0);

  const series: RunSeries = {
    t: Array.from({ length: n }, (_, i) => (i * BUCKET_MS) / 1000),
    ok: zeros(),
    status4xx: zeros(),
    status5xx: zeros(),
    errors: zeros(),
    p50: new Array<number | null>(n).fill(null),
    p95: new Array<number | null>(n).fill(null),
    p99: new Array<number | null>(n).fill(null),
    upstream: {},
  };

  const byBucket: RequestRecord[][] = Array.from({ length: n }, () => []);
  for (const r of requests) {
    if (r.due < 0) continue;
    const i = Math.floor(r.due / BUCKET_MS);
    byBucket[i]!.push(r);
    if (r.status === 0) series.errors[i]!++;
    else if (r.status >= 500) series.status5xx[i]!++;
    else if (r.status >= 400) series.status4xx[i]!++;
    else series.ok[i]!++;
  }

  const h = latencyHistogram();
  byBucket.forEach((bucket, i) => {
    if (bucket.length === 0) return;
    h.reset();
    for (const r of bucket) recordLatency(h, r.end - r.due);
    series.p50[i] = percentileMs(h, 50);
    series.p95![i] = percentileMs(h, 95);
    series.p99[i] = percentileMs(h, 99);
  });

  const latencies = new Map<string, number[][]>();
  for (const u of upstream) {
    if (u.t < 0) continue;
    const key = u.region ? `${u.provider}@${u.region}` : u.provider;
    const i = Math.floor(u.t / BUCKET_MS);
    (series.upstream[key] ??= zeros())[i]!++;
    if (u.ms !== undefined) {
      let rows = latencies.get(key);
      if (!rows) latencies.set(key, (rows = Array.from({ length: n }, () => [])));
      rows[i]!.push(u.ms);
    }
  }
  if (latencies.size > 0) {
    series.upstreamLatency = {};
    for (const [key, rows] of latencies) {
      const p50: (number | null)[] = [];
      const p99: (number | null)[] = [];
      for (const bucket of rows) {
        h.reset();
        for (const ms of bucket) recordLatency(h, ms);
        p50.push(percentileMs(h, 50));
        p99.push(percentileMs(h, 99));
      }
      series.upstreamLatency[key] = { p50, p99 };
    }
  }
  return series;
}

/**
 * Upstream arrivals per provider endpoint (`provider` or `provider@region`, as `upstream`
 * above) in bins of `binMs` over [0, spanMs): `series.upstreamFine`. Live and simulated runs
 * both get theirs here (through buildResult), so a herd reads the same in either.
 */
export function fineBins(data: Pick<RunData, 'upstream'>, spanMs: number, binMs: number): { binMs: number; counts: Record<string, number[]> } {
  const n = Math.ceil(spanMs / binMs);
  const counts: Record<string, number[]> = {};
  for (const u of data.upstream) {
    if (u.t < 0) continue;
    const key = u.region ? `${u.provider}@${u.region}` : u.provider;
    const row = (counts[key] ??= new Array<number>(n).fill(0));
    const i = Math.floor(u.t / binMs);
    if (i < n) row[i]!++;
  }
  return { binMs, counts };
}
