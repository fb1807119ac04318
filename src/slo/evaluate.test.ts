import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunData } from '../model/run.ts';
import { evaluateSlo, evaluateSlos } from './evaluate.ts';
import { parseSlo } from './parse.ts';
import { fault, req, reqs, runData, scrape, up } from './testing.ts';
import type { SloWindow } from '../model/window.ts';

const RUN: SloWindow = { kind: 'run' };

function judge(expr: string, data: RunData, window: SloWindow = RUN) {
  return evaluateSlo({ name: 'slo', expr, window }, data);
}

/** 1000 requests, one every 10 ms over 10 s, of which the 7 at positions 100…106 answered 503. */
function sevenFailures(): RunData {
  const requests = reqs(1000);
  for (let i = 100; i < 107; i++) requests[i] = { ...requests[i]!, status: 503 };
  return runData({ durationMs: 10_000, requests });
}

describe('availability and error rate', () => {
  it('is exactly 993/1000 with 7 failures in 1000, and passes at 99.3%', () => {
    const v = judge('availability >= 99.3%', sevenFailures());
    expect(v).toEqual({
      name: 'slo',
      expression: 'availability >= 99.3%',
      window: 'run',
      range: [0, 10_000],
      passed: true,
      value: 0.993,
      comparator: '>=',
      threshold: 0.993,
      unit: 'percent',
      samples: 1000,
      message: 'availability 99.3 % ≥ 99.3 % over 1,000 requests: at the limit exactly',
    });
  });

  it('fails at 99.5% and says by how much', () => {
    const v = judge('availability >= 99.5%', sevenFailures());
    expect(v.passed).toBe(false);
    expect(v.message).toBe('availability 99.3 % < 99.5 % over 1,000 requests: short by 0.2 points');
  });

  it('counts 2xx and 3xx as success by default, and 4xx, 5xx and no answer as failures', () => {
    const data = runData({ requests: [req(0, 200), req(1, 404), req(2, 429), req(3, 0), req(4, 500), req(5, 302)] });
    expect(judge('availability >= 0', data).value).toBe(2 / 6);
    expect(judge('error_rate >= 0', data).value).toBe(4 / 6);
    expect(judge('successes >= 0', data).value).toBe(2);
    expect(judge('errors >= 0', data).value).toBe(4);
  });

  it("takes each record's own verdict (`ok`, from its request's `expect`) over the default", () => {
    // A rate-limited client expects 429; a request to a path the provider does not serve gets 404 and expects 200.
    const data = runData({
      requests: [
        { ...req(0, 429, 10, 'abusive'), ok: true },
        { ...req(1, 200, 10, 'abusive'), ok: true },
        { ...req(2, 404, 10, 'wrong-path'), ok: false },
        { ...req(3, 200, 10, 'wrong-path'), ok: true },
      ],
    });
    expect(judge('availability >= 0', data).value).toBe(3 / 4);
    expect(judge('availability{route="abusive"} >= 100%', data).passed).toBe(true);
    const wrong = judge('availability{route="wrong-path"} >= 99%', data);
    expect(wrong).toMatchObject({ passed: false, value: 0.5 });
    expect(judge('errors{status="404"} == 1', data).passed).toBe(true);
  });

  it('reads a ratio compared with a plain number as a ratio', () => {
    const v = judge('availability >= 0.995', sevenFailures());
    expect(v).toMatchObject({ unit: 'ratio', passed: false, message: 'availability 0.993 < 0.995 over 1,000 requests: short by 0.002' });
  });

  it('shows enough decimals to tell a near miss from the threshold', () => {
    // 9999/10000 = 99.99 %, against 99.995 %: two decimals would print both as 99.99 or 100.
    const requests = reqs(10_000, { gap: 1 });
    requests[0] = { ...requests[0]!, status: 500 };
    const v = judge('availability >= 99.995%', runData({ requests }));
    expect(v.message).toBe('availability 99.99 % < 99.995 % over 10,000 requests: short by 0.005 points');
  });
});

describe('selectors on requests', () => {
  const data = runData({
    requests: [req(0, 200, 10, 'checkout'), req(1, 503, 10, 'checkout'), req(2, 0, 10, 'search'), req(3, 502, 10, 'search'), req(4, 201, 10, 'search')],
  });

  it('selects by route and by status class, code or `error`', () => {
    expect(judge('requests{route="checkout"} >= 0', data).value).toBe(2);
    expect(judge('requests{status="5xx"} >= 0', data).value).toBe(2);
    expect(judge('requests{status="2xx"} >= 0', data).value).toBe(2);
    expect(judge('requests{status="503"} >= 0', data).value).toBe(1);
    expect(judge('requests{status="error"} >= 0', data).value).toBe(1);
    expect(judge('requests{route="search", status!="5xx"} >= 0', data).value).toBe(2);
    expect(judge('availability{route="search"} >= 0', data).value).toBe(1 / 3);
  });

  it('says so when a selector leaves a ratio without requests', () => {
    const v = judge('availability{route="nope"} >= 99%', data);
    expect(v).toMatchObject({ value: null, passed: false, samples: 5 });
    expect(v.message).toBe('availability{route="nope"}: no requests{route="nope"} were due in the window, so availability is undefined');
  });
});

describe('latency', () => {
  // 100 requests: 98 took 100 ms and 2 took 512 ms, so the 99th percentile is 512 ms.
  const data = runData({ requests: [...reqs(98, { latency: 100 }), ...reqs(2, { start: 5000, latency: 512, route: 'slow' })] });

  it('fails p99 < 400ms by 112 ms', () => {
    const v = judge('p99(latency) < 400ms', data);
    expect(v).toMatchObject({ passed: false, value: 512, threshold: 400, unit: 'ms', samples: 100 });
    expect(v.message).toBe('p99(latency) 512ms ≥ 400ms over 100 requests: 112ms over the limit');
  });

  it('computes the other statistics', () => {
    // HDR reports a bucket's highest equivalent value: 100 ms reads as 100.031 ms (within 0.1 %).
    expect(Math.abs(judge('p50(latency) < 1s', data).value! - 100)).toBeLessThanOrEqual(0.1);
    expect(judge('max(latency) < 1s', data).value).toBe(512);
    expect(judge('min(latency) < 1s', data).value).toBe(100);
    expect(judge('mean(latency) < 1s', data).value).toBeCloseTo((98 * 100 + 2 * 512) / 100, 9);
    expect(Math.abs(judge('p99(latency{route="GET /"}) < 1s', data).value! - 100)).toBeLessThanOrEqual(0.1);
  });

  it('passes with headroom', () => {
    expect(judge('p50(latency) < 400ms', data).message).toBe('p50(latency) 100ms < 400ms over 100 requests: 300ms of headroom');
  });
});

describe('windows', () => {
  // 60 s run, one request a second; the fault is on from 20 s to 40 s and every request then fails.
  const requests = Array.from({ length: 60 }, (_, i) => req(i * 1000, i >= 20 && i < 40 ? 503 : 200));
  const data = runData({ durationMs: 60_000, requests, faults: [fault('primary-down', 20_000, 40_000), fault('never', null, null)] });

  it('counts requests by due time into the fault window', () => {
    const v = judge('error_rate < 1%', data, { kind: 'during', fault: 'primary-down' });
    expect(v).toMatchObject({ range: [20_000, 40_000], window: 'during primary-down', samples: 20, value: 1, passed: false });
  });

  it('judges the recovery after the fault', () => {
    const v = judge('error_rate < 1%', data, { kind: 'recovery', fault: 'primary-down', forMs: 10_000 });
    expect(v).toMatchObject({ range: [40_000, 50_000], window: 'recovery after primary-down (10s)', samples: 10, value: 0, passed: true });
  });

  it('fails with range null when the window never opened', () => {
    const v = judge('error_rate < 1%', data, { kind: 'during', fault: 'never' });
    expect(v).toMatchObject({ range: null, value: null, passed: false, samples: 0 });
    expect(v.message).toBe('error_rate: fault never never switched on, so there is no window to judge');
  });

  it('fails with value null when no request was due in the window', () => {
    const quiet = runData({ durationMs: 60_000, requests: reqs(5), faults: [fault('late', 30_000, 40_000)] });
    const v = judge('availability >= 99%', quiet, { kind: 'during', fault: 'late' });
    expect(v).toMatchObject({ range: [30_000, 40_000], value: null, passed: false, samples: 0 });
    expect(v.message).toBe('availability: no requests were due in the window (during late, 30s–40s), so there is nothing to judge');
  });
});

describe('throughput', () => {
  it('counts responses completed in the window per second, whenever they were due', () => {
    // 10 answered and 2 network errors due in [0, 2 s); 2 of the answers end after the window.
    const requests = [...reqs(10, { gap: 100, latency: 50 }), ...reqs(2, { start: 1000, status: 0 }), req(1500, 200, 1000), req(1600, 200, 1000)];
    const data = runData({ durationMs: 4000, requests, faults: [fault('f', 0, 2000)] });
    const v = judge('throughput >= 10/s', data, { kind: 'during', fault: 'f' });
    expect(v).toMatchObject({ value: 5, unit: 'per_second', passed: false });
    expect(v.message).toBe('throughput 5/s < 10/s over 14 requests: short by 5/s');
  });
});

describe('upstream requests', () => {
  const requests = reqs(100, { gap: 100 });
  const upstream = [
    ...Array.from({ length: 100 }, (_, i) => up(i * 100, 'weather-primary', { status: i < 30 ? 503 : 200 })),
    ...Array.from({ length: 30 }, (_, i) => up(i * 100 + 1, 'weather-backup')),
  ];
  const data = runData({ requests, upstream, faults: [fault('primary-down', 0, 3000)] });

  it('measures retry amplification against requests', () => {
    const v = judge('upstream_requests / requests <= 1.3', data);
    expect(v).toMatchObject({ value: 1.3, unit: 'ratio', samples: 100, passed: true });
    expect(v.message).toBe('upstream_requests / requests 1.3 ≤ 1.3 over 100 requests: at the limit exactly');
  });

  it('measures the share a provider took during a fault', () => {
    const v = judge('upstream_requests{provider="weather-backup"} / requests >= 90%', data, { kind: 'during', fault: 'primary-down' });
    expect(v).toMatchObject({ value: 1, samples: 30, passed: true, unit: 'percent' });
  });

  it('selects by status, and counts upstream calls as samples when no request metric is read', () => {
    const v = judge('upstream_requests{provider="weather-primary", status="5xx"} == 0', data);
    expect(v).toMatchObject({ value: 30, samples: 130, passed: false });
    expect(v.message).toBe('upstream_requests{provider="weather-primary", status="5xx"} 30 ≠ 0 over 130 upstream calls: off by 30');
  });

  it('passes `== 0` on a provider that got nothing, as long as there was upstream traffic', () => {
    const v = judge('upstream_requests{provider="adyen", region="us"} == 0', data);
    expect(v).toMatchObject({ value: 0, samples: 130, passed: true });
  });

  it('matches a missing region as the empty string, as Prometheus does', () => {
    const regional = runData({ upstream: [up(0, 'stripe', { region: 'eu' }), up(1, 'stripe')] });
    expect(judge('upstream_requests{region=""} >= 0', regional).value).toBe(1);
    expect(judge('upstream_requests{region!="eu"} >= 0', regional).value).toBe(1);
  });
});

describe('router metrics', () => {
  const scrapes = [
    scrape(0, [['failover_invocations_total', { from: 'weather-primary' }, 2], ['circuit_breaker_state', { provider: 'p' }, 0]]),
    scrape(5000, [
      ['failover_invocations_total', { from: 'weather-primary' }, 10],
      ['failover_invocations_total', { from: 'stripe' }, 4],
      ['circuit_breaker_state', { provider: 'p' }, 2],
    ]),
    scrape(10_000, [
      ['failover_invocations_total', { from: 'weather-primary' }, 25],
      ['failover_invocations_total', { from: 'stripe' }, 5],
      ['circuit_breaker_state', { provider: 'p' }, 1],
    ]),
  ];
  const data = runData({ durationMs: 10_000, requests: reqs(1000), scrapes, faults: [fault('f', 4_000, 9_000)] });

  it('takes a counter’s increase between the scrapes nearest the window edges, summed over series', () => {
    // Run window: 0 → 10 s. weather-primary rose 2 → 25; stripe appeared mid-run, so from 0 → 5.
    expect(judge('failover_invocations_total > 0', data).value).toBe(23 + 5);
    expect(judge('failover_invocations_total{from="weather-primary"} > 0', data).value).toBe(23);
    // During f (4 s → 9 s): nearest scrapes are at 5 s and 10 s.
    expect(judge('failover_invocations_total{from="weather-primary"} > 0', data, { kind: 'during', fault: 'f' }).value).toBe(15);
  });

  it('counts a counter reset from zero', () => {
    const reset = runData({ scrapes: [scrape(0, [['x_total', {}, 50]]), scrape(10_000, [['x_total', {}, 7]])] });
    expect(judge('x_total > 0', reset).value).toBe(7);
  });

  it('reads a gauge at the last scrape in the window', () => {
    expect(judge('circuit_breaker_state{provider="p"} == 1', data)).toMatchObject({ value: 1, passed: true, unit: 'count', samples: 3 });
    expect(judge('circuit_breaker_state == 2', data, { kind: 'during', fault: 'f' }).value).toBe(2);
  });

  it('counts scrapes as samples when only router metrics are read', () => {
    const v = judge('failover_invocations_total <= 20', runData({ durationMs: 10_000, scrapes }));
    expect(v).toMatchObject({ samples: 3, value: 28, passed: false });
    expect(v.message).toBe('failover_invocations_total 28 > 20 over 3 scrapes of /metrics: 8 over the limit');
  });

  it('divides a router counter by requests', () => {
    expect(judge('failover_invocations_total / requests <= 0.03', data)).toMatchObject({ value: 0.028, passed: true });
  });

  it('reports no such metric, with the closest name', () => {
    const v = judge('failover_invocation_total > 0', data);
    expect(v).toMatchObject({ value: null, passed: false });
    expect(v.message).toBe(
      'failover_invocation_total: `failover_invocation_total` is not exported by the target (no such metric in its /metrics; did you mean `failover_invocations_total`?)',
    );
  });

  it('says a metric is not exported by the target, not that there were no samples, when no scrape fell in the window', () => {
    // The only scrapes fall after the window: it has no samples, but the name is wrong anyway.
    const late = runData({ durationMs: 10_000, scrapes: [scrape(11_000, [['checkout_total', {}, 1]]), scrape(12_000, [['checkout_total', {}, 2]])] });
    const v = judge('checkout_totl > 0', late);
    expect(v).toMatchObject({ value: null, passed: false, samples: 0 });
    expect(v.message).toContain('`checkout_totl` is not exported by the target (no such metric in its /metrics; did you mean `checkout_total`?)');
    const w = judge('payments_failed_total == 0', late);
    expect(w.message).toContain('`payments_failed_total` is not exported by the target');
    expect(w.message).not.toMatch(/no scrape|nothing to judge/);
  });

  it('counts a declared counter that never moved as zero, not as missing', () => {
    // prom-client prints only `# TYPE` for a labelled counter before its first increment.
    const quiet = runData({ durationMs: 10_000, scrapes: [0, 5_000, 10_000].map((t) => ({ ...scrape(t, []), declared: ['failover_invocations_total'] })) });
    expect(judge('failover_invocations_total{from="stripe"} == 0', quiet)).toMatchObject({ value: 0, passed: true });
    expect(judge('failover_invocation_total == 0', quiet)).toMatchObject({ value: null, passed: false });
  });

  it('reports a label the metric never carries instead of counting zero', () => {
    const v = judge('failover_invocations_total{form="stripe"} == 0', data);
    expect(v).toMatchObject({ value: null, passed: false });
    expect(v.message).toContain('has no label `form` (labels seen: from); did you mean `from`?');
  });

  it('counts a missing labelled series of a known counter as zero increase', () => {
    expect(judge('failover_invocations_total{from="adyen"} == 0', data)).toMatchObject({ value: 0, passed: true });
  });

  it('says when the target exposes no metrics at all', () => {
    const v = judge('retry_attempts_total / requests < 0.3', runData({ requests: reqs(10) }));
    expect(v.value).toBeNull();
    expect(v.message).toContain('the target exposed no /metrics');
  });

  it('refuses an increase when one scrape is nearest both edges', () => {
    const sparse = runData({ durationMs: 10_000, requests: reqs(1000), scrapes: [scrape(5000, [['x_total', {}, 1]])] });
    expect(judge('x_total > 0', sparse).message).toContain('needs two scrapes around the window');
  });
});

describe('evaluateSlo: inputs and edge cases', () => {
  it('accepts a parsed tree and prints it as the expression', () => {
    const parsed = parseSlo('p999(latency)<2s');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const v = evaluateSlo({ name: 'tail', expr: parsed.expr, window: RUN }, runData({ requests: reqs(10) }));
    expect(v).toMatchObject({ expression: 'p99.9(latency) < 2000ms', passed: true, value: 10 });
    expect(v.message).toBe('p99.9(latency) 10ms < 2s over 10 requests: 1.99s of headroom');
  });

  it('fails an expression that does not parse, with where and why', () => {
    const v = judge('availabilty >= 99%', runData({ requests: reqs(10) }));
    expect(v).toMatchObject({ passed: false, value: null, range: null, expression: 'availabilty >= 99%' });
    expect(v.message).toBe('invalid SLO expression at offset 0: expected a metric, found `availabilty`, which faultline does not measure; did you mean `availability`?');
  });

  it('says which divisor was zero', () => {
    const v = judge('upstream_requests / requests{route="x"} < 2', runData({ requests: reqs(10) }));
    expect(v.value).toBeNull();
    expect(v.message).toBe('upstream_requests / requests{route="x"}: `requests{route="x"}` is 0 in the window, so `upstream_requests / requests{route="x"}` is undefined');
  });

  it('judges every SLO in order', () => {
    const vs = evaluateSlos(
      [
        { name: 'a', expr: 'availability >= 99%', window: RUN },
        { name: 'b', expr: 'requests > 2000', window: RUN },
      ],
      sevenFailures(),
    );
    expect(vs.map((v) => [v.name, v.passed])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});

describe('availability, as a property', () => {
  it('lies in [0, 1] and adds up to 1 with the error rate', () => {
    const status = fc.constantFrom(0, 200, 204, 301, 404, 429, 500, 503);
    fc.assert(
      fc.property(fc.array(status, { minLength: 1, maxLength: 300 }), (statuses) => {
        const data = runData({ requests: statuses.map((s, i) => req(i, s)) });
        const a = judge('availability >= 0', data).value!;
        const e = judge('error_rate >= 0', data).value!;
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
        expect(a + e).toBeCloseTo(1, 12);
        expect(a).toBe(statuses.filter((s) => s >= 200 && s < 400).length / statuses.length);
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});
