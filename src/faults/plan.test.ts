import { describe, expect, it } from 'vitest';
import { parseScenario } from '../scenario/load.ts';
import type { Scenario } from '../model/scenario.ts';
import { planFaults } from './plan.ts';

/** A 60 s scenario with these faults (YAML flow mappings, one per line). */
function scenario(...faults: string[]): Scenario {
  const text = [
    'name: s',
    'target: {url: "http://127.0.0.1:8080"}',
    'providers:',
    '  - {name: stripe, fixture: payments, regions: [eu, us]}',
    '  - {name: joke, fixture: joke}',
    'load: {rate: 10, duration: 60s, requests: [{path: /}]}',
    'faults:',
    ...faults.map((f) => `  - ${f}`),
    'slos: [{name: a, expr: availability >= 99%}]',
  ].join('\n');
  const r = parseScenario(text, 's.yaml', { fileExists: () => true });
  if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 1));
  return r.scenario;
}

describe('planFaults: outage shapes', () => {
  it('takes one region of a provider down by disabling its proxy only', () => {
    const [p] = planFaults(scenario('{name: eu-down, target: {provider: stripe, region: eu}, layer: network, kind: outage, shape: down, from: 5s, to: 35s}'));
    expect(p).toMatchObject({ name: 'eu-down', kind: 'outage', shape: 'down', keys: ['stripe@eu'], fromMs: 5_000, toMs: 35_000, layer: 'network', network: { kind: 'down' } });
  });

  it('blackholes with timeout-0 toxics both ways, on every region when none is named', () => {
    const [p] = planFaults(scenario('{name: bh, target: {provider: stripe}, layer: network, kind: outage, shape: blackhole}'));
    expect(p!.keys).toEqual(['stripe@eu', 'stripe@us']);
    expect(p).toMatchObject({
      network: {
        kind: 'toxics',
        toxics: [
          { name: 'bh-upstream', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
          { name: 'bh-downstream', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } },
        ],
      },
    });
  });

  it('resets a share of connections for a partial outage, and slows with bandwidth and latency', () => {
    const [partial, slow, slowLatency] = planFaults(
      scenario(
        '{name: part, target: {provider: joke}, layer: network, kind: outage, shape: partial, toxicity: 30%}',
        '{name: slow, target: {provider: joke}, layer: network, kind: outage, shape: slow, kbps: 8, latency: 200ms, jitter: 20ms}',
        '{name: lag, target: {provider: joke}, layer: network, kind: outage, shape: slow, latency: 200ms}',
      ),
    );
    expect(partial).toMatchObject({ network: { toxics: [{ name: 'part', type: 'reset_peer', stream: 'upstream', toxicity: 0.3, attributes: { timeout: 0 } }] } });
    expect(slow).toMatchObject({
      network: {
        toxics: [
          { name: 'slow-latency', type: 'latency', stream: 'downstream', attributes: { latency: 200, jitter: 20 } },
          { name: 'slow-bandwidth', type: 'bandwidth', stream: 'downstream', attributes: { rate: 8 } },
        ],
      },
    });
    expect(slowLatency).toMatchObject({ network: { toxics: [{ name: 'lag', type: 'latency' }] } });
  });

  it('flaps a flapping outage: one planned fault per cycle, the last cut at the window end', () => {
    const planned = planFaults(
      scenario('{name: flap, target: {provider: joke}, layer: network, kind: outage, shape: flapping, flap: {down: 2s, up: 3s}, from: 10s, to: 22s}'),
    );
    expect(planned.map((p) => [p.occurrence, p.fromMs, p.toMs])).toEqual([
      [1, 10_000, 12_000],
      [2, 15_000, 17_000],
      [3, 20_000, 22_000],
    ]);
    expect(planned.every((p) => p.layer === 'network' && p.network.kind === 'down' && p.name === 'flap')).toBe(true);
  });
});

describe('planFaults: repeats and ramps', () => {
  it('repeats a window `times` times, `every` apart', () => {
    const planned = planFaults(scenario('{name: r, target: {provider: joke}, layer: http, kind: error, from: 5s, to: 7s, repeat: {every: 10s, times: 3}}'));
    expect(planned.map((p) => [p.occurrence, p.fromMs, p.toMs])).toEqual([
      [1, 5_000, 7_000],
      [2, 15_000, 17_000],
      [3, 25_000, 27_000],
    ]);
  });

  it('resolves each ramp step to the HTTP fault it sends, 0 → 50 % over 20 s in 4 steps', () => {
    const [p] = planFaults(scenario('{name: r, target: {provider: joke}, layer: http, kind: error, from: 5s, to: 45s, ramp: {from: 0%, to: 50%, over: 20s, steps: 4}}'));
    const rateOf = (a: { layer: string; http?: object }) => (a.http && 'rate' in a.http ? a.http.rate : undefined);
    expect(rateOf(p!)).toBe(0);
    expect(p!.ramp!.param).toBe('rate');
    expect(p!.ramp!.steps.map((s) => [s.atMs, s.value, rateOf(s)])).toEqual([
      [5_000, 0, 0],
      [10_000, 0.125, 0.125],
      [15_000, 0.25, 0.25],
      [20_000, 0.375, 0.375],
      [25_000, 0.5, 0.5],
    ]);
  });

  it('ramps a network latency through its toxic, in whole milliseconds, in every occurrence', () => {
    const planned = planFaults(
      scenario('{name: l, target: {provider: joke}, layer: network, kind: latency, latency: 100ms, from: 0s, to: 3s, repeat: {every: 10s, times: 2}, ramp: {to: 1s, over: 3s, steps: 3}}'),
    );
    expect(planned).toHaveLength(2);
    for (const [k, p] of planned.entries()) {
      // The step due at the switch-off is not planned: the fault is off by then.
      expect(p.ramp!.steps.map((s) => [s.atMs, s.layer === 'network' && s.network.kind === 'toxics' && s.network.toxics[0]!.attributes.latency])).toEqual([
        [k * 10_000, 100],
        [k * 10_000 + 1_000, 400],
        [k * 10_000 + 2_000, 700],
      ]);
    }
  });

  it('ramps a partial outage by updating its toxicity', () => {
    const [p] = planFaults(scenario('{name: p, target: {provider: joke}, layer: network, kind: outage, shape: partial, to: 10s, ramp: {from: 10%, to: 40%, over: 3s, steps: 3}}'));
    expect(p!.ramp!.steps.map((s) => s.layer === 'network' && s.network.kind === 'toxics' && s.network.toxics[0]!.toxicity)).toEqual([0.1, 0.2, 0.3, 0.4]);
  });

  it('plans an HTTP reset as the provider stage applies it: its scope and the bare action, its rate ramped', () => {
    const [p] = planFaults(scenario('{name: rst, target: {provider: joke, route: /joke}, layer: http, kind: reset, rate: 10%, to: 4s, ramp: {to: 50%, over: 4s, steps: 2}}'));
    expect(p).toMatchObject({ name: 'rst', kind: 'reset', keys: ['joke'], fromMs: 0, toMs: 4_000, layer: 'http', http: { name: 'rst', rate: 0.1, route: '/joke', kind: 'reset' } });
    expect(p!.ramp!.steps.map((s) => s.layer === 'http' && 'rate' in s.http && s.http.rate)).toEqual([0.1, 0.3]);
  });
});

describe('planFaults: HTTP faults', () => {
  it('hands the provider stage each fault\'s scope and action, on the endpoints it targets', () => {
    const planned = planFaults(
      scenario(
        '{name: l1, target: {provider: joke}, layer: http, kind: latency, latency: 800ms, jitter: 100ms}',
        '{name: l2, target: {provider: stripe, region: eu, match: {headers: {x-tier: free}, body: {currency: usd, customer.vip: false, amount: 100}}}, layer: http, kind: latency, latency: {distribution: lognormal, p50: 20ms, p99: 120ms}, rate: 50%}',
        '{name: h, target: {provider: joke, route: /joke}, layer: http, kind: hang, rate: 5%}',
        '{name: b, target: {provider: stripe, region: eu}, layer: http, kind: capacity, concurrency: 1, serviceTime: 50ms, from: 5s, to: 10s}',
        '{name: r, target: {provider: stripe, region: us, route: /v1/charges, match: {headers: {x-tier: free}}}, layer: http, kind: reset, rate: 25%, from: 2s, to: 8s}',
      ),
    );
    const http = planned.map((p) => (p.layer === 'http' ? p.http : undefined));
    expect(http[0]).toEqual({ name: 'l1', kind: 'latency', rate: 1, delay: { distribution: 'uniform', min: 700, max: 900 } });
    expect(http[1]).toEqual({
      name: 'l2',
      kind: 'latency',
      rate: 0.5,
      match: { headers: { 'x-tier': 'free' }, body: { currency: 'usd', 'customer.vip': false, amount: 100 } },
      delay: { distribution: 'lognormal', p50: 20, p99: 120 },
    });
    expect(http[2]).toEqual({ name: 'h', kind: 'hang', rate: 0.05, route: '/joke' });
    expect(http[3]).toMatchObject({ name: 'b', kind: 'capacity', concurrency: 1 });
    expect(planned.map((p) => p.keys)).toEqual([['joke'], ['stripe@eu'], ['joke'], ['stripe@eu'], ['stripe@us']]);
    expect(planned[4]).toMatchObject({ fromMs: 2000, toMs: 8000, http: { name: 'r', kind: 'reset', rate: 0.25, route: '/v1/charges', match: { headers: { 'x-tier': 'free' } } } });
  });
});
