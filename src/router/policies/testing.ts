import type { FakeClock } from '../../core/clock.ts';

/**
 * Awaits `promise` while moving `clock` forward in `step` ms increments, so code that
 * sleeps on the clock progresses; fails rather than spinning forever. With `realTurns`, the
 * real event loop also turns between steps, for work that finishes there rather than in
 * microtasks (WebCrypto's JWT verification).
 */
export async function runWithClock<T>(clock: FakeClock, promise: Promise<T>, step = 1, opts: { limitMs?: number; realTurns?: boolean } = {}): Promise<T> {
  const limitMs = opts.limitMs ?? 600_000;
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  // Keep an unhandled rejection from surfacing before we await it below.
  watched.catch(() => {});
  const start = clock.now();
  while (!done) {
    if (clock.now() - start > limitMs) throw new Error(`still pending after ${limitMs}ms of fake time`);
    if (opts.realTurns) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (done) break;
    }
    await clock.advanceAsync(step);
  }
  return watched;
}
