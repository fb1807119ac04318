/**
 * The comparison on simulated runs (src/sim: the reference router's own code in virtual time),
 * where different seeds are runs of the same configuration: it flags an injected p99
 * regression and an injected rise of a 0.1 % error rate to 0.5 %, and over 20 pairs of runs
 * of the same configuration it flags (next to) none at 99 % family-wise confidence.
 *
 * Two seeds of one simulation are independent draws of the model, not of the world: what the
 * model leaves out (a GC pause, a noisy neighbour) is absent from both runs. The live pair in
 * test/compare-cli.test.ts measures real data.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario, simulateScenario } from '../src/api.ts';
import { compareRuns } from '../src/compare/index.ts';
import type { Scenario } from '../src/model/scenario.ts';

const fixture = (name: string) => new URL(`./fixtures/compare/${name}.yaml`, import.meta.url).pathname;
const load = (name: string, overrides: { duration?: string; rate?: string } = {}) => loadScenario(fixture(name), { overrides });
const run = async (s: Scenario, seed: number) => (await simulateScenario(s, { seed })).result;

describe('compare on simulated runs', () => {
  it('flags none (at most 2, a bound the 1 % level breaks with probability 0.1 %) over 20 pairs of the same configuration', async () => {
    // 15 s at 60/s: 900 requests a run, 15 one-second blocks; seeds 1..40 fixed in advance.
    const s = await load('joke-baseline', { duration: '15s', rate: '60/s' });
    const flagged = { latency_p99: 0, latency_shape: 0, error_rate: 0, any: 0 };
    for (let pair = 0; pair < 20; pair++) {
      const c = compareRuns(await run(s, 2 * pair + 1), await run(s, 2 * pair + 2), { seed: pair + 1, draws: 1000, resamples: 200 });
      for (const m of c.metrics) if (m.verdict === 'worse') flagged[m.metric]++;
      if (c.worse) flagged.any++;
    }
    console.log(`false positives over 20 same-configuration pairs at 99 %: ${JSON.stringify(flagged)}`);
    expect(flagged.any).toBeLessThanOrEqual(2);
  }, 180_000);

  it('flags a p99 regression that leaves the median alone (300 ms on 3 % of calls)', async () => {
    const base = await run(await load('joke-baseline', { duration: '20s' }), 101);
    const slow = await run(await load('joke-slow-slice', { duration: '20s' }), 102);
    const c = compareRuns(base, slow, { seed: 1 });
    const p99 = c.metrics.find((m) => m.metric === 'latency_p99')!;
    expect(p99.verdict).toBe('worse');
    expect(p99.delta).toBeGreaterThan(100);
    expect(p99.interval![0]).toBeGreaterThan(0);
    // The median did not move: a test of the centre would have nothing to see.
    expect(c.metrics.find((m) => m.metric === 'latency_shape')!.effect).toMatch(/p50 (\S+) ms → \1 ms|p50 4\.\d+ ms → 4\.\d+ ms/);
    expect(c.worse).toBe(true);
  }, 120_000);

  it('flags a rise of a 0.1 % error rate to 0.5 % over a minute at 100/s (power ≈ 92 % at the Holm-corrected level)', async () => {
    const base = await run(await load('joke-baseline'), 201);
    const worse = await run(await load('joke-more-errors'), 202);
    const c = compareRuns(base, worse, { seed: 1 });
    const err = c.metrics.find((m) => m.metric === 'error_rate')!;
    console.log(`error-rate regression: ${err.effect}, p = ${err.p}, Holm ${err.pAdjusted}`);
    expect(err.baseline).toBeLessThan(0.003);
    expect(err.candidate).toBeGreaterThan(0.003);
    expect(err.verdict).toBe('worse');
  }, 120_000);
});
