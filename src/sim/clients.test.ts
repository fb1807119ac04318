import { describe, expect, it } from 'vitest';
import { forkRng, seededRng } from '../core/rng.ts';
import { arrivalTimes } from '../load/arrivals.ts';
import type { Scenario } from '../model/scenario.ts';
import type { Router, RouterRequest, RouterResponse } from '../router/index.ts';
import { driveClients } from './clients.ts';
import { SimClock } from './engine.ts';

const fixed = (value: number) => ({ distribution: 'fixed' as const, value });
const scenario = (load: Partial<Scenario['load']> & Pick<Scenario['load'], 'model'>): Scenario =>
  ({
    file: 'x.yaml',
    name: 'clients',
    seed: 5,
    expect: 'pass',
    target: { kind: 'router', config: 'r.yaml' },
    providers: [],
    faults: [],
    slos: [],
    load: { durationMs: 1000, timeoutMs: 100, requests: [{ name: 'a', weight: 1, method: 'GET', path: '/a', headers: {} }], ...load },
  }) as Scenario;

/** A router whose every answer takes `ms` (Infinity: never, until the client's connection closes). */
function router(clock: SimClock, ms: number, status = 200) {
  const aborted: number[] = [];
  const r = {
    handle: (req: RouterRequest) =>
      new Promise<RouterResponse>((resolve, reject) => {
        req.signal?.addEventListener('abort', () => {
          aborted.push(clock.now());
          reject(req.signal!.reason);
        });
        if (Number.isFinite(ms)) clock.schedule(ms, () => resolve({ status, headers: {}, body: new Uint8Array() }));
      }),
  } as unknown as Router;
  return { r, aborted };
}

describe('the modelled clients', () => {
  it('open model: the live driver\'s schedule from the same seeded streams; each answer a leg each way', async () => {
    const clock = new SimClock(0);
    const s = scenario({ model: 'open', rate: 20, arrival: 'poisson' });
    const { r } = router(clock, 10);
    const { requests } = await driveClients(s, r, clock, 0, { clientLeg: fixed(2), rng: seededRng(1) });
    const rng = forkRng(5, 'load');
    const expected = [...arrivalTimes({ kind: 'poisson', rate: 20, durationMs: 1000, rng: seededRng(Math.floor(rng.next() * 0x1_0000_0000)) })];
    expect(requests.map((q) => q.due)).toEqual(expected);
    expect(requests.every((q) => q.status === 200 && q.ok && q.sent === q.due && Math.abs(q.end - q.due - 14) < 1e-9)).toBe(true);
  });

  it('a client timeout: status 0 `timeout` at the timeout, the router\'s signal aborted one leg later', async () => {
    const clock = new SimClock(0);
    const s = scenario({ model: 'open', rate: 4, arrival: 'uniform' });
    const { r, aborted } = router(clock, Infinity);
    const { requests } = await driveClients(s, r, clock, 0, { clientLeg: fixed(2), rng: seededRng(1) });
    expect(requests.map((q) => [q.due, q.end, q.status, q.error, q.ok])).toEqual([0, 250, 500, 750].map((d) => [d, d + 100, 0, 'timeout', false]));
    // The last one's close would reach the router after the run ended with its record: no event is run for it.
    expect(aborted).toEqual([0, 250, 500].map((d) => d + 102));
  });

  it('a status is a success when the request expects it (meetsExpectation), as live', async () => {
    const clock = new SimClock(0);
    const s = scenario({ model: 'open', rate: 2, arrival: 'uniform', requests: [{ name: 'gone', weight: 1, method: 'GET', path: '/x', headers: {}, expect: [404] }] });
    const { r } = router(clock, 1, 404);
    const { requests } = await driveClients(s, r, clock, 0, { clientLeg: fixed(0), rng: seededRng(1) });
    expect(requests.map((q) => [q.status, q.ok])).toEqual([[404, true], [404, true]]);
  });

  it('closed model: each connection sends its next request when its last one ends', async () => {
    const clock = new SimClock(0);
    const s = scenario({ model: 'closed', connections: 3 });
    const { r } = router(clock, 48);
    const { requests } = await driveClients(s, r, clock, 0, { clientLeg: fixed(1), rng: seededRng(1) });
    // 50 ms a round trip: 20 rounds of 3 in 1 s; the round cut off at the end is not recorded.
    expect(requests).toHaveLength(60);
    expect(requests.every((q) => q.due === q.sent && q.end - q.due === 50)).toBe(true);
  });
});
