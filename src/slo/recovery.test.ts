import { describe, expect, it } from 'vitest';
import type { RunSeries } from '../model/result.ts';
import type { FaultSwitch } from '../model/run.ts';
import { analyzeRecovery, perSecond, secondStats, triggerWindow } from './recovery.ts';
import { buildSeries } from '../collect/series.ts';

/** A run of `ok.length` seconds: per second the successes, failures (5xx) and upstream calls. */
function run(ok: number[], failed: number[], calls: number[], faults: FaultSwitch[] = [brownout(2000, 4000)]) {
  const n = ok.length;
  const series: RunSeries = {
    t: ok.map((_, i) => i),
    ok,
    status4xx: new Array(n).fill(0),
    status5xx: failed,
    errors: new Array(n).fill(0),
    p50: new Array(n).fill(null),
    p99: new Array(n).fill(null),
    upstream: { backend: calls },
  };
  return { series, durationMs: n * 1000, faults };
}

function brownout(on: number, off: number, name = 'brownout'): FaultSwitch {
  return { fault: name, layer: 'http', kind: 'capacity', scheduledOn: on, on, scheduledOff: off, off };
}

const rep = <T>(v: T, n: number): T[] => new Array(n).fill(v);

describe('analyzeRecovery', () => {
  it('a run that recovers: the first second after the trigger from which every second is healthy', () => {
    // 12 s at 100/s: healthy, 3 bad seconds (2–4 trigger, 4 the aftermath), healthy again from 5 s.
    const ok = [100, 100, 10, 0, 20, ...rep(98, 7)];
    const failed = ok.map((o) => 100 - o);
    const calls = [100, 101, 190, 200, 180, ...rep(102, 7)];
    const r = analyzeRecovery(run(ok, failed, calls));
    expect(r.state).toBe('recovered');
    expect(r.triggerEndMs).toBe(4000);
    expect(r.recoveredAtMs).toBe(5000);
    expect(r.recoveredAfterMs).toBe(1000);
    expect(r.peakAmplification).toBe(2);
    expect(r.unhealthySeconds).toBe(3);
    expect(r.summary).toBe('recovered 1.0 s after the trigger ended');
  });

  it('a system healthy again the moment the trigger ends recovered 0 s after it', () => {
    const ok = [100, 100, 0, 0, ...rep(100, 8)];
    const r = analyzeRecovery(run(ok, ok.map((o) => 100 - o), rep(100, 12)));
    expect(r.state).toBe('recovered');
    expect(r.recoveredAfterMs).toBe(0);
  });

  it('a run stuck after its trigger: goodput near 0 and amplification 2× to the end', () => {
    const ok = [100, 100, 5, ...rep(2, 9)];
    const r = analyzeRecovery(run(ok, ok.map((o) => 100 - o), [100, 100, ...rep(200, 10)]));
    expect(r.state).toBe('stuck');
    expect(r.recoveredAtMs).toBeNull();
    expect(r.after.goodput).toBeCloseTo(0.02, 5);
    expect(r.after.amplification).toBeCloseTo(2, 5);
    expect(r.summary).toMatch(/^stuck: .*goodput 2 %, amplification 2\.00×/);
  });

  it('good goodput is not enough: a system still sending 2× the load is not recovered', () => {
    const ok = rep(95, 12);
    const r = analyzeRecovery(run(ok, rep(5, 12), rep(200, 12)));
    expect(r.state).toBe('stuck');
  });

  it('one lucky second is not recovery: the healthy stretch must last holdMs and reach the end', () => {
    // Healthy at 6 s only, then bad again; and a healthy stretch of 3 s at the very end.
    const ok = [100, 100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 100, 100, 100];
    const failed = ok.map((o) => 100 - o);
    expect(analyzeRecovery(run(ok, failed, rep(100, 16))).state).toBe('stuck');
    // The same with a 3 s hold: recovered at 13 s.
    const r = analyzeRecovery(run(ok, failed, rep(100, 16)), { criteria: { holdMs: 3000 } });
    expect(r.state).toBe('recovered');
    expect(r.recoveredAtMs).toBe(13000);
  });

  it('too few seconds after the trigger to tell: undetermined, not a guess', () => {
    const ok = [100, 100, 0, 0, 100, 100, 100];
    const r = analyzeRecovery(run(ok, ok.map((o) => 100 - o), rep(100, 7), [brownout(2000, 4000)]));
    expect(r.state).toBe('undetermined');
    expect(r.summary).toMatch(/only 3 whole second/);
  });

  it('measures from the last switch-off of the named trigger, and from `off` when it switched late', () => {
    const ok = [100, 100, 0, 0, 0, 100, 100, 100, 100, 100, 100, 100];
    const data = run(ok, ok.map((o) => 100 - o), rep(100, 12), [brownout(2000, 3000), { ...brownout(3000, 4000), off: 4400 }, brownout(0, 1000, 'other')]);
    const r = analyzeRecovery(data, { trigger: 'brownout' });
    expect(r.triggerEndMs).toBe(4400);
    // The bucket at 4 s began before the trigger ended: the first one judged starts at 5 s.
    expect(r.recoveredAtMs).toBe(5000);
    expect(() => analyzeRecovery(data, { trigger: 'nope' })).toThrow(/no fault named `nope`.*brownout, other/);
    expect(() => analyzeRecovery({ ...data, faults: [] })).toThrow(/no trigger/);
  });

  it('leaves out a last partial second and seconds without requests', () => {
    const s = secondStats(run([10, 0, 10], [0, 0, 0], [10, 0, 10]).series, 2500);
    expect(s.map((x) => x.t)).toEqual([0, 1000]);
    expect(s[1]).toMatchObject({ offered: 0, goodput: null, amplification: null, healthy: false });
  });

  it('triggerWindow spans every occurrence', () => {
    expect(triggerWindow([brownout(2000, 3000), brownout(5000, 6000)])).toEqual({ startMs: 2000, endMs: 6000 });
  });
});

describe('perSecond (the SLO layer buckets raw data itself)', () => {
  it('gives the counts buildSeries gives, so recovery_time and this study read one definition', () => {
    const statuses = [200, 200, 503, 0, 404, 302, 500];
    const requests = Array.from({ length: 700 }, (_, i) => ({ due: i * 14.3 - 20, sent: 0, end: 0, status: statuses[i % statuses.length]!, route: 'r' }));
    const upstream = Array.from({ length: 900 }, (_, i) => ({ t: i * 11.7 - 5, provider: i % 3 ? 'a' : 'b', ...(i % 5 ? {} : { region: 'eu' }), endpoint: 'GET /', status: 200 }));
    const full = buildSeries(requests, upstream, 10_000);
    const own = perSecond({ requests, upstream, durationMs: 10_000 });
    expect(own).toEqual({ t: full.t, ok: full.ok, status4xx: full.status4xx, status5xx: full.status5xx, errors: full.errors, upstream: full.upstream });
  });
});
