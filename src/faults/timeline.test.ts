import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { startTimeline, type FaultBackend, type TimedFault } from './timeline.ts';

function recorder(clock: FakeClock, lagMs = 0) {
  const log: string[] = [];
  const backend: FaultBackend = {
    async on(f) {
      if (lagMs) await clock.sleep(lagMs);
      log.push(`${clock.now()} on ${f.name}`);
    },
    async off(f) {
      log.push(`${clock.now()} off ${f.name}`);
    },
  };
  return { log, backend };
}

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
});
