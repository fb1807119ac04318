import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../config/issues.ts';
import { parseScenario, type ScenarioLoaded } from './load.ts';
import type { FaultSpec } from '../model/faults/index.ts';
import type { Scenario } from '../model/scenario.ts';

const anyFile = { fileExists: () => true };

function brief(issues: ConfigIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
}

/** A scenario with these fault lines (YAML flow mappings, one per line) and a 60 s run. */
function withFaults(...faults: string[]): ScenarioLoaded {
  const text = [
    'name: s',
    'target: {url: "http://127.0.0.1:8080"}',
    'providers:',
    '  - {name: pay, fixture: payments, regions: [us, eu]}',
    'load: {rate: 10, duration: 60s, requests: [{path: /}]}',
    'faults:',
    ...faults.map((f) => `  - ${f}`),
    'slos:',
    '  - {name: a, expr: availability >= 99%}',
  ].join('\n');
  return parseScenario(text + '\n', 's.yaml', anyFile);
}

function faultsOf(r: ScenarioLoaded): FaultSpec[] {
  if (!r.ok) throw new Error(`expected a valid scenario, got:\n${brief(r.issues).join('\n')}`);
  return (r.scenario as Scenario).faults;
}

function issuesOf(r: ScenarioLoaded): string[] {
  if (r.ok) throw new Error('expected issues, got a valid scenario');
  return brief(r.issues);
}

const T = 'name: f, target: {provider: pay}';

describe('fault timelines in a scenario', () => {
  it('reads a ramp of an error rate, its parameter from the unit and one step per second by default', () => {
    const [f] = faultsOf(withFaults(`{${T}, layer: http, kind: error, from: 5s, to: 45s, ramp: {from: 0%, to: 50%, over: 20s}}`));
    expect(f).toMatchObject({ kind: 'error', rate: 0, fromMs: 5_000, toMs: 45_000, ramp: { param: 'rate', from: 0, to: 0.5, overMs: 20_000, steps: 20 } });
  });

  it('starts a ramp from the value the fault states when it gives no `from`', () => {
    const [lat, tox] = faultsOf(
      withFaults(
        `{${T}, layer: network, kind: latency, latency: 100ms, to: 30s, ramp: {to: 2s, steps: 3}}`,
        `{name: g, target: {provider: pay}, layer: network, kind: reset_peer, toxicity: 10%, ramp: {param: toxicity, to: 90%, over: 10s}}`,
      ),
    );
    expect(lat).toMatchObject({ latencyMs: 100, ramp: { param: 'latency', from: 100, to: 2_000, overMs: 30_000, steps: 3 } });
    expect(tox).toMatchObject({ toxicity: 0.1, ramp: { param: 'toxicity', from: 0.1, to: 0.9, overMs: 10_000, steps: 10 } });
  });

  it('resolves repeats to a number of occurrences, as many as start before the run ends when `times` is absent', () => {
    const [a, b] = faultsOf(
      withFaults(
        `{${T}, layer: http, kind: error, from: 5s, to: 7s, repeat: {every: 10s, times: 3}}`,
        `{name: g, target: {provider: pay}, layer: network, kind: down, from: 5s, to: 7s, repeat: {every: 10s}}`,
      ),
    );
    expect(a!.repeat).toEqual({ everyMs: 10_000, times: 3 });
    expect(b!.repeat).toEqual({ everyMs: 10_000, times: 6 }); // 5, 15, ..., 55 s
  });

  it('reads flaps and every outage shape', () => {
    const faults = faultsOf(
      withFaults(
        `{name: a, target: {provider: pay, region: eu}, layer: network, kind: outage, shape: blackhole, from: 5s, to: 35s}`,
        `{name: b, target: {provider: pay}, layer: network, kind: outage, shape: down}`,
        `{name: c, target: {provider: pay}, layer: network, kind: outage, shape: flapping, flap: {down: 2s, up: 3s}, from: 10s, to: 40s}`,
        `{name: d, target: {provider: pay}, layer: network, kind: outage, shape: partial, toxicity: 30%}`,
        `{name: e, target: {provider: pay}, layer: network, kind: outage, shape: slow, kbps: 16, latency: 300ms, jitter: 50ms}`,
        `{name: g, target: {provider: pay}, layer: http, kind: error, status: 502, flap: {down: 500ms, up: 1500ms}}`,
      ),
    );
    expect(faults.map((f) => (f.kind === 'outage' ? f.shape : f.kind))).toEqual(['blackhole', 'down', 'flapping', 'partial', 'slow', 'error']);
    expect(faults[0]).toMatchObject({ target: { provider: 'pay', region: 'eu' }, toxicity: 1, fromMs: 5_000, toMs: 35_000 });
    expect(faults[2]!.flap).toEqual({ downMs: 2_000, upMs: 3_000 });
    expect(faults[3]).toMatchObject({ toxicity: 0.3 });
    expect(faults[4]).toMatchObject({ kbps: 16, latencyMs: 300, jitterMs: 50, toxicity: 1 });
    expect(faults[5]!.flap).toEqual({ downMs: 500, upMs: 1_500 });
  });

  it('lets a slow outage ramp its latency from nothing', () => {
    const [f] = faultsOf(withFaults(`{${T}, layer: network, kind: outage, shape: slow, to: 20s, ramp: {from: 0ms, to: 1s, over: 10s}}`));
    expect(f).toMatchObject({ shape: 'slow', latencyMs: 0, ramp: { param: 'latency', from: 0, to: 1_000, steps: 10 } });
  });

  it('says what is wrong with a timeline, each at its field', () => {
    const out = issuesOf(
      withFaults(
        /* 7 */ `{name: a, target: {provider: pay}, layer: http, kind: error, from: 5s, to: 15s, repeat: {every: 10s}}`,
        /* 8 */ `{name: b, target: {provider: pay}, layer: http, kind: error, from: 5s, to: 7s, repeat: {every: 10s, times: 7}}`,
        /* 9 */ `{name: c, target: {provider: pay}, layer: http, kind: error, flap: {down: 20ms, up: 1s}, repeat: {every: 10s}}`,
        /* 10 */ `{name: d, target: {provider: pay}, layer: network, kind: down, ramp: {to: 50%}}`,
        /* 11 */ `{name: e, target: {provider: pay}, layer: http, kind: error, rate: 10%, ramp: {from: 0%, to: 50%}}`,
        /* 12 */ `{name: g, target: {provider: pay}, layer: http, kind: error, from: 0s, to: 10s, ramp: {to: 50%, over: 20s}}`,
        /* 13 */ `{name: h, target: {provider: pay}, layer: http, kind: error, to: 10s, ramp: {to: 150%, over: 1s, steps: 100}}`,
        /* 14 */ `{name: i, target: {provider: pay}, layer: network, kind: bandwidth, kbps: 10, ramp: {param: latency, to: 1s}}`,
        /* 15 */ `{name: j, target: {provider: pay}, layer: http, kind: latency, latency: 50ms, ramp: {from: 0%, to: 80ms}}`,
        /* 16 */ `{name: k, target: {provider: pay}, layer: http, kind: latency, latency: 50ms, ramp: {to: 500ms}}`,
      ),
    );
    expect(out).toEqual([
      '7:101 faults[0].repeat.every each occurrence lasts 10s (from–to), so `every` must be longer',
      '8:112 faults[1].repeat.times occurrence 7 ends at 1.12m, after the run ends at 1m',
      '9:72 faults[2].flap a fault either repeats or flaps, not both',
      '10:79 faults[3].ramp.to network down has nothing to ramp',
      '11:90 faults[4].ramp.from `rate` is written too: the ramp starts from one or the other (drop `ramp.from` to start from rate)',
      '12:107 faults[5].ramp.over the ramp lasts 20s, longer than the fault is on (10s at a time)',
      '13:86 faults[6].ramp.to a percentage cannot exceed 100%',
      '13:109 faults[6].ramp.steps 100 steps over 1s come every 10ms; keep them at least 50ms apart (at most 20 steps)',
      '14:97 faults[7].ramp.param network bandwidth cannot ramp latency',
      '15:96 faults[8].ramp.from `from` and `to` must be in the same unit (durations, as `to` is)',
      '16:94 faults[9].ramp.to http latency cannot ramp latency',
    ]);
  });

  it('says what an outage shape needs and what it does not take', () => {
    const out = issuesOf(
      withFaults(
        /* 7 */ `{name: a, target: {provider: pay}, layer: network, kind: outage, shape: flapping}`,
        /* 8 */ `{name: b, target: {provider: pay}, layer: network, kind: outage, shape: partial}`,
        /* 9 */ `{name: c, target: {provider: pay}, layer: network, kind: outage, shape: slow}`,
        /* 10 */ `{name: d, target: {provider: pay}, layer: network, kind: outage, shape: down, latency: 1s}`,
        /* 11 */ `{name: e, target: {provider: pay}, layer: network, kind: outage, shape: blakhole}`,
        /* 12 */ `{name: g, target: {provider: pay}, layer: network, kind: outage, shape: down, stream: upstream}`,
      ),
    );
    expect(out).toHaveLength(6);
    expect(out[0]).toMatch(/^7:\d+ faults\[0]\.shape shape flapping needs `flap: \{ down: 2s, up: 3s \}`/);
    expect(out[1]).toMatch(/^8:\d+ faults\[1]\.shape shape partial needs `toxicity`/);
    expect(out[2]).toMatch(/^9:\d+ faults\[2]\.shape shape slow needs `kbps`/);
    expect(out[3]).toMatch(/^10:\d+ faults\[3]\.latency latency does not apply to shape down \(only to slow\)/);
    expect(out[4]).toMatch(/^11:\d+ faults\[4]\.shape invalid value/); // expected: one of: down, blackhole, ...
    expect(out[5]).toMatch(/^12:\d+ faults\[5]\.stream /);
  });

  it('checks a recovery window against the last occurrence of a repeating fault', () => {
    const text = [
      'name: s',
      'target: {url: "http://127.0.0.1:8080"}',
      'providers: [{name: pay, fixture: payments}]',
      'load: {rate: 10, duration: 30s, requests: [{path: /}]}',
      'faults:',
      '  - {name: f, target: {provider: pay}, layer: network, kind: down, from: 1s, to: 2s, repeat: {every: 10s, times: 3}}',
      'slos:',
      '  - {name: a, expr: availability >= 99%, window: {recovery: f, for: 10s}}',
    ].join('\n');
    // The last occurrence ends at 22 s: a 10 s recovery would end at 32 s, after the run.
    expect(issuesOf(parseScenario(text, 's.yaml', anyFile))).toEqual([
      '8:69 slos[0].window.for the recovery window ends at 32s, after the run ends at 30s',
    ]);
  });
});
