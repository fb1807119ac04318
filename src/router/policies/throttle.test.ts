import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { ThrottledError } from './errors.ts';
import { collectIssues } from './testing.ts';
import { AdaptiveThrottle, compileThrottle, DEFAULT_MIN_REQUESTS } from './throttle.ts';

describe('AdaptiveThrottle (SRE book client-side throttling)', () => {
  it('never rejects while the backend accepts everything', async () => {
    const clock = new FakeClock();
    const throttle = new AdaptiveThrottle<number>({ k: 2 }, clock, seededRng(1), { rejected: (s) => s === 503 });
    for (let i = 0; i < 1_000; i++) await throttle.execute(async () => 200);
    expect(throttle.state()).toEqual({ requests: 1_000, accepts: 1_000, rejectProbability: 0 });
  });

  it('rejects with probability max(0, (requests − K·accepts) / (requests + 1)), none below minRequests', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(1, 1.1, 2, 3),
        fc.constantFrom(undefined, 0, 1, 20, 100),
        (requests, acceptsRaw, k, minRequests) => {
          const accepts = Math.min(acceptsRaw, requests);
          const throttle = new AdaptiveThrottle({ k, ...(minRequests !== undefined && { minRequests }) }, new FakeClock(), seededRng(1));
          throttle.record(requests, accepts);
          const expected = requests < (minRequests ?? DEFAULT_MIN_REQUESTS) ? 0 : Math.max(0, (requests - k * accepts) / (requests + 1));
          expect(throttle.probability()).toBeCloseTo(expected, 12);
        },
      ),
    );
  });

  it('does not throttle a healthy backend under a concurrent burst from a cold start', async () => {
    // The storm: counted at departure, 500 requests in flight and no answer yet read as
    // p = 500/501, and each refusal fed the next one. Counted on arrival, nothing is refused.
    const clock = new FakeClock();
    let throttled = 0;
    const throttle = new AdaptiveThrottle<number>({ k: 2 }, clock, seededRng(3), { rejected: (s) => s === 503, onThrottled: () => throttled++ });
    for (let wave = 0; wave < 5; wave++) {
      const answers: Array<() => void> = [];
      const calls = Array.from({ length: 500 }, () =>
        throttle.execute(() => new Promise<number>((resolve) => answers.push(() => resolve(200)))),
      );
      clock.advance(10);
      for (const a of answers) a();
      await Promise.all(calls);
    }
    expect(throttled).toBe(0);
    expect(throttle.state()).toEqual({ requests: 2_500, accepts: 2_500, rejectProbability: 0 });
  });

  it('still sheds once the window holds minRequests refusals', async () => {
    const clock = new FakeClock();
    const throttle = new AdaptiveThrottle<number>({ k: 2, minRequests: 5 }, clock, seededRng(1), { rejected: (s) => s === 503 });
    for (let i = 0; i < 4; i++) await throttle.execute(async () => 503);
    expect(throttle.probability()).toBe(0);
    await throttle.execute(async () => 503);
    expect(throttle.probability()).toBeCloseTo(5 / 6, 12);
  });

  it('holds what it sends to about K × what the backend accepts, and recovers after the window', async () => {
    // A backend that accepts 10 requests per second and refuses the rest, offered 50/s for
    // 4 simulated minutes (12 000 requests). Unthrottled, all 12 000 reach it; throttled with
    // K = 2 the client settles where requests ≈ K·accepts: about 2 sent per accepted one.
    // Over 12 seeds the ratio sent/accepted lay in [1.98, 2.08] (it is a control loop, not a
    // coin: the band below is wide for any seed, and this run is seeded).
    const clock = new FakeClock();
    const throttle = new AdaptiveThrottle<number>({ k: 2 }, clock, seededRng(9), { rejected: (s) => s === 503 });
    let sent = 0;
    let accepted = 0;
    let local = 0;
    let second = -1;
    let thisSecond = 0;
    for (let i = 0; i < 12_000; i++) {
      clock.advance(20);
      if (Math.floor(clock.now() / 1_000) !== second) [second, thisSecond] = [Math.floor(clock.now() / 1_000), 0];
      await throttle
        .execute(async () => {
          sent++;
          if (thisSecond >= 10) return 503;
          thisSecond++;
          accepted++;
          return 200;
        })
        .catch((e: unknown) => {
          if (e instanceof ThrottledError) local++;
        });
    }
    expect(accepted).toBeGreaterThanOrEqual(2_400); // 10 per second, 240 seconds (plus the second the run ends in)
    expect(accepted).toBeLessThanOrEqual(2_410);
    expect(sent / accepted).toBeGreaterThan(1.8);
    expect(sent / accepted).toBeLessThan(2.3);
    expect(local + sent).toBe(12_000);
    // Two minutes with no traffic later, the history has slid out and nothing is rejected.
    clock.advance(120_000);
    expect(throttle.probability()).toBe(0);
  });

  it('does not count a caller leaving as the backend refusing', async () => {
    const clock = new FakeClock();
    const throttle = new AdaptiveThrottle({ k: 1 }, clock, seededRng(1));
    const controller = new AbortController();
    controller.abort();
    for (let i = 0; i < 10; i++) await throttle.execute(async () => Promise.reject(new Error('gone')), { signal: controller.signal }).catch(() => undefined);
    expect(throttle.probability()).toBe(0);
  });
});

describe('adaptive throttling config', () => {
  it("fills the SRE book's defaults", () => {
    const { issue, issues } = collectIssues();
    expect(compileThrottle({}, ['adaptiveThrottling'], issue)).toEqual({ k: 2, window: 120_000, buckets: 12, rejectOn: ['5xx', '429', 'network', 'timeout'] });
    expect(compileThrottle({ k: 1.5, window: '1m', minRequests: 5, rejectOn: [503] }, ['adaptiveThrottling'], issue)).toEqual({ k: 1.5, window: 60_000, buckets: 12, rejectOn: ['503'], minRequests: 5 });
    expect(issues).toEqual([]);
  });

  it('reports a k below 1 at its field', () => {
    const { issue, issues } = collectIssues();
    expect(compileThrottle({ k: 0.5 }, ['providers', 'a', 'adaptiveThrottling'], issue)).toBeUndefined();
    expect(issues).toEqual(['providers.a.adaptiveThrottling.k: k must be ≥ 1 (below 1 the client rejects requests the backend would accept), got 0.5']);
  });
});
