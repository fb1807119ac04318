import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../model/result.ts';
import { PARTIAL_URLS } from './html.ts';
import { completedRun } from './testing.ts';
import { upstreamChart } from './charts.ts';
import { renderVariantsHtml, VARIANTS_TEMPLATE_URL } from './variants-html.ts';
import { differsFromBase, formatVariantTable, metExpectation, variantRows, type VariantRun } from './variants.ts';

/** The sample run (availability held, p99 breached, expected pass), and a variant where both held and it passed. */
const base = completedRun();
const fixed: RunResult = { ...base, verdict: 'pass', slos: base.slos.map((s) => ({ ...s, passed: true, value: s.unit === 'ms' ? 300 : s.value })) };
const runs: VariantRun[] = [
  { name: 'base', set: {}, result: base, resultJson: '../x/result.json', reportHtml: '../x/report.html' },
  { name: 'faster', description: 'a <b>bold</b> claim', set: { 'retry.backoff.base': '5ms', 'retry.budget': 'off' }, result: fixed, resultJson: '../y/result.json', reportHtml: '../y/report.html' },
];

describe('variants side by side', () => {
  it('a run meets its expectation when it completed with the verdict it expected', () => {
    expect(metExpectation(base)).toBe(false);
    expect(metExpectation(fixed)).toBe(true);
    expect(metExpectation({ ...base, expected: 'fail' })).toBe(true);
    expect(metExpectation({ ...fixed, status: 'aborted' })).toBe(false);
  });

  it('the console table has a row per SLO, a column per run, ≠ where the verdict differs from the base', () => {
    expect(differsFromBase(base, fixed.slos[0]!)).toBe(false);
    expect(differsFromBase(base, fixed.slos[1]!)).toBe(true);
    const text = formatVariantTable(runs, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ {2}SLO +base +faster$/);
    const p99 = lines.find((l) => l.includes('p99 latency during outage'))!;
    expect(p99).toMatch(/✗ 612\.4ms +✓ 300ms ≠$/);
    const avail = lines.find((l) => l.startsWith('  availability'))!;
    expect(avail).not.toContain('≠');
    expect(text).toMatch(/verdict \(met expectation\) +fail ✗ +pass ✓/);
    expect(text).toContain('1 of 2 runs met their expectation');
    expect(text).toContain('faster: retry.backoff.base: 5ms, retry.budget: off');
  });

  it('the JSON has a row per run: name, overrides, verdict, SLO values, result.json', () => {
    const j = variantRows(runs) as { rows: { name: string; overrides: object; verdict: string; met: boolean; result: string; slos: { name: string; value: number | null; differsFromBase: boolean }[] }[] };
    expect(j.rows.map((r) => [r.name, r.verdict, r.met, r.result])).toEqual([
      ['base', 'fail', false, '../x/result.json'],
      ['faster', 'pass', true, '../y/result.json'],
    ]);
    expect(j.rows[1]!.overrides).toEqual({ 'retry.backoff.base': '5ms', 'retry.budget': 'off' });
    expect(j.rows[1]!.slos.map((s) => s.differsFromBase)).toEqual(fixed.slos.map((s, i) => i === 1));
  });

  it('the page escapes the scenario text and descriptions, links each report, draws each run its charts with ids of its own', () => {
    const html = renderVariantsHtml(runs, 'name: x\ndescription: </pre><script>alert(1)</script>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;');
    expect(html).toContain('a &lt;b&gt;bold&lt;/b&gt; claim');
    expect(html).toContain('href="../x/report.html"');
    expect(html).toContain('href="../y/report.html"');
    expect(html).toContain('id="run0-chart-requests"');
    expect(html).toContain('id="run1-chart-requests"');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(6);
    expect(html).toMatch(/class="differs">✓ 300ms/);
    expect(html).toContain("default-src 'none'");
  });

  it('the runs\' charts share one y scale per kind, so a 4× amplification draws 4× as tall', () => {
    const amplified: RunResult = { ...fixed, series: { ...fixed.series, upstream: Object.fromEntries(Object.entries(fixed.series.upstream).map(([k, v]) => [k, v.map((x) => x * 4)])) } };
    const html = renderVariantsHtml([runs[0]!, { ...runs[1]!, result: amplified }], '');
    const ticks = (id: string) => {
      const figure = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</figure>', html.indexOf(`id="${id}"`)));
      return [...figure.matchAll(/dx="-6" dy="4" text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    };
    expect(ticks('run0-chart-upstream').length).toBeGreaterThan(1);
    expect(ticks('run0-chart-upstream')).toEqual(ticks('run1-chart-upstream'));
    // Alone, the base's upstream chart would stop far lower.
    expect(upstreamChart(base.series, base.durationMs, base.faults).yTicks.at(-1)!.label).not.toBe(ticks('run0-chart-upstream').at(-1));
    expect(ticks('run0-chart-requests')).toEqual(ticks('run1-chart-requests'));
    expect(ticks('run0-chart-latency')).toEqual(ticks('run1-chart-latency'));
  });

  it('its template and the shared chart partials never use triple-stash', () => {
    for (const url of [VARIANTS_TEMPLATE_URL, ...Object.values(PARTIAL_URLS)]) expect(readFileSync(url, 'utf8')).not.toContain('{{{');
  });
});
