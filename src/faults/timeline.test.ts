import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { primeFaults, startTimeline, type FaultBackend, type TimedFault } from './timeline.ts';

function recorder(clock: FakeClock, lagMs = 0, lags: { off?: number; step?: number } = {}) {
  const log: string[] = [];
  const label = (f: TimedFault) => (f.occurrence === undefined ? f.name : `${f.name}#${f.occurrence}`);
  const backend: FaultBackend = {
    async on(f) {
      if (lagMs) await clock.sleep(lagMs);
      log.push(`${clock.now()} on ${label(f)}`);
    },
    async off(f) {
      if (lags.off) await clock.sleep(lags.off);
      log.push(`${clock.now()} off ${label(f)}`);
    },
    async step(f, k) {
      if (lags.step) await clock.sleep(lags.step);
      log.push(`${clock.now()} step ${label(f)} ${k}=${f.ramp!.steps[k]!.value}`);
    },
  };
  return { log, backend };
}

const ramped = (name: string, fromMs: number, toMs: number, values: number[], everyMs: number, occurrence?: number): TimedFault => ({
  ...fault(name, fromMs, toMs),
  ...(occurrence !== undefined && { occurrence }),
  ramp: { param: 'rate', steps: values.map((value, k) => ({ atMs: fromMs + k * everyMs, value })) },
});

const fault = (name: string, fromMs: number, toMs: number): TimedFault => ({ name, layer: 'http', kind: 'error', fromMs, toMs });

describe('fault timeline', () => {
  it('switches overlapping faults on and off at their windows and records the times', async () => {
    const clock = new FakeClock(1_000);
    const { log, backend } = recorder(clock);
    const tl = startTimeline([fault('a', 0, 5_000), fault('b', 2_000, 3_000)], backend, clock, 1_000, () => {});
    await clock.advanceAsync(6_000);
    expect(log).toEqual(['1000 on a', '3000 on b', '4000 off b', '6000 off a']);
    expect(tl.switches).toEqual([
      { fault: 'a', layer: 'http', kind: 'error', scheduledOn: 0, on: 0, scheduledOff: 5_000, off: 5_000 },
      { fault: 'b', layer: 'http', kind: 'error', scheduledOn: 2_000, on: 2_000, scheduledOff: 3_000, off: 3_000 },
    ]);
    await tl.stop();
    expect(log).toHaveLength(4);
  });

  it('records the actual switch time when the backend is slow', async () => {
    const clock = new FakeClock(0);
    const { backend } = recorder(clock, 30);
    const tl = startTimeline([fault('slow', 1_000, 2_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(2_500);
    expect(tl.switches[0]!.on).toBe(1_030);
    expect(tl.switches[0]!.off).toBe(2_000);
  });

  it('stop() switches off what is still on and cancels what has not started', async () => {
    const clock = new FakeClock(0);
    const { log, backend } = recorder(clock);
    const tl = startTimeline([fault('on-now', 0, 10_000), fault('later', 8_000, 9_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(1_000);
    await tl.stop();
    await clock.advanceAsync(20_000);
    expect(log).toEqual(['0 on on-now', '1000 off on-now']);
    expect(tl.switches[1]).toMatchObject({ on: null, off: null });
  });

  it('reports a backend failure and leaves the fault marked as never switched', async () => {
    const clock = new FakeClock(0);
    const errors: string[] = [];
    const backend: FaultBackend = {
      on: async () => {
        throw new Error('proxy gone');
      },
      off: async () => {},
    };
    const tl = startTimeline([fault('x', 0, 1_000)], backend, clock, 0, (f, phase, err) => errors.push(`${f.name} ${phase} ${(err as Error).message}`));
    await clock.advanceAsync(2_000);
    expect(errors).toEqual(['x on proxy gone']);
    expect(tl.switches[0]).toMatchObject({ on: null, off: null });
  });

  it('applies each ramp step at its time and records when it took effect', async () => {
    const clock = new FakeClock(0);
    const { log, backend } = recorder(clock, 0, { step: 5 });
    const tl = startTimeline([ramped('r', 1_000, 4_000, [0, 0.25, 0.5], 1_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(5_000);
    expect(log).toEqual(['1000 on r', '2005 step r 1=0.25', '3005 step r 2=0.5', '4000 off r']);
    expect(tl.switches[0]!.ramp).toEqual({
      param: 'rate',
      steps: [
        { scheduled: 1_000, at: 1_000, value: 0 },
        { scheduled: 2_000, at: 2_005, value: 0.25 },
        { scheduled: 3_000, at: 3_005, value: 0.5 },
      ],
    });
  });

  it('keeps a slow step ahead of the switch-off that follows it, so the off is the last word', async () => {
    const clock = new FakeClock(0);
    const { log, backend } = recorder(clock, 0, { step: 400 });
    // Steps due at 1 s and 1.9 s, the off at 2 s; each step takes 400 ms.
    const r: TimedFault = { ...fault('r', 0, 2_000), ramp: { param: 'rate', steps: [{ atMs: 0, value: 0 }, { atMs: 1_000, value: 0.5 }, { atMs: 1_900, value: 1 }] } };
    const tl = startTimeline([r], backend, clock, 0, () => {});
    await clock.advanceAsync(4_000);
    expect(log).toEqual(['0 on r', '1400 step r 1=0.5', '2300 step r 2=1', '2300 off r']);
    expect(tl.switches[0]).toMatchObject({ on: 0, off: 2_300 });
  });

  it('switches the occurrences of one fault strictly in turn: the next on waits for the last off', async () => {
    const clock = new FakeClock(0);
    const { log, backend } = recorder(clock, 0, { off: 80 });
    const occurrences = [0, 1, 2].map((k) => ({ ...fault('flap', k * 1_000, k * 1_000 + 950), occurrence: k + 1 }));
    const tl = startTimeline(occurrences, backend, clock, 0, () => {});
    await clock.advanceAsync(4_000);
    expect(log).toEqual(['0 on flap#1', '1030 off flap#1', '1030 on flap#2', '2030 off flap#2', '2030 on flap#3', '3030 off flap#3']);
    expect(tl.switches.map((s) => [s.occurrence, s.scheduledOn, s.on, s.scheduledOff, s.off])).toEqual([
      [1, 0, 0, 950, 1_030],
      [2, 1_000, 1_030, 1_950, 2_030],
      [3, 2_000, 2_030, 2_950, 3_030],
    ]);
  });

  it('on stop, switches off the occurrence that is on, marks it ended early and drops the ones never reached', async () => {
    const clock = new FakeClock(0);
    const { log, backend } = recorder(clock);
    const occurrences = [0, 1, 2, 3].map((k) => ramped('flap', k * 1_000, k * 1_000 + 500, [0.1, 0.2], 250, k + 1));
    const once = fault('later', 5_000, 6_000);
    const tl = startTimeline([...occurrences, once], backend, clock, 0, () => {});
    await clock.advanceAsync(1_100);
    await tl.stop();
    await clock.advanceAsync(10_000);
    expect(log).toEqual(['0 on flap#1', '250 step flap#1 1=0.2', '500 off flap#1', '1000 on flap#2', '1100 off flap#2']);
    expect(tl.switches).toEqual([
      expect.objectContaining({ occurrence: 1, on: 0, off: 500 }),
      expect.objectContaining({ occurrence: 2, on: 1_000, off: 1_100, endedEarly: true }),
      // `later` never switched on: still listed, so the report can say so.
      expect.objectContaining({ fault: 'later', on: null, off: null }),
    ]);
    expect(tl.switches[0]!.endedEarly).toBeUndefined();
    expect(tl.switches[1]!.ramp!.steps).toEqual([
      { scheduled: 1_000, at: 1_000, value: 0.1 },
      { scheduled: 1_250, at: null, value: 0.2 },
    ]);
  });

  it('marks a fault cut short by stop() even when its switch-off then takes past the scheduled off', async () => {
    const clock = new FakeClock(0);
    const { backend } = recorder(clock, 0, { off: 500 });
    const tl = startTimeline([fault('slow-off', 0, 1_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(800);
    const stopping = tl.stop();
    await clock.advanceAsync(600);
    await stopping;
    expect(tl.switches[0]).toMatchObject({ on: 0, off: 1_300, endedEarly: true });
  });

  it('does not mark a fault switched off at the end of a completed run as ended early', async () => {
    const clock = new FakeClock(0);
    const { backend } = recorder(clock);
    const tl = startTimeline([fault('to-the-end', 1_000, 5_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(4_999);
    clock.advance(1); // the off falls due, but stop() gets there first
    await tl.stop();
    expect(tl.switches[0]).toMatchObject({ on: 1_000, off: 5_000 });
    expect(tl.switches[0]!.endedEarly).toBeUndefined();
  });

  it('does not mark a fault due off at the end as cut short when the load finished a little early (stop at the planned end)', async () => {
    const clock = new FakeClock(0);
    const { backend } = recorder(clock);
    const tl = startTimeline([fault('to-the-end', 1_000, 5_000)], backend, clock, 0, () => {});
    // An open load ends at its last arrival once nothing is in flight: 20 ms before the run's planned 5 s.
    await clock.advanceAsync(4_980);
    await tl.stop(5_000);
    expect(tl.switches[0]).toMatchObject({ on: 1_000, off: 4_980 });
    expect(tl.switches[0]!.endedEarly).toBeUndefined();
  });

  it('marks it cut short when the run ended (was aborted) before its scheduled off', async () => {
    const clock = new FakeClock(0);
    const { backend } = recorder(clock);
    const tl = startTimeline([fault('long', 1_000, 5_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(3_000);
    await tl.stop(2_900);
    expect(tl.switches[0]).toMatchObject({ on: 1_000, off: 3_000, endedEarly: true });
  });

  it('takes back a switch-on that failed half-way', async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const backend: FaultBackend = {
      on: async () => {
        log.push('on');
        throw new Error('second region failed');
      },
      off: async () => {
        log.push('off');
      },
    };
    const tl = startTimeline([fault('x', 0, 1_000)], backend, clock, 0, () => {});
    await clock.advanceAsync(2_000);
    await tl.stop();
    expect(log).toEqual(['on', 'off']);
    expect(tl.switches[0]).toMatchObject({ on: null, off: null });
  });

  it('primes each fault once before t = 0: on, its first ramp step, off — one occurrence per name', async () => {
    const clock = new FakeClock(0);
    const { log, backend } = recorder(clock);
    const flaps = [1, 2, 3].map((k) => ({ ...fault('flap', k * 1_000, k * 1_000 + 500), occurrence: k }));
    await primeFaults([...flaps, ramped('r', 0, 5_000, [0, 0.5, 1], 1_000)], backend);
    expect(log.sort()).toEqual(['0 off flap#1', '0 off r', '0 on flap#1', '0 on r', '0 step r 1=0.5'].sort());
  });
});
