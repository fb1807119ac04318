import { describe, expect, it } from 'vitest';
import { fault, runData } from './testing.ts';
import { describeWindow, inWindow, resolveWindow, whyNoWindow } from './window.ts';

describe('resolveWindow', () => {
  const data = runData({
    durationMs: 60_000,
    faults: [fault('stripe-eu-down', 10_000, 40_000), fault('still-on', 50_000, null), fault('never', null, null)],
  });

  it('spans the whole run for `run`', () => {
    expect(resolveWindow({ kind: 'run' }, data)).toEqual([0, 60_000]);
  });

  it('spans from switch-on to switch-off for `during`, or to the end while still on', () => {
    expect(resolveWindow({ kind: 'during', fault: 'stripe-eu-down' }, data)).toEqual([10_000, 40_000]);
    expect(resolveWindow({ kind: 'during', fault: 'still-on' }, data)).toEqual([50_000, 60_000]);
  });

  it('spans from switch-off for `recovery`, for `forMs` but never past the end', () => {
    expect(resolveWindow({ kind: 'recovery', fault: 'stripe-eu-down', forMs: 10_000 }, data)).toEqual([40_000, 50_000]);
    expect(resolveWindow({ kind: 'recovery', fault: 'stripe-eu-down' }, data)).toEqual([40_000, 60_000]);
    expect(resolveWindow({ kind: 'recovery', fault: 'stripe-eu-down', forMs: 30_000 }, data)).toEqual([40_000, 60_000]);
  });

  it('uses when faults actually switched, not when they were scheduled', () => {
    const late = runData({ faults: [{ ...fault('f', 1_200, 3_400), scheduledOn: 1_000, scheduledOff: 3_000 }] });
    expect(resolveWindow({ kind: 'during', fault: 'f' }, late)).toEqual([1_200, 3_400]);
  });

  it('is null when the window never opened', () => {
    expect(resolveWindow({ kind: 'during', fault: 'never' }, data)).toBeNull();
    expect(resolveWindow({ kind: 'recovery', fault: 'never' }, data)).toBeNull();
    expect(resolveWindow({ kind: 'recovery', fault: 'still-on' }, data)).toBeNull();
    expect(resolveWindow({ kind: 'during', fault: 'no-such-fault' }, data)).toBeNull();
  });

  it('covers a flapping fault from its first switch-on to its last switch-off', () => {
    const flapping = runData({ durationMs: 60_000, faults: [fault('flap', 5_000, 8_000), fault('flap', 20_000, 25_000)] });
    expect(resolveWindow({ kind: 'during', fault: 'flap' }, flapping)).toEqual([5_000, 25_000]);
    expect(resolveWindow({ kind: 'recovery', fault: 'flap', forMs: 1_000 }, flapping)).toEqual([25_000, 26_000]);
  });

  it('gives an empty window, not an inverted one, for a fault that switched off after load ended', () => {
    const late = runData({ durationMs: 10_000, faults: [fault('f', 5_000, 12_000)] });
    expect(resolveWindow({ kind: 'recovery', fault: 'f', forMs: 1_000 }, late)).toEqual([12_000, 12_000]);
  });
});

describe('whyNoWindow', () => {
  const data = runData({ faults: [fault('joke-5xx', null, null), fault('up', 1, null)] });
  it('tells an unknown fault from one that never switched', () => {
    expect(whyNoWindow({ kind: 'during', fault: 'jok-5xx' }, data)).toBe('no fault named "jok-5xx" in this run (faults: joke-5xx, up)');
    expect(whyNoWindow({ kind: 'during', fault: 'joke-5xx' }, data)).toContain('never switched on');
    expect(whyNoWindow({ kind: 'recovery', fault: 'up' }, data)).toContain('never switched off');
  });
});

describe('describeWindow', () => {
  it('says the window as people do', () => {
    expect(describeWindow({ kind: 'run' })).toBe('run');
    expect(describeWindow({ kind: 'during', fault: 'stripe-eu-down' })).toBe('during stripe-eu-down');
    expect(describeWindow({ kind: 'recovery', fault: 'stripe-eu-down', forMs: 10_000 })).toBe('recovery after stripe-eu-down (10s)');
    expect(describeWindow({ kind: 'recovery', fault: 'stripe-eu-down' })).toBe('recovery after stripe-eu-down');
  });
});

describe('inWindow', () => {
  it('is half-open, so an event at a switch-off belongs to the recovery only', () => {
    expect(inWindow(10_000, [10_000, 40_000], 60_000)).toBe(true);
    expect(inWindow(39_999.9, [10_000, 40_000], 60_000)).toBe(true);
    expect(inWindow(40_000, [10_000, 40_000], 60_000)).toBe(false);
    expect(inWindow(40_000, [40_000, 50_000], 60_000)).toBe(true);
  });

  it('includes the run end itself, since nothing follows it', () => {
    expect(inWindow(60_000, [0, 60_000], 60_000)).toBe(true);
    expect(inWindow(60_001, [0, 60_000], 60_000)).toBe(false);
  });
});
