import { CallerAbortedError, isBrokenCircuitError, isCallerAbortedError, isNetworkError, isTimeoutError } from './errors.ts';
import type { PolicyContext } from './policy.ts';

/** Why one target was passed over. `breaker_open` means it was never called. */
export type FailoverReason = 'breaker_open' | 'timeout' | 'network' | '5xx' | '4xx' | 'error';

/** One candidate, usually one provider's pipeline (retry → breaker → timeout → transport). */
export interface FailoverTarget<T> {
  /** The provider key, e.g. `weather-primary` or `stripe@eu`. */
  key: string;
  /** Cheap look before calling: false skips the target as `breaker_open` without a throw. */
  available?: () => boolean;
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

/** Every target failed or was skipped. `allBreakersOpen` when none was even called. */
export class AllTargetsFailedError extends Error {
  override readonly name = 'AllTargetsFailedError';
  readonly attempts: FailoverAttempt[];
  readonly allBreakersOpen: boolean;
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
    this.lastResult = lastResult;
  }
}

export const isAllTargetsFailedError = (e: unknown): e is AllTargetsFailedError => e instanceof AllTargetsFailedError;

/** Names the failure class of a thrown error. */
export function reasonOf(error: unknown): FailoverReason {
  if (isBrokenCircuitError(error)) return 'breaker_open';
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
      if (target.available && !target.available()) {
        failed = { key: target.key, reason: 'breaker_open' };
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
          if (this.options.failOverOnError && !this.options.failOverOnError(error, reason)) throw error;
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
