/** The package API's `simulateScenario`: any input `runScenario` takes, the load options, the simulator's own. */
import { describe, expect, it } from 'vitest';
import { simulateScenario, SimUnsupportedError, ScenarioError } from '../../src/index.ts';

const doc = {
  name: 'api-sim',
  seed: 9,
  target: { router: 'fixtures/routers/joke.yaml' },
  providers: [{ name: 'joke', fixture: 'joke' }],
  load: { model: 'open' as const, rate: '20/s', arrival: 'uniform' as const, duration: '6s', timeout: '1s', requests: [{ name: 'joke', path: '/joke' }] },
  faults: [{ name: 'flaky', target: { provider: 'joke' }, layer: 'http' as const, kind: 'error' as const, rate: '30%', from: '1s', to: '3s' }],
  slos: [{ name: 'availability', expr: 'availability >= 95%' }],
};

describe('simulateScenario (the package API)', () => {
  it('takes a document written in code, with overrides, and gives a live-shaped result marked sim', async () => {
    const { result, data, stats } = await simulateScenario(doc as never, { cwd: process.cwd(), overrides: { duration: '4s' }, binMs: 100 });
    expect(result.mode).toBe('sim');
    expect(result.durationMs).toBe(4000);
    // 20/s uniform for 4 s: exactly 80 requests, the first at t = 0.
    expect(stats.simulatedRequests).toBe(80);
    expect(data.requests[0]!.due).toBe(0);
    expect(result.faults).toMatchObject([{ fault: 'flaky', scheduledOn: 1000, on: 1000, scheduledOff: 3000, off: 3000 }]);
    expect(stats.upstreamCalls).toBe(data.upstream.length);
    expect(stats.upstreamCalls).toBeGreaterThan(80);
    expect(data.scrapes.length).toBeGreaterThanOrEqual(4);
    expect(result.series.upstreamFine?.counts.joke?.reduce((a, b) => a + b, 0)).toBe(data.upstream.length);
  });

  it('throws ScenarioError for an invalid scenario and SimUnsupportedError for a target it cannot run', async () => {
    await expect(simulateScenario({ ...doc, load: { ...doc.load, rate: 'fast' } } as never, { cwd: process.cwd() })).rejects.toBeInstanceOf(ScenarioError);
    await expect(simulateScenario({ ...doc, target: { url: 'http://127.0.0.1:1' } } as never, { cwd: process.cwd() })).rejects.toBeInstanceOf(SimUnsupportedError);
  });
});
