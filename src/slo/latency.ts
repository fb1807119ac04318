/**
 * Latency statistics over request records. Latency runs from when a request was due, not
 * when it went out, so a stalled target shows up in the tail (no coordinated omission).
 */
import * as hdr from 'hdr-histogram-js';
import type { RequestRecord } from '../model/run.ts';
import type { LatencySummary } from '../model/result.ts';
import type { LatencyStat } from './ast.ts';

/** Quantiles of a set of latencies, plus the exact extremes and mean. */
export interface LatencyDistribution {
  count: number;
  /** Exact, in ms. */
  min: number;
  max: number;
  mean: number;
  /** The value at `percentile` (0–100) in ms, within HDR precision (3 significant digits), clamped to [min, max]. */
  at(percentile: number): number;
}

/** A request's latency in ms, from due time to the end of its response (or its failure). */
export function latencyOf(r: RequestRecord): number {
  return Math.max(0, r.end - r.due);
}

/**
 * Builds the distribution of latencies given in ms; null when there are none (or none finite).
 *
 * Quantiles come from an HDR histogram recorded in microseconds with 3 significant digits
 * (0.1 % relative error), the pure-JS build, which needs no WASM start-up or manual free.
 * Min, max and mean are computed exactly, and quantiles are clamped to [min, max]: HDR
 * reports a bucket's highest equivalent value, which may lie just above the true maximum.
 *
 * @example latencyDistribution([10, 20, 30])!.at(50) // 20 (within 0.1 %)
 */
export function latencyDistribution(latenciesMs: Iterable<number>): LatencyDistribution | null {
  const h = hdr.build({
    useWebAssembly: false,
    numberOfSignificantValueDigits: 3,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    autoResize: true,
  });
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const ms of latenciesMs) {
    // A record without a usable end (NaN) says nothing about latency.
    if (!Number.isFinite(ms)) continue;
    const v = Math.max(0, ms);
    h.recordValue(Math.round(v * 1000));
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return null;
  return {
    count,
    min,
    max,
    mean: sum / count,
    at(percentile) {
      if (percentile <= 0) return min;
      if (percentile >= 100) return max;
      return Math.min(max, Math.max(min, h.getValueAtPercentile(percentile) / 1000));
    },
  };
}

/** One statistic of a distribution, in ms. */
export function statOf(d: LatencyDistribution, stat: LatencyStat): number {
  switch (stat.kind) {
    case 'quantile':
      return d.at(stat.percentile);
    case 'min':
      return d.min;
    case 'max':
      return d.max;
    case 'mean':
      return d.mean;
  }
}

/**
 * p50, p90, p99, p99.9, max and mean latency of the given requests in ms, measured from
 * due time; null when there are none. Every record counts, failed ones too: a request
 * that timed out after 5 s waited 5 s.
 *
 * @example summarizeLatency(data.requests) // { p50: 12.1, p90: 40.2, p99: 230, p999: 410, max: 512, mean: 21.7 }
 */
export function summarizeLatency(records: readonly RequestRecord[]): LatencySummary | null {
  const d = latencyDistribution(records.map(latencyOf));
  if (!d) return null;
  return { p50: d.at(50), p90: d.at(90), p99: d.at(99), p999: d.at(99.9), max: d.max, mean: d.mean };
}
