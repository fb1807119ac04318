/**
 * How often `faultline compare` flags two runs of the same configuration (its false-positive
 * rate, per metric and family-wise), and how often it flags an injected regression (its
 * power), measured on the simulator: different seeds are runs of the same configuration.
 *
 *   node scripts/compare-calibration.ts [--pairs 30] [--power-pairs 10] [--duration 60s] [--rate 100/s] [--confidence 0.99]
 *   node scripts/compare-calibration.ts --scenario scenarios/weather-failover.yaml [--pairs 30]
 *
 * With --scenario, only the false-positive rate, on that scenario as written (its faults'
 * schedule, breaker and all: the case the pairing by time is for).
 *
 * Scenarios: test/fixtures/compare/joke-baseline.yaml (0.1 % client errors), joke-slow-slice
 * (300 ms on 3 % of calls), joke-more-errors (0.5 % client errors). Seeds 1… in order; the
 * comparison's own seed is the pair's number. Two seeds of one simulation are independent
 * draws of the model, not of the world: what the model leaves out is absent from both.
 */
import { parseArgs } from 'node:util';
import { loadScenario, simulateScenario } from '../src/api.ts';
import { compareRuns } from '../src/compare/index.ts';
import type { Scenario } from '../src/model/scenario.ts';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '30' },
    'power-pairs': { type: 'string', default: '10' },
    duration: { type: 'string', default: '60s' },
    rate: { type: 'string', default: '100/s' },
    confidence: { type: 'string', default: '0.99' },
    scenario: { type: 'string' },
  },
});
const confidence = Number(values.confidence);
const fixture = (name: string) => new URL(`../test/fixtures/compare/${name}.yaml`, import.meta.url).pathname;
const load = (name: string) => loadScenario(fixture(name), { overrides: { duration: values.duration, rate: values.rate } });
let seed = 0;
const run = async (s: Scenario) => (await simulateScenario(s, { seed: ++seed })).result;

async function tally(label: string, baseline: Scenario, candidate: Scenario, pairs: number) {
  const flagged: Record<string, number> = { latency_p99: 0, latency_shape: 0, error_rate: 0, any: 0 };
  let requests = 0;
  for (let i = 0; i < pairs; i++) {
    const b = await run(baseline);
    const c = await run(candidate);
    requests += b.load.requests + c.load.requests;
    const cmp = compareRuns(b, c, { confidence, seed: i + 1 });
    for (const m of cmp.metrics) if (m.verdict === 'worse') flagged[m.metric]++;
    if (cmp.worse) flagged.any++;
  }
  const rates = Object.entries(flagged).map(([k, v]) => `${k} ${v}/${pairs} (${((100 * v) / pairs).toFixed(1)} %)`);
  console.log(`${label}: ${pairs} pairs of ${values.duration} at ${values.rate} (~${Math.round(requests / (2 * pairs))} requests a run), confidence ${confidence}: flagged ${rates.join(', ')}`);
}

if (values.scenario !== undefined) {
  const s = await loadScenario(values.scenario);
  values.duration = `${s.load.durationMs / 1000}s`;
  values.rate = s.load.model === 'open' ? `${s.load.rate}/s` : 'closed';
  await tally(`${s.name} as written (false positives)`, s, s, Number(values.pairs));
  process.exit(0);
}
const base = await load('joke-baseline');
await tally('same configuration (false positives)', base, base, Number(values.pairs));
if (Number(values['power-pairs']) > 0) {
  await tally('p99 regression (power)', base, await load('joke-slow-slice'), Number(values['power-pairs']));
  await tally('error rate 0.1 % → 0.5 % (power)', base, await load('joke-more-errors'), Number(values['power-pairs']));
}
