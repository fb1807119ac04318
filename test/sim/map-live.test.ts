/**
 * Two cells of the metastable map confirmed live: one on each side of its edge (40/s
 * recovers, 70/s stays stuck, both after a 2 s brown-out), each run once in virtual time and
 * once for real (runScenario: the router, the provider host and the embedded Toxiproxy on
 * loopback), shortened to 15 s so a live run stays short (the trigger ends at 5 s, leaving
 * 10 s to judge recovery, twice the 5 s hold). Live and sim must agree on the state — the
 * finding — not on the numbers: a live run's timers and sockets add their own jitter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, runScenario } from '../../src/api.ts';
import { simulateScenario } from '../../src/sim/index.ts';
import { cellScenario } from '../../src/sim/herd/map.ts';
import { analyzeRecovery } from '../../src/slo/index.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.each([
  { load: 40, expected: 'recovered' },
  { load: 70, expected: 'stuck' },
])('the metastable map cell $load/s × 2 s', ({ load, expected }) => {
  it(`is ${expected} in virtual time and live alike`, async () => {
    const base = await loadScenario('scenarios/incidents/metastable.broken.yaml');
    const cell = cellScenario(base, { load, triggerMs: 2000, router: null });
    const scenario = { ...cell, load: { ...cell.load, durationMs: 15_000 } };
    const { result: sim } = await simulateScenario(scenario);
    const dir = mkdtempSync(join(tmpdir(), 'faultline-map-live-'));
    dirs.push(dir);
    const live = await runScenario(scenario, { reportsDir: dir });
    const simOutcome = analyzeRecovery(sim, { trigger: 'brownout' });
    const liveOutcome = analyzeRecovery(live, { trigger: 'brownout' });
    expect({ sim: simOutcome.state, live: liveOutcome.state }).toEqual({ sim: expected, live: expected });
  }, 60_000);
});
