import {
  CallerAbortedError,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isCallerAbortedError,
  isLocalRejection,
  isNetworkError,
  isThrottledError,
  isTimeoutError,
} from './errors.ts';
import type { PolicyContext } from './policy.ts';
import { conditionList, conditions, DEFAULT_FAILURE_CONDITIONS } from '../schema-kit.ts';

/**
 * Why one target was passed over. The first four mean it was never called: its breaker is
 * open, outlier detection ejected it, its bulkhead was full, adaptive throttling refused.
 */
export type FailoverReason = 'breaker_open' | 'ejected' | 'bulkhead_full' | 'throttled' | 'timeout' | 'network' | '5xx' | '4xx' | 'error';

/** Reasons under which the target was not called at all. */
export const NOT_CALLED: ReadonlySet<FailoverReason> = new Set(['breaker_open', 'ejected', 'bulkhead_full', 'throttled']);

/** One candidate, usually one provider's pipeline (retry → breaker → timeout → transport). */
export interface FailoverTarget<T> {
  /** The provider key, e.g. `weather-primary` or `stripe@eu`. */
  key: string;
  /** Cheap look before calling: false skips the target as `breaker_open` without a throw. */
  available?: () => boolean;
  /** Cheap look before calling, with a reason: a reason skips the target without a throw (e.g. `ejected`). */
  skip?: () => FailoverReason | undefined;
  run: (ctx: PolicyContext) => Promise<T>;
}

/** What happened at one target, in order. */
export interface FailoverAttempt {
  key: string;
  reason: FailoverReason;
  /** The HTTP status for 5xx/4xx reasons. */
  status?: number;
  detail?: string;
}

export interface FailoverOptions<T> {
  /** A returned value that should move on to the next target, as a reason; undefined accepts it. */
  failedResult?: (value: T) => { reason: FailoverReason; status?: number } | undefined;
  /** Whether a thrown error moves on (default: all but a caller abort). */
  failOverOnError?: (error: unknown, reason: FailoverReason) => boolean;
  onFailover?: (from: string, to: string, reason: FailoverReason) => void;
}

/** The answer, who gave it, and who was passed over first (absent when the first target answered). */
export interface FailoverResult<T> {
  value: T;
  key: string;
  passedOver?: FailoverAttempt[];
}

/** Every target failed or was skipped. `allBreakersOpen` when none was even called because of its breaker. */
export class AllTargetsFailedError extends Error {
  override readonly name = 'AllTargetsFailedError';
  readonly attempts: FailoverAttempt[];
  readonly allBreakersOpen: boolean;
  /** No target was called: each was open, ejected, full or throttled. */
  readonly noneCalled: boolean;
  /** The last failing value, when the last target answered with one (e.g. its 503). */
  readonly lastResult: unknown;
  constructor(attempts: FailoverAttempt[], lastResult: unknown) {
    const allOpen = attempts.length > 0 && attempts.every((a) => a.reason === 'breaker_open');
    super(
      allOpen
        ? `every breaker is open: ${attempts.map((a) => a.key).join(', ')}`
        : `all upstreams failed: ${attempts.map((a) => `${a.key} ${a.status ?? a.reason}`).join('; ')}`,
    );
    this.attempts = attempts;
    this.allBreakersOpen = allOpen;
    this.noneCalled = attempts.length > 0 && attempts.every((a) => NOT_CALLED.has(a.reason));
    this.lastResult = lastResult;
  }
}

export const isAllTargetsFailedError = (e: unknown): e is AllTargetsFailedError => e instanceof AllTargetsFailedError;

/** Names the failure class of a thrown error. */
export function reasonOf(error: unknown): FailoverReason {
  if (isBrokenCircuitError(error)) return 'breaker_open';
  if (isBulkheadRejectedError(error)) return 'bulkhead_full';
  if (isThrottledError(error)) return 'throttled';
  if (isTimeoutError(error)) return 'timeout';
  if (isNetworkError(error)) return 'network';
  return 'error';
}

/**
 * Tries targets in order and answers with the first that succeeds: the primary → backup
 * pattern. A target whose breaker is open is skipped without a call, so while the primary
 * is known bad every request goes straight to the backup.
 *
 * The target list is data, so routing by cost, region or health (a later issue) only has to
 * produce a different order; this loop stays the same.
 *
 * @example
 *   const failover = new FailoverPolicy<Res>({ failedResult: (r) => (r.status >= 500 ? { reason: '5xx', status: r.status } : undefined) });
 *   const { value, key } = await failover.execute([primary, backup], { signal });
 */
export class FailoverPolicy<T> {
  readonly options: FailoverOptions<T>;

  constructor(options: FailoverOptions<T> = {}) {
    this.options = options;
  }

  async execute(targets: readonly FailoverTarget<T>[], ctx: PolicyContext = {}): Promise<FailoverResult<T>> {
    // The success path through the first target allocates only the result.
    let attempts: FailoverAttempt[] | undefined;
    let lastResult: unknown;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      let failed: FailoverAttempt;
      const skipped = target.skip?.() ?? (target.available && !target.available() ? 'breaker_open' : undefined);
      if (skipped !== undefined) {
        failed = { key: target.key, reason: skipped };
      } else {
        try {
          const value = await target.run(ctx);
          const verdict = this.options.failedResult?.(value);
          if (!verdict) return attempts ? { value, key: target.key, passedOver: attempts } : { value, key: target.key };
          lastResult = value;
          failed = { key: target.key, reason: verdict.reason, status: verdict.status };
        } catch (error) {
          if (ctx.signal?.aborted || isCallerAbortedError(error)) throw ctx.signal?.reason ?? new CallerAbortedError();
          const reason = reasonOf(error);
          // A target the router refused itself (full, throttled) is always passed over: the next one may have room.
          if (!isLocalRejection(error) && this.options.failOverOnError && !this.options.failOverOnError(error, reason)) throw error;
          lastResult = undefined;
          failed = { key: target.key, reason, detail: error instanceof Error ? error.message : String(error) };
        }
      }
      (attempts ??= []).push(failed);
      const next = targets[i + 1];
      if (next) this.options.onFailover?.(target.key, next.key, failed.reason);
    }
    throw new AllTargetsFailedError(attempts ?? [], lastResult);
  }
}

// ---------------------------------------------------------------------------------------
// Config: a route's `failoverOn` field of a router file, and its compile step.

export const FailoverOnSchema = conditions('Outcomes after which the next upstream is tried. Default [5xx, network, timeout].');

/** `failoverOn` as written → the outcomes, as `conditionSet` reads them. */
export function compileFailoverOn(list: ReadonlyArray<string | number> | undefined): string[] {
  return conditionList(list, DEFAULT_FAILURE_CONDITIONS);
}
