import { describe, expect, it } from 'vitest';
import { binArrivals, finestHerdBin, peakToMean, periodicity } from './herd.ts';
import { evaluateSlo, parseSlo, printSlo } from './index.ts';
import { fault, reqs, runData, up } from './testing.ts';
import type { UpstreamRecord } from '../model/run.ts';

/** `size` arrivals at the start of every `periodMs` over [0, spanMs): a herd of retries at a fixed backoff. */
function waves(periodMs: number, size: number, spanMs: number, provider = 'backend'): UpstreamRecord[] {
  const out: UpstreamRecord[] = [];
  for (let t = 0; t < spanMs; t += periodMs) for (let j = 0; j < size; j++) out.push(up(t + (j % 3), provider));
  return out;
}

const judge = (expr: string, data = runData()) => evaluateSlo({ name: 's', expr, window: { kind: 'run' } }, data);

describe('binArrivals', () => {
  it('counts whole bins from the window start and leaves out the partial last one', () => {
    expect(binArrivals([0, 9, 10, 25, 29.9, 30, 35], 0, 35, 10)).toEqual([2, 1, 2]);
    expect(binArrivals([100, 105, 111], 100, 120, 10)).toEqual([2, 1]);
  });
});

describe('finestHerdBin', () => {
  it('is the finest bin the SLOs name, undefined when none reads the herd', () => {
    expect(finestHerdBin([{ expr: 'availability >= 99%' }])).toBeUndefined();
    expect(finestHerdBin([{ expr: 'peak_to_mean(upstream_requests, 20ms) < 3' }, { expr: '-periodicity(upstream_requests, 5ms) > -0.5' }, { expr: 'peak_to_mean(upstream_requests) < 3' }])).toBe(5);
  });
});

describe('peak_to_mean', () => {
  it('is 1 for a flat train and bins / 1 for a single burst', () => {
    expect(peakToMean(new Array(100).fill(3))!.value).toBe(1);
    const burst = new Array(100).fill(0);
    burst[40] = 7;
    expect(peakToMean(burst)).toEqual({ value: 100, peakBin: 40 });
    expect(peakToMean([0, 0])).toBeNull();
  });

  it('as an SLO: 5 arrivals every 200 ms in 10 s is peak 5 over a mean of 0.25 per 10 ms bin = 20', () => {
    const v = judge('peak_to_mean(upstream_requests{provider="backend"}, 10ms) < 3', runData({ upstream: waves(200, 5, 10_000) }));
    expect(v.value).toBe(20);
    expect(v.passed).toBe(false);
    expect(v.message).toContain('peak 5 in the 10ms bin at 0s, mean 0.25 over 1000 bins');
  });

  it('a selector that matches nothing is undefined, not 0', () => {
    const v = judge('peak_to_mean(upstream_requests{provider="other"}) < 3', runData({ upstream: waves(200, 5, 10_000) }));
    expect(v.value).toBeNull();
    expect(v.message).toContain('no upstream_requests{provider="other"} arrived');
  });
});

describe('periodicity', () => {
  it('finds the period of a periodic train: spikes every 20 bins give r = 1 − 20/n at lag 20', () => {
    const counts = new Array(400).fill(0).map((_, i) => (i % 20 === 0 ? 5 : 0));
    const r = periodicity(counts);
    expect(r).toMatchObject({ ok: true, lagBins: 20 });
    // The biased estimator sums n − k pairs: 19 of the 20 spikes meet a partner k = 20 bins on.
    if (r.ok) expect(r.value).toBeCloseTo(19 / 20, 6);
  });

  it('a flat train holds no wave (0, flat), a single burst little (its echo is zero)', () => {
    expect(periodicity(new Array(100).fill(4))).toEqual({ ok: true, value: 0, lagBins: 0, flat: true, fromLag: 0 });
    const burst = new Array(100).fill(1);
    burst[50] = 30;
    const r = periodicity(burst);
    expect(r.ok && r.value).toBeLessThan(0.05);
  });

  it('a burst 12 bins wide is no wave, humps 12 wide every 22 bins are: r is searched from its first zero crossing', () => {
    const hump = (i: number) => (i >= 0 && i < 12 ? 10 : 1);
    const single = periodicity(Array.from({ length: 300 }, (_, i) => hump(i - 20)));
    expect(single.ok && single.value).toBeLessThan(0.1);
    const train = periodicity(Array.from({ length: 300 }, (_, i) => hump(i % 22)));
    expect(train).toMatchObject({ ok: true, lagBins: 22 });
    expect(train.ok && train.value).toBeGreaterThan(0.9);
  });

  it('is undefined with fewer than 8 bins', () => {
    expect(periodicity([1, 2, 3, 4, 5, 6, 7])).toMatchObject({ ok: false, reason: expect.stringContaining('7 bin(s)') });
  });

  it('as an SLO, the verdict names the period', () => {
    const v = judge('periodicity(upstream_requests, 10ms) < 0.5', runData({ upstream: waves(200, 5, 10_000) }));
    expect(v.passed).toBe(false);
    expect(v.value).toBeGreaterThan(0.9);
    expect(v.message).toContain('period 200ms: lag 20 bins of 10ms, the highest of lags 2–250');
  });
});

describe('parsing and type checking', () => {
  it('prints back what it parses, with the default bin', () => {
    const p = parseSlo('peak_to_mean(upstream_requests{region="eu"}) < 3');
    expect(p.ok && printSlo(p.expr)).toBe('peak_to_mean(upstream_requests{region="eu"}, 10ms) < 3');
    const q = parseSlo('recovery_time("eu-outage") < 2s');
    expect(q.ok && printSlo(q.expr)).toBe('recovery_time("eu-outage") < 2000ms');
  });

  it.each([
    ['peak_to_men(upstream_requests) < 3', 'did you mean `peak_to_mean`?'],
    ['periodicity(upstream_request) < 3', 'did you mean `upstream_requests`?'],
    ['periodicity(requests) < 1', 'takes upstream_requests'],
    ['peak_to_mean(upstream_requests, 10) < 3', 'a duration unit'],
    ['peak_to_mean(upstream_requests{provder="a"}) < 3', 'did you mean `provider`?'],
    ['peak_to_mean(upstream_requests) < 3%', null],
    ['recovery_time(brownout) < 2', 'expected a duration threshold'],
    ['recovery_time(eu-outage) < 2s', 'quote a name with dashes'],
    ['periodicity < 0.5', 'write periodicity(upstream_requests, 10ms)'],
  ])('%s', (text, error) => {
    const p = parseSlo(text);
    if (error === null) expect(p.ok).toBe(true);
    else expect(!p.ok && p.error.message).toContain(error);
  });
});

describe('recovery_time', () => {
  // 100 requests a second; the fault is on from 1 s to 2 s.
  const healthy = reqs(1000, { gap: 10 });
  const calls = healthy.map((r) => up(r.due, 'backend'));

  it('is 0 when every second after the trigger is healthy', () => {
    const v = judge('recovery_time(brownout) < 2s', runData({ requests: healthy, upstream: calls, faults: [fault('brownout', 1000, 2000)] }));
    expect(v).toMatchObject({ passed: true, value: 0 });
  });

  it('is the start of the healthy stretch to the end minus the trigger end: failing to 4 s is 2 s', () => {
    const requests = healthy.map((r) => (r.due >= 1000 && r.due < 4000 ? { ...r, status: 503 } : r));
    const v = judge('recovery_time(brownout) < 2s', runData({ requests, upstream: calls, faults: [fault('brownout', 1000, 2000)] }));
    expect(v).toMatchObject({ passed: false, value: 2000 });
  });

  it('never recovered: +∞ and a message saying so', () => {
    const requests = healthy.map((r) => (r.due >= 1000 ? { ...r, status: 503 } : r));
    const v = judge('recovery_time(brownout) < 2s', runData({ requests, upstream: calls, faults: [fault('brownout', 1000, 2000)] }));
    expect(v.passed).toBe(false);
    expect(v.value).toBe(Infinity);
    expect(v.message).toContain('never recovered');
  });

  it('too short to tell, or a wrong fault name: undefined, saying why', () => {
    const late = judge('recovery_time(brownout) < 2s', runData({ requests: healthy, upstream: calls, faults: [fault('brownout', 1000, 7000)] }));
    expect(late).toMatchObject({ passed: false, value: null });
    expect(late.message).toContain('too short to tell');
    const typo = judge('recovery_time(brownot) < 2s', runData({ requests: healthy, upstream: calls, faults: [fault('brownout', 1000, 2000)] }));
    expect(typo.message).toContain('did you mean `brownout`?');
  });
});
