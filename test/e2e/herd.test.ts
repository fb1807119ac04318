/**
 * The herd signature on the bundled pair scenarios/tuning/herd{,.broken}.yaml: the same burst
 * (every request held 2–3 s, then dropped at once, against a backend admitting 6 at a time) and the same retries (up to 10 attempts,
 * 200 ms backoff, no budget), with full jitter or none. Each runs live (over loopback, real
 * sockets) and in virtual time; the test prints every figure it judges.
 *
 * Thresholds, from the values measured on this 2-core machine with the pair as committed
 * (live: 6 runs of each, 2 by `faultline run`, 4 by this test; sim: seeded, one run is all):
 *  - sim, no jitter: periodicity 0.68 at 200 ms, peak-to-mean 26.3; full jitter: 0.04 and 8.1.
 *    Required: no jitter ≥ 0.5 at the backoff period (±1 bin), peak-to-mean ≥ 20 (the pair's
 *    SLO limit); full jitter < 0.2 and < 15; and each scenario's verdict as it expects.
 *    Deterministic, so the margins only guard against model changes.
 *  - live, no jitter: periodicity 0.48, 0.30, 0.29, 0.26, 0.39, 0.52, always at 200–220 ms;
 *    full jitter: 0.03, 0.05, 0.06, 0.06, 0.05, 0.02. Required: no jitter > 0.2 (so its SLO fails) at
 *    200 ± 30 ms (the waves are ~60 ms wide: the autocorrelation's peak can sit a few bins
 *    off), full jitter < 0.2 (passes), the gap ≥ 0.1 (half the smallest measured, 0.20), and
 *    the verdicts. The smallest no-jitter value, 0.26, is the thinnest margin here: live, on
 *    2 shared cores, reconnecting the ~50 dropped connections through the embedded Toxiproxy
 *    spreads each wave, and the herd is worked off in 3–4 waves.
 *  - live peak-to-mean (10 ms bins, over the 1.5 s after the burst): no jitter 10.2, 7.4,
 *    10.0, 8.8, 12.7, 11.8; full jitter 7.7, 9.8, 9.0, 8.0, 7.8, 8.9. It does not separate them live, for
 *    the same reason (the first wave is as wide as full jitter spreads it): printed, and
 *    required only to show a herd at all in both (> 3: ~50 retries within 200 ms against a
 *    baseline of 0.5 arrivals a bin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario, simulateScenario } from '../../src/api.ts';
import type { RunResult } from '../../src/model/result.ts';

const file = (name: string) => new URL(`../../scenarios/tuning/${name}.yaml`, import.meta.url).pathname;

interface Signature {
  peakToMean: number | null;
  periodicity: number | null;
  periodMs: number | null;
}

function signature(result: RunResult): Signature {
  const ptm = result.slos.find((s) => s.expression.startsWith('peak_to_mean'))!;
  const per = result.slos.find((s) => s.expression.startsWith('periodicity'))!;
  const period = /period (\d+(?:\.\d+)?)ms/.exec(per.message);
  return { peakToMean: ptm.value, periodicity: per.value, periodMs: period ? Number(period[1]) : null };
}

const print = (label: string, s: Signature) =>
  console.log(`${label}: peak_to_mean(10ms) ${s.peakToMean?.toFixed(2)}, periodicity ${s.periodicity?.toFixed(3)} at ${s.periodMs} ms`);

describe('the herd signature, simulated', () => {
  it('shows waves at the 200 ms backoff without jitter, and none with full jitter', async () => {
    const broken = (await simulateScenario(file('herd.broken'))).result;
    const fixed = (await simulateScenario(file('herd'))).result;
    const none = signature(broken);
    const full = signature(fixed);
    print('sim, jitter none', none);
    print('sim, jitter full', full);
    expect(none.periodicity).toBeGreaterThanOrEqual(0.5);
    expect(Math.abs(none.periodMs! - 200)).toBeLessThanOrEqual(10);
    expect(none.peakToMean).toBeGreaterThanOrEqual(20);
    expect(full.periodicity).toBeLessThan(0.2);
    expect(full.peakToMean).toBeLessThan(15);
    // The pair's SLOs (peak_to_mean < 20, periodicity < 0.2) judge them as their `expect` says.
    expect(broken.verdict).toBe('fail');
    expect(fixed.verdict).toBe('pass');
  });
});

describe('the herd signature, live', () => {
  let reports: string;
  beforeAll(async () => {
    reports = await mkdtemp(join(tmpdir(), 'faultline-herd-'));
  });
  afterAll(async () => {
    await rm(reports, { recursive: true, force: true });
  });

  it('shows waves without jitter and none with full jitter', { timeout: 90_000 }, async () => {
    const broken = await runScenario(file('herd.broken'), { reportsDir: reports });
    const fixed = await runScenario(file('herd'), { reportsDir: reports });
    const none = signature(broken);
    const full = signature(fixed);
    print('live, jitter none', none);
    print('live, jitter full', full);
    expect(broken.series.upstreamFine?.binMs, 'the SLOs ask for 10 ms bins, so the result keeps them').toBe(10);
    expect(none.periodicity).toBeGreaterThan(0.2);
    expect(Math.abs(none.periodMs! - 200)).toBeLessThanOrEqual(30);
    expect(full.periodicity).toBeLessThan(0.2);
    expect(none.periodicity! - full.periodicity!).toBeGreaterThanOrEqual(0.1);
    expect(broken.verdict).toBe('fail');
    expect(fixed.verdict).toBe('pass');
    expect(none.peakToMean).toBeGreaterThan(3);
    expect(full.peakToMean).toBeGreaterThan(3);
  });
});
