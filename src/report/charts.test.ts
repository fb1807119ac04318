import { describe, expect, it } from 'vitest';
import type { FaultSwitch } from '../model/run.ts';
import { breakerChart, errorRateChart, fineUpstreamChart, latencyChart, requestsChart, upstreamChart } from './charts.ts';
import { completedRun } from './testing.ts';
import type { RunSeries } from '../model/result.ts';

const fault = (name: string, on: number | null, off: number | null): FaultSwitch => ({
  fault: name,
  layer: 'http',
  kind: 'status 503',
  scheduledOn: on ?? 0,
  on,
  scheduledOff: off ?? 0,
  off,
});

function emptySeries(): RunSeries {
  return { t: [], ok: [], status4xx: [], status5xx: [], errors: [], p50: [], p99: [], upstream: {} };
}

describe('charts', () => {
  it('puts overlapping fault windows in separate label lanes and skips a fault that never switched on', () => {
    const run = completedRun();
    const faults = [fault('a', 2000, 8000), fault('b', 4000, 6000), fault('c', 9000, 12000), fault('never', null, null)];
    const chart = requestsChart(run.series, run.durationMs, faults);
    expect(chart.bands.map((b) => b.label)).toEqual(['a', 'b', 'c']);
    const [a, b, c] = chart.bands;
    expect(b!.labelY).toBeGreaterThan(a!.labelY);
    expect(c!.labelY).toBe(a!.labelY);
  });

  it('draws a fault still on at the end open-ended, up to the end of the run', () => {
    const run = completedRun();
    const [band] = requestsChart(run.series, run.durationMs, [fault('x', 5000, null)]).bands;
    expect(band!.open).toBe(true);
    expect(band!.right).toBeCloseTo(requestsChart(run.series, run.durationMs, []).plot.right, 0);
  });

  it('stacks only the outcomes that occurred, and its axis covers the highest second', () => {
    const run = completedRun();
    const chart = requestsChart(run.series, run.durationMs, run.faults);
    expect(chart.areas.map((a) => a.name)).toEqual(['ok (2xx/3xx)', '4xx', '5xx', 'errors / timeouts']);
    expect(chart.legend).toHaveLength(4);
    expect(Number(chart.yTicks.at(-1)!.label)).toBeGreaterThanOrEqual(Math.max(...run.series.ok));
  });

  it('switches latency to a log scale when the values span more than two decades', () => {
    const run = completedRun();
    expect(latencyChart(run.series, run.durationMs, []).yLabel).toBe('latency (ms)');
    const stormy = { ...run.series, p50: run.series.p50.map(() => 2), p99: run.series.p99.map((v, i) => (i === 6 ? 5000 : v)) };
    const chart = latencyChart(stormy, run.durationMs, []);
    expect(chart.yLabel).toBe('latency (ms, log scale)');
    expect(chart.yTicks.map((t) => t.label)).toEqual(['1ms', '10ms', '100ms', '1s', '10s']);
  });

  it('breaks a latency line at seconds without a value', () => {
    const series = { ...completedRun().series };
    series.p50 = series.p50.map((v, i) => (i === 10 ? null : v));
    const [p50] = latencyChart(series, 20_000, []).lines;
    expect(p50!.d.match(/M/g)).toHaveLength(2);
  });

  it('has one line per provider and says when there is nothing to draw', () => {
    const run = completedRun();
    expect(upstreamChart(run.series, run.durationMs, []).lines.map((l) => l.name)).toEqual(['adyen@eu', 'stripe@eu', 'stripe@us']);
    expect(upstreamChart(emptySeries(), 0, []).empty).toBe(true);
    expect(requestsChart(emptySeries(), 0, []).empty).toBe(true);
    expect(latencyChart(emptySeries(), 0, []).empty).toBe(true);
  });
});

describe('the fine upstream chart', () => {
  it('is absent without fine bins', () => {
    const run = completedRun();
    expect(fineUpstreamChart({ ...run.series, upstreamFine: undefined }, run.durationMs, run.faults)).toBeNull();
  });

  it('draws each provider per bin and prints its peak-to-mean and dominant period beside it', () => {
    const run = completedRun();
    // 5 arrivals every 20 bins of 10 ms over 4 s: peak 5 over a mean of 0.25 = 20, period 200 ms.
    const counts = Array.from({ length: 400 }, (_, i) => (i % 20 === 0 ? 5 : 0));
    const chart = fineUpstreamChart({ ...run.series, upstreamFine: { binMs: 10, counts: { '<b>backend</b>': counts } } }, 4000, run.faults)!;
    expect(chart.empty).toBe(false);
    expect(chart.lines.map((l) => l.name)).toEqual(['<b>backend</b>']);
    expect(chart.notes).toEqual(['<b>backend</b>: peak-to-mean 20.0 (peak 5 at 0.00 s), dominant period 200ms (autocorrelation 0.95) — over the whole run']);
  });
});

describe('the post-mortem charts', () => {
  it('end the time axis at the run’s end, whatever drains after it', () => {
    const run = completedRun();
    // Upstream calls still arriving 3 s after the load stopped extend the series, not the axis.
    run.series.t.push(20, 21, 22);
    for (const k of Object.keys(run.series.upstream)) run.series.upstream[k]!.push(5, 5, 5);
    const chart = upstreamChart(run.series, run.durationMs, []);
    expect(chart.xTicks.at(-1)!.label).toBe('20s');
    expect(chart.xTicks.at(-1)!.pos).toBe(chart.plot.right);
    for (const line of chart.lines) for (const [, x] of line.d.matchAll(/[ML]([\d.]+) /g)) expect(Number(x)).toBeLessThanOrEqual(chart.plot.right);
  });

  it('draws a breaker row as runs of one state, and nothing without breakers', () => {
    const run = completedRun();
    const chart = breakerChart(run.series, run.durationMs, run.faults)!;
    const row = chart.stateRows!.find((r) => r.label === 'stripe@eu')!;
    expect(row.segments.map((s) => s.cls)).toEqual(['closed', 'open', 'half-open', 'open', 'half-open', 'open', 'half-open', 'open', 'closed']);
    expect(row.segments.at(-1)!.x + row.segments.at(-1)!.width).toBeCloseTo(chart.plot.right, 0);
    const { router: _, ...plain } = run.series;
    expect(breakerChart(plain, run.durationMs, run.faults)).toBeNull();
  });

  it('puts a latency threshold at its value over its window only', () => {
    const run = completedRun();
    const chart = latencyChart(run.series, run.durationMs, run.faults, {}, run.slos);
    const outage = chart.thresholds.find((t) => t.label.startsWith('p99(latency) < 400ms'))!;
    expect(outage.failed).toBe(true);
    const frameOf = requestsChart(run.series, run.durationMs, []);
    const x = (s: number) => frameOf.plot.x + (s / 20) * frameOf.plot.width;
    expect(outage.x1).toBeCloseTo(x(5.012), 0);
    expect(outage.x2).toBeCloseTo(x(15.009), 0);
    const tick400 = chart.yTicks.find((t) => t.label === '400ms')!;
    expect(outage.y).toBeCloseTo(tick400.pos, 0);
  });

  it('gives the error rate as the failed share of each second', () => {
    const run = completedRun();
    const chart = errorRateChart(run.series, run.durationMs, [], []);
    expect(chart.empty).toBe(false);
    expect(chart.yTicks.at(-1)!.label).toBe('6 %'); // second 5: 3 of 50 failed
  });
});
