import type { FakeClock } from '../../core/clock.ts';
import type { Issue } from '../schema-kit.ts';

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

/**
 * An issue reporter for a policy's compile step alone: each issue as `path: message`, the
 * path dotted as a config reader would write it (`routes.0.breaker.openFor`).
 *
 * @example
 *   const { issue, issues } = collectIssues();
 *   compileBreaker(raw, ['breaker'], issue);
 *   expect(issues).toEqual(['breaker.buckets: buckets apply to a time window (window: 30s) only']);
 */
export function collectIssues(): { issue: Issue; issues: string[] } {
  const issues: string[] = [];
  return { issue: (path, message) => issues.push(`${path.join('.')}: ${message}`), issues };
}
