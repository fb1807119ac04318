import { describe, expect, it } from 'vitest';
import { abortingSlos, dataSoFar, findBreach, type AbortableSlo } from './abort.ts';
import { fault, req, reqs, runData } from './testing.ts';

/** 100 requests a second for 10 s; from 3 s on, every second one answers 503. */
function halfFailingFrom3s() {
  return reqs(1000).map((r) => (r.due >= 3000 && (r.due / 10) % 2 === 0 ? { ...r, status: 503 } : r));
}

const availability = (abortOnFail: AbortableSlo['abortOnFail'], window: AbortableSlo['window'] = { kind: 'run' }): AbortableSlo => ({
  name: 'availability',
  expr: 'availability >= 90%',
  window,
  ...(abortOnFail && { abortOnFail }),
});

describe('dataSoFar', () => {
  it('keeps what had happened by now: finished requests, switches already made', () => {
    const parts = { ...runData({ requests: [req(0, 200, 10), req(900, 200, 300), req(1500)] }), faults: [fault('f', 500, 2000)] };
    const at1s = dataSoFar(parts, 1000);
    expect(at1s.durationMs).toBe(1000);
    // The request due at 900 ms is still in flight at 1 s (it ends at 1.2 s): not counted yet.
    expect(at1s.requests.map((r) => r.due)).toEqual([0]);
    expect(at1s.faults[0]).toMatchObject({ on: 500, off: null });
  });
});

describe('findBreach', () => {
  it('finds nothing in an SLO without abortOnFail, and abortingSlos leaves it out', () => {
    const data = dataSoFar(runData({ requests: halfFailingFrom3s() }), 9000);
    expect(findBreach([availability(undefined)], data)).toBeUndefined();
    expect(abortingSlos([availability(undefined), availability({ graceMs: 0 })])).toHaveLength(1);
  });

  it('judges over the data so far: holds at 3 s, breached at 4 s once the share so far drops below 90 %', () => {
    const parts = runData({ requests: halfFailingFrom3s() });
    const slo = [availability({ graceMs: 0 })];
    // At 4 s: 300 good + 50 of 100 → 350/400 = 87.5 %: breached.
    expect(findBreach(slo, dataSoFar(parts, 3000))).toBeUndefined();
    const b = findBreach(slo, dataSoFar(parts, 4000))!;
    expect(b).toMatchObject({ slo: 'availability', atMs: 4000, verdict: { passed: false, samples: 400 } });
    expect(b.reason).toMatch(/^SLO "availability" breached at 4\.0 s: availability 87\.5 % < 90 %/);
  });

  it('waits for its window to open and for the grace to pass', () => {
    const requests = reqs(1000).map((r) => (r.due >= 3000 && r.due < 6000 ? { ...r, status: 503 } : r));
    const parts = { ...runData({ requests }), faults: [fault('outage', 3000, 6000)] };
    const during = [availability({ graceMs: 1500 }, { kind: 'during', fault: 'outage' })];
    // Before 3 s the window has not opened; at 4 s it has, but the grace runs to 4.5 s.
    expect(findBreach(during, dataSoFar(parts, 2500))).toBeUndefined();
    expect(findBreach(during, dataSoFar(parts, 4000))).toBeUndefined();
    expect(findBreach(during, dataSoFar(parts, 5000))).toMatchObject({ atMs: 5000, verdict: { range: [3000, 5000] } });
    // A recovery window opens only once its fault has switched off.
    const recovery = [availability({ graceMs: 0 }, { kind: 'recovery', fault: 'outage' })];
    expect(findBreach(recovery, dataSoFar(parts, 5500))).toBeUndefined();
  });

  it('never stops a run on "nothing to judge yet"', () => {
    expect(findBreach([availability({ graceMs: 0 })], dataSoFar(runData({ requests: [] }), 2000))).toBeUndefined();
  });
});
