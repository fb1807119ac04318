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

  // requests, error rate, latency, upstream requests, upstream latency, breaker states, router actions
  const CHARTS = 7;

  it('shades and labels each fault window in every chart, with what the fault did', () => {
    expect(html.match(/<svg class="chart"/g)).toHaveLength(CHARTS);
    expect(html.match(/<rect class="shade"/g)).toHaveLength(CHARTS * completedRun().faults.length);
    expect(html.match(/<text x="[\d.]+" y="[\d.]+">stripe-eu-down: stripe@eu 503<\/text>/g)).toHaveLength(CHARTS);
    expect(html).toContain('>adyen-slow: adyen@eu latency 150ms ± 50ms</text>');
  });

  it('says what broke and when in one sentence', () => {
    expect(html).toMatch(
      /id="verdict-banner" role="status"><strong>FAIL<\/strong><span>— 1 of 6 SLOs broke during stripe-eu-down \(stripe@eu 503, 5\.0 s–15\.0 s\): p99 latency during outage 612\.4ms ≥ 400ms<\/span>/,
    );
  });

  it('draws each latency SLO as a threshold over its window on the latency chart, and availability on the error-rate chart', () => {
    const latency = html.slice(html.indexOf('id="chart-latency"'), html.indexOf('</figure>', html.indexOf('id="chart-latency"')));
    expect(latency.match(/<g class="threshold( failed)?">/g)).toHaveLength(2);
    expect(latency).toContain('<g class="threshold failed">');
    expect(latency).toContain('p99(latency) &lt; 400ms ✗</text>');
    expect(latency).toMatch(/p95<\/li>/);
    const errors = html.slice(html.indexOf('id="chart-error-rate"'), html.indexOf('</figure>', html.indexOf('id="chart-error-rate"')));
    expect(errors).toContain('availability &gt;&#x3D; 99.5%</text>');
  });

  it('draws each breaker as a row of states, and the router actions that happened', () => {
    const band = html.slice(html.indexOf('id="chart-breakers"'), html.indexOf('</figure>', html.indexOf('id="chart-breakers"')));
    expect(band.match(/<g class="state-row"/g)).toHaveLength(3);
    expect(band).toMatch(/<g class="state-row" data-row="stripe@eu">(\s*<rect class="state (closed|open|half-open)")+/);
    expect(band).toContain('<title>stripe@eu: open 6 s – 8 s</title>');
    const actions = html.slice(html.indexOf('id="chart-router-actions"'), html.indexOf('</figure>', html.indexOf('id="chart-router-actions"')));
    expect(actions).toContain('none during the run: shed, rate-limit refusals');
    expect(actions.match(/<path class="line"/g)).toHaveLength(3);
  });

  it('summarises histograms as percentiles instead of listing buckets, and shows share and cost by provider', () => {
    expect(html).not.toContain('le=&quot;0.25&quot;');
    expect(html).toMatch(/route&#x3D;&quot;\/payments&quot;, provider&#x3D;&quot;adyen@eu&quot;, outcome&#x3D;&quot;success&quot;<\/td><td class="num">260<\/td><td class="num">120ms<\/td>/);
    expect(html).toMatch(/<tr data-provider="stripe@us"><td><strong>stripe@us<\/strong><\/td><td class="num">498<\/td><td class="num">48\.2 %<\/td>.*<td class="num">14\.44 EUR<\/td>/);
  });

  it('shows the scenario as run and the environment with host load and driver lag', () => {
    expect(html).toContain('<li><code>--duration 20s</code></li>');
    expect(html).toContain('name: payments-eu-outage\n');
    expect(html).toContain('0.41 / 0.52 / 0.50 → 0.93 / 0.61 / 0.53 on 2 CPUs');
  });

  it('draws the fine upstream chart when the result has fine bins, its figures escaped beside it', () => {
    const run = completedRun();
    const n = Math.ceil((run.series.t.length * 1000) / 10);
    run.series.upstreamFine = { binMs: 10, counts: { '<img src=x>': Array.from({ length: n }, (_, i) => (i % 20 === 0 ? 5 : 0)) } };
    const page = renderHtml(run);
    expect(page.match(/<svg class="chart"/g)).toHaveLength(CHARTS + 1);
    expect(page).toContain('id="chart-upstream-fine"');
    expect(page).toMatch(/<ul class="chart-notes"><li>&lt;img src&#x3D;x&gt;: peak-to-mean 20\.0 \(peak 5 at 0\.00 s\), dominant period 200ms/);
    expect(page).not.toContain('<img src=x>');
  });

  it('names endpoints by the paths called, the fixture pattern that matched beneath', () => {
    const run = completedRun();
    run.upstream[0] = { ...run.upstream[0]!, endpoint: 'GET /api/*', paths: [{ path: 'GET /api/users/7', requests: 200 }, { path: 'GET /api/orders', requests: 47 }], otherPaths: 3 };
    const out = renderHtml(run);
    expect(out).toContain('<code>GET /api/users/7</code> <span class="muted">×200</span><br><code>GET /api/orders</code> <span class="muted">×47</span><br><span class="muted">and 3 other paths</span>');
    expect(out).toContain("matched by the fixture's <code>GET /api/*</code>");
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
    expect(aborted).toContain('stripe-eu-down: stripe@eu 503 (still on)');
    expect(aborted).toMatch(/<strong>ABORTED<\/strong><span>— interrupted by SIGINT \(Ctrl-C\) at 12\.4 s, after 12\.4 s; the SLOs cannot vouch for a run cut short, and 1 of 6 SLOs had already broken during stripe-eu-down/);
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
    run.routerMetrics = [
      { name: 'x_total', labels: { path: '"/></td><script>' }, value: 1 },
      { name: 'h_bucket', labels: { route: '<script>x</script>', le: '+Inf' }, value: 3 },
      { name: 'provider_cost_total', labels: { provider: '<svg onload=alert(1)>', currency: '<i>EUR</i>' }, value: 2 },
    ];
    run.faults[0]!.label = '</text><script>alert(2)</script>';
    run.slos[1]!.name = '<img src=y onerror=alert(3)>';
    run.scenario.source = { text: 'name: x\ndescription: </code></pre><script>alert(4)</script>\n', overrides: { seed: 1 }, variant: { name: '<u>v</u>', set: { '<a>': '</li><script>' } } };
    run.series.router!.breakers = { '<script>b</script>': run.series.t.map(() => 1) };
    run.series.router!.metrics = { 'm{l="<script>"}': run.series.t.map(() => 1) };
    const out = renderHtml(run);
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<svg onload');
    expect(out).not.toContain('<i>EUR');
    expect(out).not.toContain('<u>v');
    expect(out).not.toContain('<b>evil');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('a &amp; b &quot;quoted&quot;');
  });

  it('renders a run that measured nothing: empty charts say so, no NaN anywhere', () => {
    const run = abortedRun();
    run.durationMs = 0;
    run.series = { t: [], ok: [], status4xx: [], status5xx: [], errors: [], p50: [], p99: [], upstream: {} };
    delete run.scenario.source;
    run.load = { ...run.load, requests: 0, availability: null, throughput: 0, latency: null };
    run.slos = [];
    run.upstream = [];
    run.routerMetrics = [];
    run.faults = [];
    const out = renderHtml(run);
    // requests, error rate, latency, upstream: the charts a run without router series or upstream latency has.
    expect(out.match(/>no data<\/text>/g)).toHaveLength(4);
    expect(out).toContain('This scenario declares no SLOs.');
    expect(out).not.toMatch(/NaN|Infinity|undefined/);
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('never uses triple-stash, which would skip escaping', () => {
    expect(readFileSync(TEMPLATE_URL, 'utf8')).not.toContain('{{{');
  });
});
