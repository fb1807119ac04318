/**
 * Hand-made RunResults for the reporters' tests and for previewing the report: a 20 s payments
 * run with Stripe's EU region down from 5 s to 15 s (and Adyen slowed inside that window), one
 * SLO missed. Deterministic: no RNG, the per-second wobble is arithmetic.
 */
import { RESULT_FORMAT_VERSION, type RunResult, type RunSeries } from '../model/result.ts';

const SECONDS = 20;
const OUTAGE = { on: 5012, off: 15009 };

function wobble(i: number, spread: number): number {
  return ((i * 37) % 7) - 3 === 0 ? 0 : (((i * 37) % 7) - 3) * spread;
}

function makeSeries(): RunSeries {
  const t = Array.from({ length: SECONDS }, (_, i) => i);
  const during = (i: number) => i >= 5 && i < 15;
  // The breaker needs a second or two to open: 5xx and a latency spike cluster at the outage's start.
  const status5xx = t.map((i) => (i === 5 ? 2 : i === 6 ? 1 : 0));
  const errors = t.map((i) => (i === 5 ? 1 : 0));
  const status4xx = t.map((i) => (i % 6 === 2 ? 1 : 0));
  const total = t.map((i) => 50 + wobble(i, 1));
  const ok = t.map((i) => total[i]! - status5xx[i]! - errors[i]! - status4xx[i]!);
  const p50 = t.map((i) => (during(i) ? 38 + wobble(i, 2) : 14 + wobble(i, 0.5)));
  const p99 = t.map((i) => (i === 5 ? 612.4 : i === 6 ? 480 : during(i) ? 220 + wobble(i, 15) : 61 + wobble(i, 3)));
  const p95 = t.map((i) => (i === 5 ? 420 : i === 6 ? 300 : during(i) ? 120 + wobble(i, 8) : 38 + wobble(i, 2)));
  // The breaker opens a second into the outage, probes half-open every 3 s and fails, closes a second after it ends.
  const stripeEuBreaker = t.map((i) => (i < 6 ? 0 : i < 16 ? ((i - 6) % 3 === 2 ? 2 : 1) : 0));
  const fast = (ms: number) => t.map((i) => ms + wobble(i, ms / 20));
  const stripeEu = t.map((i) => (i === 5 ? 31 : i === 6 ? 6 : during(i) ? (i % 3 === 0 ? 1 : 0) : 25 + wobble(i, 1)));
  const adyenEu = t.map((i) => (i === 5 ? 14 : during(i) ? 26 + wobble(i, 1) : 0));
  const stripeUs = t.map((i) => 25 + wobble(i, 1));
  return {
    t,
    ok,
    status4xx,
    status5xx,
    errors,
    p50,
    p95,
    p99,
    upstream: { 'adyen@eu': adyenEu, 'stripe@eu': stripeEu, 'stripe@us': stripeUs },
    upstreamLatency: {
      'adyen@eu': { p50: t.map((i) => (adyenEu[i]! > 0 ? (i >= 8 && i < 12 ? 160 : 9) : null)), p99: t.map((i) => (adyenEu[i]! > 0 ? (i >= 8 && i < 12 ? 205 : 21) : null)) },
      'stripe@eu': { p50: t.map((i) => (stripeEu[i]! > 0 ? (during(i) ? 1.2 : 11) : null)), p99: t.map((i) => (stripeEu[i]! > 0 ? (during(i) ? 3 : 26) : null)) },
      'stripe@us': { p50: fast(11), p99: fast(25) },
    },
    router: {
      breakers: { 'adyen@eu': t.map(() => 0), 'stripe@eu': stripeEuBreaker, 'stripe@us': t.map(() => 0) },
      actions: {
        retries: t.map((i) => (i === 5 ? 22 : i === 6 ? 9 : during(i) && stripeEuBreaker[i] === 2 ? 1 : 0)),
        failovers: t.map((i) => (during(i) ? 25 + wobble(i, 1) : 0)),
        fallbacks: t.map((i) => (i === 5 ? 3 : 0)),
        shed: t.map(() => 0),
        rate_limited: t.map(() => 0),
      },
    },
  };
}

/** A router histogram's series as a scrape shows them: cumulative counts per bucket bound (DURATION_BUCKETS and +Inf), `_sum` and `_count`. */
function histogram(name: string, labels: Record<string, string>, cumulative: number[], sum: number): RunResult['routerMetrics'] {
  const bounds = ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  return [
    ...bounds.map((le, i) => ({ name: `${name}_bucket`, labels: { ...labels, le }, value: cumulative[i]! })),
    { name: `${name}_sum`, labels, value: sum },
    { name: `${name}_count`, labels, value: cumulative.at(-1)! },
  ];
}

/** A completed run that failed one SLO (p99 during the outage), every other SLO held. */
export function completedRun(): RunResult {
  const series = makeSeries();
  const requests = series.t.reduce((n, i) => n + series.ok[i]! + series.status4xx[i]! + series.status5xx[i]! + series.errors[i]!, 0);
  const good = series.ok.reduce((a, b) => a + b, 0) + series.status4xx.reduce((a, b) => a + b, 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    formatVersion: RESULT_FORMAT_VERSION,
    runId: '20250314T101500Z-7f3a9c',
    mode: 'live',
    scenario: {
      name: 'payments-eu-outage',
      file: 'scenarios/payments-eu-outage.yaml',
      description: "Stripe's EU region answers 503 for 10 s: EU payments must move to Adyen within 5 s while US payments stay on Stripe.",
      source: {
        text: [
          'name: payments-eu-outage',
          "description: Stripe's EU region answers 503 for 10 s",
          'target: { router: ../fixtures/routers/payments.yaml }',
          'providers:',
          '  - { name: stripe, fixture: payments, regions: [eu, us] }',
          '  - { name: adyen, fixture: payments, regions: [eu] }',
          'load: { model: open, rate: 50/s, arrival: poisson, duration: 30s }',
          'faults:',
          '  - { name: stripe-eu-down, kind: error, status: 503, target: { provider: stripe, region: eu }, from: 5s, to: 15s }',
          '  - { name: adyen-slow, layer: network, kind: latency, latency: 150ms, jitter: 50ms, target: { provider: adyen, region: eu }, from: 8s, to: 12s }',
          'slos:',
          '  - { name: availability, expr: availability >= 99.5% }',
          '  - { name: p99 latency during outage, expr: p99(latency) < 400ms, window: { during: stripe-eu-down } }',
          '',
        ].join('\n'),
        overrides: { duration: '20s' },
      },
    },
    startedAt: '2025-03-14T10:15:00.000Z',
    durationMs: SECONDS * 1000,
    status: 'completed',
    verdict: 'fail',
    expected: 'pass',
    slos: [
      {
        name: 'availability',
        expression: 'availability >= 99.5%',
        window: 'run',
        range: [0, 20000],
        passed: true,
        value: good / requests,
        comparator: '>=',
        threshold: 0.995,
        unit: 'percent',
        samples: requests,
        message: `availability ${((good / requests) * 100).toFixed(2)} % ≥ 99.5 %`,
      },
      {
        name: 'p99 latency during outage',
        expression: 'p99(latency) < 400ms',
        window: 'during stripe-eu-down',
        range: [OUTAGE.on, OUTAGE.off],
        passed: false,
        value: 612.4,
        comparator: '<',
        threshold: 400,
        unit: 'ms',
        samples: 497,
        message: 'p99(latency) 612.4ms ≥ 400ms (over by 212.4ms)',
      },
      {
        name: 'EU failover time',
        expression: 'failover_time(stripe@eu -> adyen@eu) < 5s',
        window: 'during stripe-eu-down',
        range: [OUTAGE.on, OUTAGE.off],
        passed: true,
        value: 1830,
        comparator: '<',
        threshold: 5000,
        unit: 'ms',
        samples: 260,
        message: 'failover took 1.83s < 5s',
      },
      {
        name: 'US stays on Stripe',
        expression: 'share(upstream stripe@us, region us) >= 100%',
        window: 'run',
        range: [0, 20000],
        passed: true,
        value: 1,
        comparator: '>=',
        threshold: 1,
        unit: 'percent',
        samples: sum(series.upstream['stripe@us']!),
        message: 'share 100 % ≥ 100 %',
      },
      {
        name: 'retry amplification',
        expression: 'upstream_amplification <= 1.3',
        window: 'run',
        range: [0, 20000],
        passed: true,
        value: 1.04,
        comparator: '<=',
        threshold: 1.3,
        unit: 'ratio',
        samples: 1040,
        message: 'amplification 1.04 ≤ 1.3',
      },
      {
        name: 'recovery p99',
        expression: 'p99(latency) < 250ms',
        window: 'recovery after stripe-eu-down (5s)',
        range: [OUTAGE.off, 20000],
        passed: true,
        value: 64,
        comparator: '<',
        threshold: 250,
        unit: 'ms',
        samples: 249,
        message: 'p99(latency) 64ms < 250ms',
      },
    ],
    load: {
      model: 'open',
      rate: 50,
      arrival: 'poisson',
      requests,
      availability: good / requests,
      throughput: requests / SECONDS,
      latency: { p50: 19.2, p90: 58, p99: 240.5, p999: 598, max: 1204.7, mean: 31.6 },
    },
    providers: [
      { name: 'adyen', region: 'eu', kind: 'fixture', fixture: 'payments', url: 'http://127.0.0.1:40001', listen: '127.0.0.1:40001', env: 'FAULTLINE_PROVIDER_ADYEN_EU_URL', requests: sum(series.upstream['adyen@eu']!) },
      { name: 'stripe', region: 'eu', kind: 'fixture', fixture: 'payments', url: 'http://127.0.0.1:40002', listen: '127.0.0.1:40002', env: 'FAULTLINE_PROVIDER_STRIPE_EU_URL', requests: sum(series.upstream['stripe@eu']!) },
      { name: 'stripe', region: 'us', kind: 'fixture', fixture: 'payments', url: 'http://127.0.0.1:40003', listen: '127.0.0.1:40003', env: 'FAULTLINE_PROVIDER_STRIPE_US_URL', requests: sum(series.upstream['stripe@us']!) },
    ],
    warnings: [],
    upstream: [
      { provider: 'adyen', region: 'eu', endpoint: 'POST /payments', requests: sum(series.upstream['adyen@eu']!), byStatus: { '200': sum(series.upstream['adyen@eu']!) - 2, '500': 2 } },
      { provider: 'stripe', region: 'eu', endpoint: 'POST /v1/charges', requests: sum(series.upstream['stripe@eu']!), byStatus: { '200': 250, '503': sum(series.upstream['stripe@eu']!) - 250 } },
      { provider: 'stripe', region: 'us', endpoint: 'POST /v1/charges', requests: sum(series.upstream['stripe@us']!), byStatus: { '200': sum(series.upstream['stripe@us']!) } },
    ],
    faults: [
      { fault: 'stripe-eu-down', layer: 'http', kind: 'error', scheduledOn: 5000, on: OUTAGE.on, scheduledOff: 15000, off: OUTAGE.off, label: 'stripe@eu 503' },
      { fault: 'adyen-slow', layer: 'network', kind: 'latency', scheduledOn: 8000, on: 8004, scheduledOff: 12000, off: 12003, label: 'adyen@eu latency 150ms ± 50ms' },
    ],
    series,
    routerMetrics: [
      { name: 'retry_attempts_total', labels: { provider: 'stripe', region: 'eu' }, value: 38 },
      { name: 'retry_attempts_total', labels: { provider: 'adyen', region: 'eu' }, value: 2 },
      { name: 'circuit_breaker_state', labels: { provider: 'stripe', region: 'eu' }, value: 0 },
      { name: 'circuit_breaker_state', labels: { provider: 'adyen', region: 'eu' }, value: 0 },
      { name: 'failover_invocations_total', labels: { from: 'stripe@eu', to: 'adyen@eu' }, value: 258 },
      { name: 'provider_cost_total', labels: { provider: 'stripe@eu', currency: 'EUR' }, value: 7.25 },
      { name: 'provider_cost_total', labels: { provider: 'stripe@us', currency: 'EUR' }, value: 14.44 },
      { name: 'provider_cost_total', labels: { provider: 'adyen@eu', currency: 'EUR' }, value: 9.1 },
      { name: 'provider_cost_extra_total', labels: { provider: 'adyen@eu', currency: 'EUR' }, value: 1.73 },
      { name: 'process_uptime_seconds', labels: {}, value: 21.3 },
      ...histogram('router_request_duration_seconds', { route: '/payments', provider: 'adyen@eu', outcome: 'success' }, [0, 0, 10, 60, 180, 240, 250, 258, 260, 260, 260, 260, 260, 260], 31.2),
      ...histogram('router_request_duration_seconds', { route: '/payments', provider: 'stripe@eu', outcome: 'success' }, [0, 0, 40, 150, 240, 248, 250, 250, 250, 250, 250, 250, 250, 250], 3.9),
    ],
    environment: {
      node: 'v24.21.0',
      toxiproxy: 'embedded (toxiproxy-compatible)',
      seed: 42,
      host: 'ci-runner-1',
      hostLoad: { cpus: 2, start: [0.41, 0.52, 0.5], end: [0.93, 0.61, 0.53] },
      driverLag: { p50: 0.08, p99: 0.9, max: 3.1 },
    },
  };
}

/** The same run stopped by Ctrl-C at 12.4 s: the outage never switched off. */
export function abortedRun(): RunResult {
  const run = completedRun();
  const keep = 13;
  const s = run.series;
  const cut = <T>(xs: T[]) => xs.slice(0, keep);
  run.series = {
    t: cut(s.t),
    ok: cut(s.ok),
    status4xx: cut(s.status4xx),
    status5xx: cut(s.status5xx),
    errors: cut(s.errors),
    p50: cut(s.p50),
    p95: cut(s.p95!),
    p99: cut(s.p99),
    upstream: Object.fromEntries(Object.entries(s.upstream).map(([k, v]) => [k, cut(v)])),
    upstreamLatency: Object.fromEntries(Object.entries(s.upstreamLatency!).map(([k, v]) => [k, { p50: cut(v.p50), p99: cut(v.p99) }])),
    router: {
      breakers: Object.fromEntries(Object.entries(s.router!.breakers).map(([k, v]) => [k, cut(v)])),
      actions: Object.fromEntries(Object.entries(s.router!.actions).map(([k, v]) => [k, cut(v)])),
    },
  };
  run.status = 'aborted';
  run.abortReason = 'interrupted by SIGINT (Ctrl-C) at 12.4 s';
  run.durationMs = 12_400;
  run.faults = run.faults.map((f) => (f.fault === 'stripe-eu-down' ? { ...f, off: null } : f));
  return run;
}
