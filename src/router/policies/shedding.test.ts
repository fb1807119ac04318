import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { LoadShedError } from './errors.ts';
import { compileLoadShedding, LoadShedder } from './shedding.ts';
import { collectIssues } from './testing.ts';

describe('LoadShedder', () => {
  it('sheds sheddable requests at half the in-flight limit, and critical ones only at the limit', async () => {
    const clock = new FakeClock();
    const shed: string[] = [];
    const shedder = new LoadShedder({ maxInFlight: 4 }, clock, (p) => shed.push(p));
    const hold = (priority: string) => shedder.execute(() => clock.sleep(10), { priority }).then(() => 'ok', (e: unknown) => (e instanceof LoadShedError ? 'shed' : 'error'));
    const results = [hold('sheddable'), hold('sheddable'), hold('sheddable'), hold('sheddable-plus'), hold('critical'), hold('critical'), hold('critical-plus')];
    await clock.advanceAsync(10);
    // In flight when each arrived: 0, 1 → admitted (≤ 2 = 50 % of 4); 2 → shed; sheddable-plus at 2 → 3 ≤ 3 admitted;
    // critical at 3 → 4 ≤ 4 admitted; critical at 4 → shed; critical-plus at 4 → shed.
    expect(await Promise.all(results)).toEqual(['ok', 'ok', 'shed', 'ok', 'ok', 'shed', 'shed']);
    expect(shed).toEqual(['sheddable', 'critical', 'critical-plus']);
    expect(shedder.state().inFlight).toBe(0);
  });

  it('treats a missing or unknown priority as the default (critical)', () => {
    const shedder = new LoadShedder({ maxInFlight: 1 }, new FakeClock());
    expect(shedder.priorityOf(undefined)).toBe('critical');
    expect(shedder.priorityOf('vip')).toBe('critical');
    expect(shedder.priorityOf('sheddable')).toBe('sheddable');
  });

  it('sheds on a standing queue: the minimum queueing delay over the last interval', () => {
    const clock = new FakeClock();
    const shedder = new LoadShedder({ maxQueueDelay: 100, interval: 100 }, clock);
    // One interval where every call queued ≥ 60 ms: a standing queue at 60 % of the target.
    for (const ms of [80, 60, 90]) shedder.observeQueueDelay(ms);
    clock.advance(100);
    expect(shedder.state().queueDelay).toBe(60);
    expect(shedder.verdict('sheddable')).toMatch(/queueing delay/); // shed from 50 ms
    expect(shedder.verdict('sheddable-plus')).toBeUndefined(); // from 75 ms
    // A burst with one call that did not wait is no standing queue.
    for (const ms of [500, 0, 400]) shedder.observeQueueDelay(ms);
    clock.advance(100);
    expect(shedder.state().queueDelay).toBe(0);
    // An interval without any observation: no queue.
    clock.advance(200);
    expect(shedder.verdict('sheddable')).toBeUndefined();
  });

  it('refuses a shedder without a capacity, and unknown priorities in shedAt', () => {
    const clock = new FakeClock();
    expect(() => new LoadShedder({}, clock)).toThrow(/capacity/);
    expect(() => new LoadShedder({ maxInFlight: 5, shedAt: { bulk: 0.5 } }, clock)).toThrow(/not one of the priorities/);
  });
});

describe('load shedding config', () => {
  it("defaults to the SRE book's criticalities, critical the default priority", () => {
    const { issue, issues } = collectIssues();
    expect(compileLoadShedding({ maxInFlight: 10 }, ['loadShedding'], issue)).toEqual({
      priorities: ['critical-plus', 'critical', 'sheddable-plus', 'sheddable'],
      defaultPriority: 'critical',
      maxInFlight: 10,
    });
    expect(compileLoadShedding({ maxQueueDelay: '50ms', priorities: ['high', 'low'], shedAt: { low: '60%' } }, ['loadShedding'], issue)).toEqual({
      priorities: ['high', 'low'],
      defaultPriority: 'low',
      maxQueueDelay: 50,
      shedAt: { low: 0.6 },
    });
    expect(issues).toEqual([]);
  });

  it('reports a shedding without capacity and a share for an unknown priority', () => {
    const { issue, issues } = collectIssues();
    expect(compileLoadShedding({ shedAt: { nope: '50%' } }, ['loadShedding'], issue)).toBeUndefined();
    expect(issues).toEqual([
      'loadShedding.shedAt.nope: "nope" is not one of the priorities (critical-plus, critical, sheddable-plus, sheddable)',
      'loadShedding.maxInFlight: give maxInFlight, maxQueueDelay or both: load shedding needs a capacity',
    ]);
  });
});
