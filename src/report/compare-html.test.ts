import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPARE_TEMPLATE_URL, renderCompareHtml } from './compare-html.ts';
import type { Comparison, MetricVerdict } from '../model/comparison.ts';

const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const verdict = (over: Partial<MetricVerdict>): MetricVerdict => ({
  metric: 'latency_p99',
  label: 'p99 latency',
  verdict: 'worse',
  test: 'permutation',
  n: { baseline: 100, candidate: 100, blocks: 10 },
  baseline: 10,
  candidate: 20,
  unit: 'ms',
  effect: 'p99 10 ms → 20 ms (+10 ms, +100 %)',
  delta: 10,
  interval: [4, 16],
  p: 0.001,
  pAdjusted: 0.003,
  pBetterAdjusted: 1,
  notes: [],
  ...over,
});
const trace = { cdf: [[1, 0], [5, 0.5], [20, 1]] as [number, number][], t: [0, 1, 2], p99: [10, null, 12], errorRate: [0, 0.01, null] };
const comparison = (over: Partial<Comparison> = {}): Comparison => ({
  confidence: 0.99,
  seed: 1,
  baseline: { runId: 'a', scenario: hostile, mode: 'sim', source: 'a/result.json', requests: 100, durationMs: 3000 },
  candidate: { runId: `b${hostile}`, scenario: hostile, mode: 'sim', source: 'b/result.json', requests: 100, durationMs: 3000 },
  metrics: [verdict({}), verdict({ metric: 'error_rate', label: 'error rate', verdict: 'not_worse', unit: 'ratio', effect: hostile, interval: undefined, notes: [hostile] })],
  worse: true,
  assumptions: [hostile],
  warnings: [hostile],
  traces: { baseline: trace, candidate: trace },
  ...over,
});

describe('compare.html', () => {
  it('says worse and by what, with a row per metric, and draws both runs on each chart', () => {
    const html = renderCompareHtml(comparison(), { baseline: '../a/report.html', candidate: 'report.html' });
    expect(html).toMatch(/WORSE at 99 % confidence \(family-wise\): p99 latency: p99 10 ms → 20 ms/);
    expect(html).toContain('Δ interval [+4 ms, +16 ms] at 99 %');
    expect(html.match(/<polyline class="baseline"/g)).toHaveLength(3);
    expect(html.match(/<polyline class="candidate"/g)).toHaveLength(3);
    expect(html).toContain('href="../a/report.html"');
  });

  it('says not worse when nothing is', () => {
    const html = renderCompareHtml(comparison({ worse: false, metrics: [verdict({ verdict: 'not_worse' })] }));
    expect(html).toContain('Not worse at 99 % confidence');
  });

  it('cannot be made to run script or inject markup by names, effects, notes or warnings', () => {
    const html = renderCompareHtml(comparison());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;script&gt;');
    expect(readFileSync(COMPARE_TEMPLATE_URL, 'utf8')).not.toMatch(/\{\{\{/);
    expect(html).toContain("default-src 'none'");
  });
});
