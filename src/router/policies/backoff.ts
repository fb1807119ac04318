import Type from 'typebox';
import type { Rng } from '../../core/rng.ts';
import { parseDuration } from '../../core/units.ts';
import { duration, type ConfigPath, type Issue } from '../schema-kit.ts';

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

// ---------------------------------------------------------------------------------------
// Config: a retry's `backoff` section of a router file, and its compile step.

export const BackoffSchema = Type.Object(
  {
    base: duration('Delay before the first retry, doubled for each one after, e.g. 50ms.'),
    cap: duration('No delay exceeds this, e.g. 1s.'),
    jitter: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('full'), Type.Literal('equal'), Type.Literal('decorrelated')], {
        expected: 'none, full, equal or decorrelated',
        description: 'How delays are randomised (AWS "Exponential Backoff And Jitter"). Default full.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exponential backoff between attempts.' },
);
export type BackoffFile = Type.Static<typeof BackoffSchema>;

/** Envoy's retry backoff defaults: 25ms base, 10× base as the cap. */
export const DEFAULT_BACKOFF: BackoffOptions = { base: 25, cap: 250, jitter: 'full' };

/** `backoff` as written → ms, full jitter by default; absent: Envoy's defaults. A base over its cap is reported, not dropped. */
export function compileBackoff(raw: BackoffFile | undefined, at: ConfigPath, issue: Issue): BackoffOptions {
  if (!raw) return DEFAULT_BACKOFF;
  const backoff: BackoffOptions = { base: parseDuration(raw.base), cap: parseDuration(raw.cap), jitter: (raw.jitter ?? 'full') as Jitter };
  if (backoff.base > backoff.cap) issue([...at, 'base'], `backoff base (${raw.base}) exceeds its cap (${raw.cap})`);
  return backoff;
}
