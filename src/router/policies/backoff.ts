import type { Rng } from '../../core/rng.ts';

/**
 * Exponential backoff with the four jitter modes of the AWS Architecture Blog's
 * "Exponential Backoff And Jitter" (Brooker, 2015). Without jitter, clients that failed
 * together retry together, and a brief outage becomes a retry storm; jitter spreads them.
 *
 * - `none`:         min(cap, base·2ⁿ)
 * - `full`:         uniform in [0, min(cap, base·2ⁿ)]
 * - `equal`:        half of min(cap, base·2ⁿ), plus uniform in [0, the other half]
 * - `decorrelated`: min(cap, uniform in [base, 3·previous]); depends on the previous delay,
 *                   not on n, so it is carried as state
 *
 * Pure: the next delay is a function of the options, the retry number, the previous delay
 * and one draw from the Rng.
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

export const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  base: number;
  /** No delay exceeds this, in ms. */
  cap: number;
  jitter: Jitter;
}

/** The exponential envelope min(cap, base·2ⁿ) that none/full/equal jitter draw under. */
export function backoffCeiling(opts: BackoffOptions, retry: number): number {
  // 2 ** 1100 is Infinity, and min(cap, Infinity) is cap: no overflow guard needed.
  return Math.min(opts.cap, opts.base * 2 ** retry);
}

/**
 * The delay before retry number `retry` (0 for the first retry).
 *
 * @param previous the delay used before the previous retry (decorrelated jitter's state);
 *                 pass `opts.base` for the first.
 * @example
 *   let prev = opts.base;
 *   for (let n = 0; n < 3; n++) prev = backoffDelay(opts, n, prev, rng);
 */
export function backoffDelay(opts: BackoffOptions, retry: number, previous: number, rng: Rng): number {
  switch (opts.jitter) {
    case 'none':
      return backoffCeiling(opts, retry);
    case 'full':
      return rng.next() * backoffCeiling(opts, retry);
    case 'equal': {
      const ceiling = backoffCeiling(opts, retry);
      return ceiling / 2 + rng.next() * (ceiling / 2);
    }
    case 'decorrelated': {
      // AWS: sleep = min(cap, random_between(base, sleep * 3)). When 3·previous < base
      // (only with a caller-supplied tiny `previous`) the range is empty; clamp to base.
      const lo = opts.base;
      const hi = Math.max(lo, previous * 3);
      return Math.min(opts.cap, lo + rng.next() * (hi - lo));
    }
  }
}

/**
 * A stateful iterator over backoff delays for one call's retries; cheap enough to make per
 * call, and only made once a call has failed.
 *
 * @example
 *   const delays = backoff({ base: 50, cap: 1000, jitter: 'full' }, rng);
 *   await clock.sleep(delays.next());
 */
export function backoff(opts: BackoffOptions, rng: Rng): { next(): number } {
  let retry = 0;
  let previous = opts.base;
  return {
    next() {
      previous = backoffDelay(opts, retry++, previous, rng);
      return previous;
    },
  };
}
