import { describe, expect, it } from 'vitest';
import { formatIssues } from '../config/issues.ts';
import { parseRouterConfig } from '../router/load.ts';
import { parseScenario, type ScenarioContext } from './load.ts';

const ROUTER = `name: pay
providers:
  stripe: { regions: { eu: { url: http://127.0.0.1:9001 }, us: { url: http://127.0.0.1:9002 } } }
  adyen: { url: http://127.0.0.1:9003 }
routes:
  - match: /pay
    upstreams: [stripe@eu, adyen]
`;

const ctx = (router = ROUTER): ScenarioContext => ({ fileExists: () => true, routerConfig: (p) => parseRouterConfig(router, p) });

const scenario = (providers: string, slos = '  - { name: a, expr: availability >= 99% }') => `name: s
target: { router: pay.yaml }
providers:
${providers}
load:
  rate: 10/s
  duration: 5s
  requests: [{ path: /pay }]
slos:
${slos}
`;

const lines = (text: string, c = ctx()) => {
  const r = parseScenario(text, 's.yaml', c);
  return r.ok ? [] : formatIssues(r.issues).split('\n');
};

describe('validate: the router config against the scenario', () => {
  it('accepts providers and regions that match both ways', () => {
    expect(lines(scenario('  - { name: stripe, fixture: payments, regions: [eu, us] }\n  - { name: adyen, fixture: payments }'))).toEqual([]);
  });

  it('reports a provider the router calls that the scenario lacks, and one the router never calls', () => {
    const out = lines(scenario('  - { name: stripe, fixture: payments, regions: [eu, us] }\n  - { name: adyn, fixture: payments }'));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^s\.yaml:4:3 +providers +the router config calls provider `adyen` \(pay\.yaml:4\), which this scenario does not declare \(did you mean `adyn`\?\): without it the router calls the URL in its config/);
    expect(out[1]).toMatch(/^s\.yaml:5:13 +providers\[1\]\.name +the router config \(pay\.yaml\) never calls provider `adyn` \(did you mean `adyen`\?\)/);
  });

  it('reports regions that do not match, at the regions', () => {
    const out = lines(scenario('  - { name: stripe, fixture: payments, regions: [eu, asia] }\n  - { name: adyen, fixture: payments, regions: [eu] }'));
    expect(out.join('\n')).toContain('s.yaml:4:49  providers[0].regions  the router config calls `stripe@us` (pay.yaml:3)');
    expect(out.join('\n')).toContain('s.yaml:4:54  providers[0].regions[1]  the router config has no region `asia` of provider `stripe`');
    expect(out.join('\n')).toContain("s.yaml:5:48  providers[1].regions  the router config's provider `adyen` (pay.yaml:4) has no regions");
  });

  it("reports the router config's own issues in the router file", () => {
    const out = lines(scenario('  - { name: adyen, fixture: payments }'), ctx('name: pay\nproviders: { adyen: { url: http://x:1 } }\nroutes:\n  - { match: /pay, upstreams: [adyen, stripe], retrys: 3 }\n'));
    expect(out.some((l) => /^.*pay\.yaml:4:\d+ +routes\[0\]\.retrys +unknown field `retrys`/.test(l))).toBe(true);
  });
});

describe('validate: SLO metric names against what the target exports', () => {
  const providers = '  - { name: stripe, fixture: payments, regions: [eu, us] }\n  - { name: adyen, fixture: payments }';

  it("knows the reference router's metrics and their labels", () => {
    const out = lines(
      scenario(
        providers,
        [
          `  - { name: a, expr: 'failover_invocations_total{reason="timeout"} <= 3' }`,
          `  - { name: b, expr: 'retry_attempt_total / requests < 50%' }`,
          `  - { name: c, expr: 'circuit_breaker_state{provder="stripe"} == 0' }`,
          `  - { name: d, expr: 'router_request_duration_seconds_count{outcome="fallback"} == 0' }`,
        ].join('\n'),
      ),
    );
    expect(out).toEqual([
      's.yaml:12:22  slos[1].expr  `retry_attempt_total` is not exported by the target (the reference router\'s /metrics has no such metric); did you mean `retry_attempts_total`?',
      's.yaml:13:22  slos[2].expr  `circuit_breaker_state` has no label `provder` (did you mean `provider`?) (expected one of: provider, region)',
    ]);
  });

  it('cannot know the metrics of a service with a metrics endpoint before it runs, and refuses them without one', () => {
    const own = (target: string) => `name: s
target: ${target}
providers: [{ name: p, url: http://127.0.0.1:12111 }]
load: { rate: 10/s, duration: 5s, requests: [{ path: / }] }
slos: [{ name: a, expr: checkout_failures_total == 0 }]
`;
    expect(lines(own('{ url: http://127.0.0.1:8080, metrics: /metrics }'))).toEqual([]);
    expect(lines(own('{ url: http://127.0.0.1:8080 }'))).toEqual([
      's.yaml:5:25  slos[0].expr  `checkout_failures_total` is not a built-in metric, and the target has no metrics endpoint to read it from (add `target.metrics: /metrics` for a service that exports Prometheus metrics)',
    ]);
  });
});

describe('validate: the metrics report.metrics names', () => {
  const providers = '  - { name: stripe, fixture: payments, regions: [eu, us] }\n  - { name: adyen, fixture: payments }';

  it('takes a router series or histogram family, and names a misspelt one with a suggestion', () => {
    const text = `${scenario(providers)}report:\n  metrics: [router_request_duration_seconds, provider_cost_total, retry_attempt_total]\n`;
    expect(lines(text)).toEqual([
      "s.yaml:13:67  report.metrics[2]  `retry_attempt_total` is not exported by the target (the reference router's /metrics has no such metric); did you mean `retry_attempts_total`?",
    ]);
  });

  it('refuses them for a target without a metrics endpoint, and leaves them to run time for one with it', () => {
    const own = (target: string) => `name: s
target: ${target}
providers: [{ name: p, url: http://127.0.0.1:12111 }]
load: { rate: 10/s, duration: 5s, requests: [{ path: / }] }
slos: [{ name: a, expr: availability >= 99% }]
report: { metrics: [queue_depth] }
`;
    expect(lines(own('{ url: http://127.0.0.1:8080, metrics: /metrics }'))).toEqual([]);
    expect(lines(own('{ url: http://127.0.0.1:8080 }'))).toEqual([
      's.yaml:6:21  report.metrics[0]  `queue_depth` cannot be charted: the target has no metrics endpoint to read it from (add `target.metrics: /metrics` for a service that exports Prometheus metrics)',
    ]);
  });
});
