import { describe, expect, it } from 'vitest';
import { formatIssues } from '../config/issues.ts';
import { parseScenario, type ScenarioContext } from './load.ts';
import { applyOverrides, checkOverrides } from './overrides.ts';

const ctx: ScenarioContext = { fileExists: () => true };

const TEXT = `name: s
seed: 3
target: { url: http://127.0.0.1:8080 }
providers: [{ name: p, url: http://127.0.0.1:12111 }]
load:
  rate: \${RATE:-40/s}
  duration: 20s
  requests:
    - { name: ok, path: /ok }
    - { name: limited, path: /limited, expect: { status: [2XX, 429] } }
faults:
  - { name: slow, target: { provider: p }, layer: network, kind: latency, latency: 100ms, from: 2s, to: 15s }
  - { name: tail, target: { provider: p }, layer: http, kind: error, from: 4s }
slos:
  - { name: a, expr: availability >= 99% }
  - { name: r, expr: availability >= 99%, window: { recovery: slow, for: 3s } }
`;

const load = (o: Parameters<typeof parseScenario>[3] = {}, text = TEXT) => parseScenario(text, 's.yaml', ctx, o);

describe('overrides', () => {
  it('replaces duration, rate and seed, and faults without `to` last the new run', () => {
    const r = load({ overrides: { duration: '19s', rate: '10/s', seed: 9 } });
    if (!r.ok) throw new Error(formatIssues(r.issues));
    expect(r.scenario.seed).toBe(9);
    expect(r.scenario.load).toMatchObject({ model: 'open', rate: 10, durationMs: 19_000 });
    expect(r.scenario.faults.find((f) => f.name === 'tail')!.toMs).toBe(19_000);
  });

  it('reports a fault window and a recovery window beyond a shortened run, at their lines, naming the override', () => {
    const r = load({ overrides: { duration: '10s' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatIssues(r.issues).split('\n')).toEqual([
      's.yaml:12:105  faults[0].to  the fault ends at 15s, after the run ends at 10s (the duration is overridden to 10s)',
      's.yaml:16:63  slos[1].window.recovery  fault `slow` lasts until the end of the run, so there is no recovery to measure (the duration is overridden to 10s)',
    ]);
  });

  it('refuses a rate on a closed model, and malformed values', () => {
    const closed = TEXT.replace('  rate: ${RATE:-40/s}\n', '  model: closed\n  connections: 2\n');
    const r = load({ overrides: { rate: '5/s' } }, closed);
    expect(r.ok ? [] : formatIssues(r.issues).split('\n')).toEqual([
      's.yaml:6:10  load.model  a --rate override applies to the open model only; this load is closed (it has `connections`, not a rate)',
    ]);
    expect(checkOverrides({ duration: 'fast', rate: '0/s', seed: 1.5 })).toEqual([
      'duration: expected a duration above 0 like 250ms or 30s, found "fast"',
      'rate: expected a rate above 0 like 50/s or 600/m, found "0/s"',
      'seed: expected a whole number, found 1.5',
    ]);
    expect(checkOverrides({ duration: 1500, rate: 20, seed: 4 })).toEqual([]);
  });

  it('interpolates before overriding: -e and the environment, then the override wins', () => {
    const fromVar = load({ vars: { RATE: '25/s' }, env: { RATE: '30/s' } });
    expect(fromVar.ok && fromVar.scenario.load).toMatchObject({ rate: 25 });
    const fromEnv = load({ env: { RATE: '30/s' } });
    expect(fromEnv.ok && fromEnv.scenario.load).toMatchObject({ rate: 30 });
    const overridden = load({ vars: { RATE: '25/s' }, overrides: { rate: 5 } });
    expect(overridden.ok && overridden.scenario.load).toMatchObject({ rate: 5 });
  });

  it('reports an undefined variable once, at its reference', () => {
    const r = load({}, TEXT.replace('${RATE:-40/s}', '${RATE}'));
    expect(r.ok ? [] : formatIssues(r.issues).split('\n')).toEqual([
      's.yaml:6:9  load.rate  undefined variable `RATE` (set it with -e RATE=... or in the environment, or give a default: `${RATE:-value}`)',
    ]);
  });
});

describe('load.requests[].expect', () => {
  it('normalises the statuses each request counts as a success (classes in lower case), absent by default', () => {
    const r = load();
    if (!r.ok) throw new Error(formatIssues(r.issues));
    expect(r.scenario.load.requests.map((q) => [q.name, q.expect])).toEqual([
      ['ok', undefined],
      ['limited', ['2xx', 429]],
    ]);
  });

  it('refuses what is not a status or a class, positioned', () => {
    const r = load({}, TEXT.replace('[2XX, 429]', '[2xx, 42, "4x"]'));
    expect(r.ok ? [] : formatIssues(r.issues).split('\n')).toEqual([
      's.yaml:10:64  load.requests[1].expect.status[1]  out of range (expected a status code from 100 to 599, or a class like 2xx, found 42 (a number))',
      's.yaml:10:68  load.requests[1].expect.status[2]  invalid value (expected a class like 2xx or 4xx, or a status code like 404, found "4x")',
    ]);
  });
});

describe('applyOverrides on a loaded scenario', () => {
  const loaded = () => {
    const r = load();
    if (!r.ok) throw new Error(formatIssues(r.issues));
    return r.scenario;
  };

  it('applies seed, rate and a duration that still fits; a fault that ran to the end ends at the new end', () => {
    const r = applyOverrides(loaded(), { duration: '19s', rate: 12, seed: 4 });
    if (!r.ok) throw new Error(formatIssues(r.issues));
    expect(r.scenario).toMatchObject({ seed: 4, load: { rate: 12, durationMs: 19_000 } });
    expect(r.scenario.faults.map((f) => [f.name, f.fromMs, f.toMs])).toEqual([
      ['slow', 2000, 15_000],
      ['tail', 4000, 19_000],
    ]);
  });

  it('says which fault and which recovery window no longer fit', () => {
    const r = applyOverrides(loaded(), { duration: '10s' });
    expect(r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'faults[0].to: the fault ends at 15s, after the run ends at 10s (the duration is overridden to 10s)',
      'slos[1].window.recovery: fault `slow` lasts until the end of the run, so there is no recovery to measure (the duration is overridden to 10s)',
    ]);
  });
});
