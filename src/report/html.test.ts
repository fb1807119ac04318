import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { abortedRun, completedRun } from './testing.ts';
import { renderHtml, TEMPLATE_URL } from './html.ts';

describe('report.html', () => {
  const html = renderHtml(completedRun());

  it('has a row for every SLO, with measured value and threshold', () => {
    const run = completedRun();
    for (const slo of run.slos) expect(html).toContain(`data-slo="${slo.name}"`);
    expect(html.match(/<tr class="slo-(pass|fail)"/g)).toHaveLength(run.slos.length);
    expect(html).toContain('<td class="num measured">612.4ms<span class="sub miss">over by 212.4ms</span></td>');
    expect(html).toContain('<td class="num threshold">≥ 99.5 %</td>');
  });

  it('shows the verdict', () => {
    expect(html).toMatch(/id="verdict" data-verdict="fail" data-expected="pass" data-as-expected="false"/);
    expect(html).toContain('✗ FAIL</strong>');
    const twin = completedRun();
    twin.expected = 'fail';
    expect(renderHtml(twin)).toContain('✓ EXPECTED FAIL</strong>');
  });

  it('shades and labels each fault window in every chart', () => {
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html.match(/<rect class="shade"/g)).toHaveLength(3 * completedRun().faults.length);
    expect(html.match(/<text x="[\d.]+" y="[\d.]+">stripe-eu-down<\/text>/g)).toHaveLength(3);
  });

  it('draws the fine upstream chart when the result has fine bins, its figures escaped beside it', () => {
    const run = completedRun();
    const n = Math.ceil((run.series.t.length * 1000) / 10);
    run.series.upstreamFine = { binMs: 10, counts: { '<img src=x>': Array.from({ length: n }, (_, i) => (i % 20 === 0 ? 5 : 0)) } };
    const page = renderHtml(run);
    expect(page.match(/<svg class="chart"/g)).toHaveLength(4);
    expect(page).toContain('id="chart-upstream-fine"');
    expect(page).toMatch(/<ul class="chart-notes"><li>&lt;img src&#x3D;x&gt;: peak-to-mean 20\.0 \(peak 5 at 0\.00 s\), dominant period 200ms/);
    expect(page).not.toContain('<img src=x>');
  });

  it('shows the warnings prominently', () => {
    expect(html).not.toContain('id="warnings"');
    const run = completedRun();
    run.warnings = ['provider `quotes` received no request at all <check>'];
    expect(renderHtml(run)).toMatch(/id="warnings" role="alert">\s*<strong>⚠ Warnings<\/strong>\s*<p>provider &#x60;quotes&#x60; received no request at all &lt;check&gt;<\/p>/);
  });

  it('shows an aborted run prominently, with its reason', () => {
    expect(html).not.toContain('id="aborted"');
    const aborted = renderHtml(abortedRun());
    expect(aborted).toContain('id="aborted" role="alert"');
    expect(aborted).toContain('interrupted by SIGINT (Ctrl-C) at 12.4 s');
    expect(aborted).toContain('stripe-eu-down (still on)');
  });

  it('is self-contained: no reference to anything on the network', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<(script|link|img|iframe|object)\b/);
    expect(html).toContain(`content="default-src 'none'`);
  });

  it('escapes what the scenario and the providers say', () => {
    const run = completedRun();
    run.scenario.name = '<script>alert(1)</script>';
    run.scenario.description = 'a & b "quoted"';
    run.faults[0]!.fault = '<img src=x onerror=alert(1)>';
    run.series.upstream = { '<b>evil</b>': run.series.t.map(() => 1) };
    run.routerMetrics = [{ name: 'x_total', labels: { path: '"/></td><script>' }, value: 1 }];
    const out = renderHtml(run);
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>evil');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('a &amp; b &quot;quoted&quot;');
  });

  it('renders a run that measured nothing: empty charts say so, no NaN anywhere', () => {
    const run = abortedRun();
    run.durationMs = 0;
    run.series = { t: [], ok: [], status4xx: [], status5xx: [], errors: [], p50: [], p99: [], upstream: {} };
    run.load = { ...run.load, requests: 0, availability: null, throughput: 0, latency: null };
    run.slos = [];
    run.upstream = [];
    run.routerMetrics = [];
    run.faults = [];
    const out = renderHtml(run);
    expect(out.match(/>no data<\/text>/g)).toHaveLength(3);
    expect(out).toContain('This scenario declares no SLOs.');
    expect(out).not.toMatch(/NaN|Infinity|undefined/);
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('never uses triple-stash, which would skip escaping', () => {
    expect(readFileSync(TEMPLATE_URL, 'utf8')).not.toContain('{{{');
  });
});
