import { describe, expect, it } from 'vitest';
import type { Scenario } from '../model/scenario.ts';
import { req, reqs, runData, up } from '../slo/testing.ts';
import { buildResult, type RunFacts } from './build.ts';

const scenario: Scenario = {
  file: '/s.yaml',
  name: 's',
  seed: 7,
  expect: 'pass',
  target: { kind: 'url', url: 'http://127.0.0.1:1' },
  providers: [{ kind: 'fixture', name: 'joke', fixture: 'joke', regions: [] }],
  load: { model: 'open', rate: 10, arrival: 'uniform', durationMs: 10_000, timeoutMs: 1000, requests: [{ name: 'GET /', method: 'GET', path: '/', weight: 1, headers: {} }] },
  faults: [],
  slos: [{ name: 'availability', expr: 'availability >= 90%', window: { kind: 'run' } }],
};

const facts = (abortReason?: string): RunFacts => ({
  runId: 'r1',
  mode: 'live',
  abortReason,
  endpoints: [{ name: 'joke', kind: 'fixture', fixture: 'joke', url: 'http://127.0.0.1:26400', listen: '127.0.0.1:26400', env: 'FAULTLINE_PROVIDER_JOKE_URL' }],
  environment: { node: 'v24', toxiproxy: 'embedded', seed: 7, host: 'h' },
});

describe('buildResult', () => {
  it('judges the data: verdicts, availability by the one success rule, upstream counts per endpoint', () => {
    const data = runData({ durationMs: 10_000, requests: [...reqs(95), ...Array.from({ length: 5 }, (_, i) => req(9000 + i, 503))], upstream: [up(10, 'joke'), up(20, 'joke', { status: 503 })] });
    const r = buildResult(scenario, data, facts());
    expect(r).toMatchObject({ runId: 'r1', status: 'completed', verdict: 'pass', expected: 'pass' });
    expect(r.slos.map((s) => [s.name, s.passed])).toEqual([['availability', true]]);
    expect(r.load).toMatchObject({ requests: 100, availability: 0.95, throughput: 10 });
    expect(r.upstream).toEqual([{ provider: 'joke', region: undefined, endpoint: 'GET /', requests: 2, byStatus: { 200: 1, 503: 1 } }]);
    expect(r.providers).toMatchObject([{ name: 'joke', requests: 2 }]);
    // The driver's own lag (sent − due) is added to the environment: these requests went out when due.
    expect(r.environment).toEqual({ ...facts().environment, driverLag: { p50: 0, p99: 0, max: 0 } });
  });

  it('lists the paths called through an endpoint when they differ from its pattern, most called first', () => {
    const u = (path: string) => ({ ...up(10, 'joke'), endpoint: 'GET /api/*', path });
    const r = buildResult(scenario, runData({ durationMs: 1000, upstream: [u('GET /api/b'), u('GET /api/a'), u('GET /api/b')] }), facts());
    expect(r.upstream[0]!.paths).toEqual([
      { path: 'GET /api/b', requests: 2 },
      { path: 'GET /api/a', requests: 1 },
    ]);
    const same = buildResult(scenario, runData({ durationMs: 1000, upstream: [{ ...up(10, 'joke'), path: 'GET /' }] }), facts());
    expect(same.upstream[0]!.paths).toBeUndefined();
  });

  it('an aborted run fails whatever its SLOs said, and says why', () => {
    const r = buildResult(scenario, runData({ durationMs: 4000, requests: reqs(40) }), facts('interrupted (SIGINT)'));
    expect(r).toMatchObject({ status: 'aborted', abortReason: 'interrupted (SIGINT)', verdict: 'fail' });
  });

  it('is a function of its inputs: the same data and facts give the same result', () => {
    const data = runData({ durationMs: 10_000, requests: reqs(50), upstream: [up(5, 'joke')] });
    expect(JSON.stringify(buildResult(scenario, data, facts()))).toBe(JSON.stringify(buildResult(scenario, data, facts())));
  });
});
