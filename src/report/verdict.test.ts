import { describe, expect, it } from 'vitest';
import { completedRun } from './testing.ts';
import { verdictBanner } from './verdict.ts';

describe('verdictBanner', () => {
  it('says what broke, grouped by the window it broke in: fault windows in the order they opened, the whole run last', () => {
    const run = completedRun();
    run.slos[0]!.passed = false;
    run.slos[0]!.value = 0.971;
    run.slos[0]!.threshold = 0.99;
    expect(verdictBanner(run).text).toBe(
      'FAIL — 2 of 6 SLOs broke during stripe-eu-down (stripe@eu 503, 5.0 s–15.0 s): p99 latency during outage 612.4ms ≥ 400ms; and over the whole run: availability 97.1 % < 99 %',
    );
  });

  it('names what a pass held through, and words a broken twin either way', () => {
    const run = completedRun();
    for (const s of run.slos) s.passed = true;
    run.verdict = 'pass';
    expect(verdictBanner(run)).toMatchObject({ kind: 'pass', text: 'PASS — all 6 SLOs held through stripe-eu-down (stripe@eu 503, 5.0 s–15.0 s) and adyen-slow (adyen@eu latency 150ms ± 50ms, 8.0 s–12.0 s)' });
    run.expected = 'fail';
    expect(verdictBanner(run).text).toMatch(/^UNEXPECTED PASS — a broken twin whose 6 SLOs all held through .*: they do not catch the fault they are meant to catch$/);
    const twin = completedRun();
    twin.expected = 'fail';
    expect(verdictBanner(twin).text).toMatch(/^EXPECTED FAIL — a broken twin, caught as intended: 1 of 6 SLOs broke during stripe-eu-down/);
    run.faults = [];
    run.expected = 'pass';
    expect(verdictBanner(run).text).toBe('PASS — all 6 SLOs held (no fault was injected)');
  });

  it('says an aborted run was cut short, and why', () => {
    const run = completedRun();
    run.status = 'aborted';
    run.abortReason = 'interrupted by SIGINT';
    run.durationMs = 8000;
    for (const s of run.slos) s.passed = true;
    expect(verdictBanner(run)).toMatchObject({ kind: 'aborted', text: 'ABORTED — interrupted by SIGINT, after 8.0 s; the SLOs cannot vouch for a run cut short' });
  });

  it('words a run an abortOnFail SLO stopped as that SLO’s failure, stopped early', () => {
    const run = { ...completedRun(), status: 'aborted' as const, abortReason: 'SLO p99 latency during outage broke at 6.1 s (abortOnFail)', abortedOnFail: { slo: 'p99 latency during outage', atMs: 6100 } };
    expect(verdictBanner(run)).toMatchObject({
      kind: 'fail',
      text: 'FAIL — 1 of 6 SLOs broke during stripe-eu-down (stripe@eu 503, 5.0 s–15.0 s): p99 latency during outage 612.4ms ≥ 400ms; the run stopped there (SLO p99 latency during outage broke at 6.1 s (abortOnFail))',
    });
  });

  it('says when an SLO had nothing to judge', () => {
    const run = completedRun();
    run.slos[1]!.value = null;
    expect(verdictBanner(run).text).toContain('p99 latency during outage: no samples in its window');
  });
});
