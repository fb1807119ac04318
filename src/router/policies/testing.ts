import type { FakeClock } from '../../core/clock.ts';

/**
 * Awaits `promise` while moving `clock` forward in `step` ms increments, so code that
 * sleeps on the clock progresses; fails rather than spinning forever.
 */
export async function runWithClock<T>(clock: FakeClock, promise: Promise<T>, step = 1, limitMs = 600_000): Promise<T> {
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  // Keep an unhandled rejection from surfacing before we await it below.
  watched.catch(() => {});
  const start = clock.now();
  while (!done) {
    if (clock.now() - start > limitMs) throw new Error(`still pending after ${limitMs}ms of fake time`);
    await clock.advanceAsync(step);
  }
  return watched;
}
