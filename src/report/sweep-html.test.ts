import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SWEEP_FORMAT_VERSION, type SweepPoint, type SweepReport } from '../model/sweep.ts';
import { renderSweepHtml, SWEEP_TEMPLATE_URL } from './sweep-html.ts';
import { formatSweepSummary, renderSweepCsv } from './sweep.ts';

const EVIL = '<script>alert(1)</script>';
const spreadOf = (v: number) => ({ min: v, median: v, max: v });

function pointOf(id: number, value: string, p99: number, amp: number, feasible: boolean): SweepPoint {
  return {
    id,
    settings: { [`retry.${EVIL}`]: value },
    runs: [
      {
        seed: 1,
        passed: feasible,
        slos: [{ passed: feasible, value: p99, margin: feasible ? 100 : -100 }],
        objectives: [p99, amp],
        metrics: { amplification: amp, p50: 10, p95: 50, p99, upstream: 100, cost: null },
        wallMs: 12,
      },
    ],
    seedsRun: 1,
    feasible,
    slos: [{ passed: feasible, failedSeeds: feasible ? 0 : 1, worstMargin: feasible ? 100 : -100, worstRelative: feasible ? 0.25 : -0.25, valueSpread: 0 }],
    objectives: [spreadOf(p99), spreadOf(amp)],
    worst: [p99, amp],
    metrics: { amplification: spreadOf(amp), p50: spreadOf(10), p95: spreadOf(50), p99: spreadOf(p99), upstream: spreadOf(100), cost: null },
  };
}

const report: SweepReport = {
  formatVersion: SWEEP_FORMAT_VERSION,
  kind: 'faultline-sweep',
  id: 'x',
  scenario: { name: `n${EVIL}`, file: '/tmp/s.yaml' },
  mode: 'sim',
  startedAt: '2026-01-01T00:00:00.000Z',
  status: 'completed',
  method: { kind: 'grid' },
  seeds: [1],
  seedRounds: 'race',
  params: [{ path: `retry.${EVIL}`, spec: `a,${EVIL}`, side: 'router', kind: 'list', values: ['a', EVIL] }],
  objectives: [
    { name: 'p99(latency)', expr: 'p99(latency)', direction: 'min', unit: 'ms' },
    { name: `u${EVIL}`, expr: 'upstream_requests / requests', direction: 'min', unit: 'ratio' },
  ],
  slos: [{ name: `slo ${EVIL}`, expression: `p99(latency) < 400ms ${EVIL}`, window: 'run', threshold: 400, unit: 'ms' }],
  planned: 3,
  points: [pointOf(0, 'a', 300, 1.1, true), pointOf(1, EVIL, 200, 1.5, true), pointOf(2, 'a', 500, 1.0, false)],
  front: [1, 0],
  recommended: { point: 0, rule: `rule ${EVIL}`, reason: `reason ${EVIL}` },
  nearestMiss: null,
  timing: { wallMs: 10, runs: 3, plannedRuns: 3, workers: 1, msPerRun: 12 },
};

describe('sweep.html', () => {
  it('escapes every string from the scenario and the command line; no triple-stash in the template', () => {
    const html = renderSweepHtml(report, `name: ${EVIL}`);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(readFileSync(SWEEP_TEMPLATE_URL, 'utf8')).not.toMatch(/\{\{\{/);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  });

  it('highlights the recommended row, marks the front, draws the front and one effect chart per parameter × objective', () => {
    const html = renderSweepHtml(report, '');
    expect(html.match(/<tr class="recommended">/g)).toHaveLength(1);
    expect(html).toContain('id="front"');
    expect(html.match(/<figure class="chart" id="effect-/g)).toHaveLength(2);
    // Three dots on the front chart: one per point.
    const front = html.slice(html.indexOf('<figure class="chart" id="front"'), html.indexOf('</figure>', html.indexOf('id="front"')));
    expect(front.match(/<path class="line"/g)).toHaveLength(3);
  });
});

describe('sweep.csv and the summary', () => {
  it('one row per point × seed, quoted where a field needs it; the summary names the recommended point', () => {
    const csv = renderSweepCsv(report).trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]).toContain('point,seed,retry.<script>alert(1)</script>,feasible,front,recommended');
    const quoted = renderSweepCsv({ ...report, points: [pointOf(0, 'x,"y"', 300, 1.1, true)] }).split('\n')[1]!;
    expect(quoted.startsWith('0,1,"x,""y""",true')).toBe(true);
    expect(csv[1]!.startsWith('0,1,a,true,true,true,1,,true,true,300,100,300,1.1,1.1,10,50,300,100,,12,')).toBe(true);
    const text = formatSweepSummary(report);
    expect(text).toContain('recommended: #0');
    expect(text).toContain('Pareto front (2 points)');
  });
});
