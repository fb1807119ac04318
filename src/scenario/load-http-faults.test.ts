/** Loading HTTP faults and provider capacities: each kind normalised, the checks a schema cannot express (their definitions are in src/model/faults/http/), and each kind's plan step (the planner's own tests: src/faults/plan.test.ts). */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../config/issues.ts';
import { planHttp } from '../model/faults/index.ts';
import { readScenarioFile, parseScenario, type ScenarioLoaded } from './load.ts';
import type { FaultSpec } from '../model/faults/index.ts';
import type { Scenario } from '../model/scenario.ts';

const anyFile = { fileExists: () => true };
const brief = (issues: ConfigIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);

function ok(r: ScenarioLoaded): Scenario {
  if (!r.ok) throw new Error(`expected a valid scenario, got:\n${brief(r.issues).join('\n')}`);
  return r.scenario;
}
function issues(r: ScenarioLoaded): ConfigIssue[] {
  if (r.ok) throw new Error('expected issues, got a valid scenario');
  return r.issues;
}

/** A scenario with a capacity-limited `pay` provider, an unlimited `joke` one, and these fault lines (line 8 on). */
function withFaults(faults: string[]): string {
  return [
    'name: s',
    'target: {url: "http://127.0.0.1:8080"}',
    'providers:',
    '  - {name: pay, fixture: payments, regions: [us, eu], capacity: {concurrency: 4, queue: 50, serviceTime: {distribution: lognormal, p50: 20ms, p99: 120ms}}}',
    '  - {name: joke, fixture: joke}',
    'load: {rate: 10, duration: 20s, requests: [{path: /}]}',
    'faults:',
    ...faults.map((f) => `  - ${f}`),
    'slos: [{name: a, expr: availability > 1%}]',
  ].join('\n');
}

const parse = (faults: string[]) => parseScenario(withFaults(faults), 's.yaml', anyFile);

describe('HTTP faults in the scenario', () => {
  it('normalises every kind, its delay distribution, its request match and a provider capacity', () => {
    const s = ok(
      parse([
        '{name: l1, target: {provider: joke}, layer: http, kind: latency, latency: 800ms, jitter: 100ms}',
        '{name: l2, target: {provider: pay, region: eu, match: {headers: {x-tier: free}, body: {currency: usd, customer.vip: false, amount: 100}}}, layer: http, kind: latency, latency: {distribution: lognormal, p50: 20ms, p99: 120ms}, rate: 50%}',
        '{name: h, target: {provider: joke, route: /joke}, layer: http, kind: hang, rate: 5%}',
        '{name: t1, target: {provider: joke}, layer: http, kind: truncate}',
        '{name: t2, target: {provider: joke}, layer: http, kind: truncate, bytes: 10}',
        '{name: m, target: {provider: joke}, layer: http, kind: malformed, style: garbage}',
        '{name: c, target: {provider: joke}, layer: http, kind: content_type, status: 502}',
        '{name: sh, target: {provider: joke}, layer: http, kind: slow_headers, delay: {distribution: pareto, scale: 100ms, shape: 1.5, cap: 10s}}',
        '{name: sb, target: {provider: joke}, layer: http, kind: slow_body, delay: {distribution: uniform, min: 1s, max: 2s}}',
        '{name: b, target: {provider: pay, region: eu}, layer: http, kind: capacity, concurrency: 1, from: 5s, to: 10s}',
        '{name: n, target: {provider: joke}, layer: http, kind: slow_headers, delay: {distribution: normal, mean: 100ms, stddev: 20ms}}',
      ]),
    );
    expect(s.providers[0]!.capacity).toEqual({ concurrency: 4, queue: 50, serviceTime: { distribution: 'lognormal', p50: 20, p99: 120 } });
    expect(s.providers[1]!.capacity).toBeUndefined();
    const common = (name: string, target: FaultSpec['target'], fromMs = 0, toMs = 20_000) => ({ name, target, fromMs, toMs, layer: 'http' });
    expect(s.faults).toEqual([
      { ...common('l1', { provider: 'joke' }), kind: 'latency', delay: { distribution: 'uniform', min: 700, max: 900 }, rate: 1 },
      {
        ...common('l2', { provider: 'pay', region: 'eu', match: { headers: { 'x-tier': 'free' }, body: { currency: 'usd', 'customer.vip': false, amount: 100 } } }),
        kind: 'latency',
        delay: { distribution: 'lognormal', p50: 20, p99: 120 },
        rate: 0.5,
      },
      { ...common('h', { provider: 'joke', route: '/joke' }), kind: 'hang', rate: 0.05 },
      { ...common('t1', { provider: 'joke' }), kind: 'truncate', fraction: 0.5, rate: 1 },
      { ...common('t2', { provider: 'joke' }), kind: 'truncate', bytes: 10, rate: 1 },
      { ...common('m', { provider: 'joke' }), kind: 'malformed', style: 'garbage', rate: 1 },
      { ...common('c', { provider: 'joke' }), kind: 'content_type', contentType: 'text/html; charset=utf-8', status: 502, rate: 1 },
      { ...common('sh', { provider: 'joke' }), kind: 'slow_headers', delay: { distribution: 'pareto', scale: 100, shape: 1.5, cap: 10_000 }, rate: 1 },
      { ...common('sb', { provider: 'joke' }), kind: 'slow_body', delay: { distribution: 'uniform', min: 1000, max: 2000 }, rate: 1 },
      { ...common('b', { provider: 'pay', region: 'eu' }, 5000, 10_000), kind: 'capacity', concurrency: 1 },
      { ...common('n', { provider: 'joke' }), kind: 'slow_headers', delay: { distribution: 'normal', mean: 100, stddev: 20 }, rate: 1 },
    ]);

    expect(planHttp(s.faults[3] as Extract<FaultSpec, { layer: 'http' }>)).toEqual({ name: 't1', kind: 'truncate', rate: 1, fraction: 0.5 });
  });

  it('loads a reset with its scope and rate, refusing fields it does not take', () => {
    const s = ok(parse(['{name: r, target: {provider: pay, region: us, route: /v1/charges, match: {headers: {x-tier: free}}}, layer: http, kind: reset, rate: 25%, from: 2s, to: 8s}']));
    expect(s.faults).toEqual([
      { name: 'r', target: { provider: 'pay', region: 'us', route: '/v1/charges', match: { headers: { 'x-tier': 'free' } } }, fromMs: 2000, toMs: 8000, layer: 'http', kind: 'reset', rate: 0.25 },
    ]);
    expect(planHttp(s.faults[0] as Extract<FaultSpec, { layer: 'http' }>)).toEqual({ name: 'r', kind: 'reset', rate: 0.25, route: '/v1/charges', match: { headers: { 'x-tier': 'free' } } });
    expect(brief(issues(parse(['{name: r, target: {provider: joke}, layer: http, kind: reset, bytes: 10}']))).join('\n')).toMatch(/bytes/);
  });

  it('checks what the schema cannot: distributions, truncation, capacity and match', () => {
    const found = parse([
      '{name: a, target: {provider: joke}, layer: http, kind: latency, latency: {distribution: lognormal, p50: 120ms, p99: 20ms}}',
      '{name: b, target: {provider: joke}, layer: http, kind: slow_body, delay: {distribution: uniform, min: 2s, max: 1s}}',
      '{name: c, target: {provider: joke}, layer: http, kind: slow_headers, delay: {distribution: pareto, scale: 1s, shape: 0.8}}',
      '{name: d, target: {provider: joke, match: {headers: {x-tier: free}}}, layer: network, kind: down}',
      '{name: e, target: {provider: pay, route: /v1/charges}, layer: http, kind: capacity, concurrency: 1}',
      '{name: f, target: {provider: joke}, layer: http, kind: capacity, concurrency: 1}',
      '{name: g, target: {provider: joke}, layer: http, kind: latency, latency: {distribution: normal, mean: 1s, stddev: 1s}, jitter: 5ms}',
      '{name: h, target: {provider: joke}, layer: http, kind: truncate, bytes: 5, fraction: 10%}',
      '{name: i, target: {provider: joke}, layer: http, kind: truncate, fraction: 100%}',
      '{name: j, target: {provider: joke, match: {body: {customer..tier: free}}}, layer: http, kind: hang}',
      '{name: k, target: {provider: joke}, layer: http, kind: slow_headers, delay: {distribution: pareto, scale: 2s, shape: 2, cap: 1s}}',
      '{name: l, target: {provider: joke}, layer: http, kind: latency, latency: {distribution: lognormal, p50: 0ms, p99: 1s}}',
    ]);
    expect(brief(issues(found))).toEqual([
      '8:121 faults[0].latency.p99 p99 must be above p50 (120ms); for a delay that does not vary, write the duration itself',
      '9:116 faults[1].delay.max max must be at least min (2s)',
      '10:122 faults[2].delay.shape shape 0.8 has no finite mean: a few delays would be practically endless; give a `cap`, or a shape above 1',
      '11:47 faults[3].target.match match applies to http faults only; a network fault cannot see headers or bodies',
      '12:46 faults[4].target.route a capacity fault acts on the whole provider: route does not apply (scope the requests with another kind, such as latency or error)',
      '13:60 faults[5].kind provider `joke` has no `capacity` of its own, so this fault needs a `serviceTime` (how long each request takes)',
      '14:132 faults[6].jitter jitter goes with a fixed latency; for a spread, use a distribution such as { distribution: uniform, min: 50ms, max: 150ms }',
      '15:90 faults[7].fraction give `bytes` or `fraction`, not both',
      '16:80 faults[8].fraction fraction must be below 100%: a truncated body leaves something out',
      '17:71 faults[9].target.match.body["customer..tier"] `customer..tier` is not a dotted path (write field names joined by dots, like customer.tier)',
      '18:130 faults[10].delay.cap cap must be at least scale (2s)',
      '19:109 faults[11].latency.p50 p50 must be above 0 (a lognormal delay is never 0)',
    ]);
  });

  it('says which distribution a parameter belongs to, and which distributions exist', () => {
    const found = issues(
      parse([
        '{name: a, target: {provider: joke}, layer: http, kind: latency, latency: {distribution: lognormall, p50: 20ms, p99: 120ms}}',
        '{name: b, target: {provider: joke}, layer: http, kind: latency, latency: {distribution: normal, mean: 20ms, p99: 120ms}}',
        '{name: c, target: {provider: joke}, layer: http, kind: slow_body, delay: {distribution: pareto, scale: 20ms, shape: 0}}',
        '{name: d, target: {provider: joke}, layer: http, kind: latency, latency: fast}',
        '{name: e, target: {provider: joke}, layer: http, kind: hang, bytes: 10}',
      ]),
    );
    expect(brief(found)).toEqual([
      '8:93 faults[0].latency.distribution unknown distribution `lognormall` (did you mean `lognormal`?)',
      '9:69 faults[1].latency.stddev missing required field `stddev`',
      '9:113 faults[1].latency.p99 field `p99` does not apply here (distribution: normal); it goes with distribution: lognormal',
      '10:121 faults[2].delay.shape out of range',
      '11:78 faults[3].latency invalid value',
      '12:66 faults[4].bytes field `bytes` does not apply here (layer: http, kind: hang); it goes with layer: network, kind: limit_data or kind: truncate',
    ]);
    expect(found[0]!.expected).toBe('one of: fixed, uniform, normal, lognormal, pareto, exponential');
    expect(found[3]!.expected).toBe('a number above 0, like 1.5');
    expect(found[4]).toMatchObject({ expected: 'a duration like 250ms or 30s', found: '"fast"' });
  });

  it('checks a provider capacity’s service time', () => {
    const text = [
      'name: s',
      'target: {url: "http://127.0.0.1:8080"}',
      'providers:',
      '  - {name: pay, fixture: payments, capacity: {concurrency: 0, serviceTime: {distribution: uniform, min: 50ms, max: 10ms}}}',
      'load: {rate: 10, duration: 20s, requests: [{path: /}]}',
      'slos: [{name: a, expr: availability > 1%}]',
    ].join('\n');
    expect(brief(issues(parseScenario(text, 's.yaml', anyFile)))).toEqual([
      '4:60 providers[0].capacity.concurrency out of range',
      '4:116 providers[0].capacity.serviceTime.max max must be at least min (50ms)',
    ]);
  });

  it('keeps every bundled scenario valid', async () => {
    const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) ok(await readScenarioFile(path.join(dir, f)));
  });
});
