import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import type { Rng } from '../../core/rng.ts';
import { parseDuration } from '../../core/units.ts';
import { conditionList, conditions, DEFAULT_FAILURE_CONDITIONS, duration, type ConfigPath, type Issue } from '../schema-kit.ts';
import { BackoffSchema, backoffDelay, compileBackoff, type BackoffOptions } from './backoff.ts';
import { BudgetSchema, compileBudget, type RetryBudget, type RetryBudgetConfig } from './budget.ts';
import { isCallerAbortedError, isLocalRejection, isNeverSentError, isTimeoutError, saysNothingAboutProvider } from './errors.ts';
import type { Policy, PolicyContext } from './policy.ts';

/** Methods RFC 9110 §9.2.2 defines as idempotent: repeating them is safe. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Whether `method` may be repeated without changing the outcome. No method (not HTTP) counts as safe. */
export function isIdempotent(method: string | undefined): boolean {
  return method === undefined || IDEMPOTENT.has(method.toUpperCase());
}

/** Everything a retry decided, for metrics and logs. */
export interface RetryEvent<T> {
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  delay: number;
  /** Whether the delay came from the provider's Retry-After rather than backoff. */
  fromRetryAfter: boolean;
  result?: T;
  error?: unknown;
}

export interface RetryOptions<T> {
  /** Attempts in total, the first included (Resilience4j's maxAttempts); 1 means no retry. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Whether a returned value is a failure worth retrying (e.g. a 503). Default: never. */
  retryOnResult?: (value: T) => boolean;
  /** Whether a thrown error is worth retrying. Default: anything but an open breaker or a caller abort. */
  retryOnError?: (error: unknown) => boolean;
  /** The provider's requested wait in ms (from Retry-After), if it gave one. */
  retryAfter?: (value: T) => number | undefined;
  /** A Retry-After longer than this is cut to it, so one provider cannot park a request. Default: backoff.cap. */
  retryAfterCap?: number;
  /** Retry POST/PATCH too. Off by default: a retried payment may be a double payment. */
  retryNonIdempotent?: boolean;
  /**
   * Retry a non-idempotent request whose failure proves it was never sent (connection
   * refused, name not resolved): nothing reached the provider, so nothing can be done twice.
   * Default true. gRPC retries such calls transparently; Envoy calls it `reset-before-request`.
   */
  retryNeverSent?: boolean;
  /**
   * Asked before each retry; false stops retrying. A simple seam; `budget` is the full one.
   */
  allowRetry?: () => boolean;
  /**
   * A retry budget shared with other calls (Envoy's 20 % of active requests, gRPC's retry
   * throttling, the AWS retry quota): told of every call and attempt, asked before each retry.
   */
  budget?: RetryBudget;
  /** A retry was wanted but the budget (or `allowRetry`) refused it. */
  onBudgetExhausted?: () => void;
  onRetry?: (event: RetryEvent<T>) => void;
}

/** By default, retry anything but a refusal by the router itself, a caller that left, or a passed request deadline. */
const defaultRetryOnError = (error: unknown): boolean => !saysNothingAboutProvider(error);

/**
 * Retries with exponential backoff and jitter. The first attempt runs with no setup
 * beyond a counter: backoff state, timers and events exist only once something failed.
 *
 * @example
 *   const retry = new RetryPolicy<Response>({
 *     maxAttempts: 3,
 *     backoff: { base: 50, cap: 1000, jitter: 'full' },
 *     retryOnResult: (r) => r.status >= 500,
 *   }, clock, rng);
 *   const res = await retry.execute(() => fetch(url));
 */
export class RetryPolicy<T = unknown> implements Policy {
  readonly options: Readonly<RetryOptions<T>>;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #retryOnError: (error: unknown) => boolean;

  constructor(options: RetryOptions<T>, clock: Clock, rng: Rng) {
    if (!(options.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be at least 1, got ${options.maxAttempts}`);
    this.options = options;
    this.#clock = clock;
    this.#rng = rng;
    this.#retryOnError = options.retryOnError ?? defaultRetryOnError;
  }

  execute<R>(fn: (ctx: PolicyContext) => Promise<R>, ctx: PolicyContext = {}): Promise<R> {
    return this.resume(fn, ctx, { ...ctx, attempt: 1 }, undefined);
  }

  /**
   * The retry loop. `attemptCtx` is the context attempts run with (`{ ...ctx, attempt: 1 }`).
   * With `first`, attempt 1 has already run (and `budget.callStarted()` been called) on the
   * caller's side — `wrap`'s fused path — and the loop starts from its outcome; `failed`
   * there is `retryOnResult`'s verdict on a returned value, already asked.
   */
  async resume<R>(
    fn: (ctx: PolicyContext) => Promise<R>,
    ctx: PolicyContext,
    attemptCtx: PolicyContext,
    first: { ok: true; value: R; failed: boolean } | { ok: false; error: unknown } | undefined,
  ): Promise<R> {
    const opts = this.options;
    const idempotent = opts.retryNonIdempotent || isIdempotent(ctx.method);
    const budget = opts.budget;
    let previous = opts.backoff.base;
    // What the budget granted the attempt now running (0: a first attempt, or no budget).
    let grant = 0;
    if (first === undefined) budget?.callStarted();
    try {
      for (let attempt = 1; ; attempt++) {
        attemptCtx.attempt = attempt;
        let value: R;
        let judged: boolean | undefined;
        try {
          if (first !== undefined) {
            const f = first;
            first = undefined;
            if (!f.ok) throw f.error;
            value = f.value;
            judged = f.failed;
          } else value = await fn(attemptCtx);
        } catch (error) {
          // A local refusal or a caller abort is no verdict on the provider; neither are retried.
          const retryable = !ctx.signal?.aborted && !isCallerAbortedError(error) && !isLocalRejection(error) && this.#retryOnError(error);
          budget?.attemptEnded(retryable ? false : undefined, grant);
          grant = 0;
          if (!retryable || attempt >= opts.maxAttempts) throw error;
          if (!idempotent && !((opts.retryNeverSent ?? true) && isNeverSentError(error))) throw error;
          const delay = backoffDelay(opts.backoff, attempt - 1, previous, this.#rng);
          if (this.#outlivesDeadline(delay, ctx)) throw error;
          grant = this.#allow(isTimeoutError(error) ? 'timeout' : 'error');
          if (grant === 0) throw error;
          previous = delay;
          opts.onRetry?.({ attempt, delay, fromRetryAfter: false, error });
          await this.#clock.sleep(delay, ctx.signal);
          continue;
        }
        // R is the caller's T in practice; the classifiers are typed on the policy's T.
        const result = value as unknown as T;
        const failed = judged ?? opts.retryOnResult?.(result) ?? false;
        budget?.attemptEnded(!failed, grant);
        grant = 0;
        if (!failed || attempt >= opts.maxAttempts || !idempotent) return value;
        let delay: number;
        let fromRetryAfter = false;
        const asked = opts.retryAfter?.(result);
        if (asked !== undefined) {
          delay = Math.min(Math.max(0, asked), opts.retryAfterCap ?? opts.backoff.cap);
          fromRetryAfter = true;
        } else {
          delay = backoffDelay(opts.backoff, attempt - 1, previous, this.#rng);
        }
        if (this.#outlivesDeadline(delay, ctx)) return value;
        grant = this.#allow('error');
        if (grant === 0) return value;
        if (!fromRetryAfter) previous = delay;
        opts.onRetry?.({ attempt, delay, fromRetryAfter, result });
        await this.#clock.sleep(delay, ctx.signal);
      }
    } finally {
      // A retry cut short (the caller left during its backoff) still hands its grant back.
      if (grant > 0) budget?.attemptEnded(undefined, grant);
      budget?.callEnded();
    }
  }

  /**
   * Whether waiting `delay` would reach the request's deadline: the retry could not finish
   * in time, so the failure is returned now, leaving the time to failover or a fallback
   * (gRPC does not start a retry its deadline cannot cover).
   */
  #outlivesDeadline(delay: number, ctx: PolicyContext): boolean {
    return ctx.deadline !== undefined && this.#clock.now() + delay >= ctx.deadline;
  }

  /** Asks `allowRetry`, then the budget; returns the budget's grant, 0 when refused. */
  #allow(cause: 'timeout' | 'error'): number {
    const opts = this.options;
    const grant = opts.allowRetry && !opts.allowRetry() ? 0 : opts.budget ? opts.budget.tryRetry(cause) : 1;
    if (grant === 0) opts.onBudgetExhausted?.();
    return grant;
  }
}

/**
 * Reads a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as ms from
 * `now`. Undefined when absent or unreadable; a date in the past is 0.
 *
 * @example parseRetryAfter('2', 0) === 2000
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

// ---------------------------------------------------------------------------------------
// Config: a route's `retry` section of a router file (its `backoff` and `budget` are
// backoff.ts's and budget.ts's), and its compile step.

export const RetrySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10, description: 'Attempts in total, the first included; 1 turns retries off.' }),
    on: Type.Optional(conditions('Outcomes worth another attempt. Default [5xx, network, timeout].')),
    backoff: Type.Optional(BackoffSchema),
    retryAfterCap: Type.Optional(duration("Longest wait a provider's Retry-After header can ask for. Default: backoff.cap.")),
    idempotentOnly: Type.Optional(
      Type.Boolean({
        description: 'Retry only idempotent methods (GET, PUT, DELETE, …). Default true: a retried POST may charge twice. A POST refused before it was sent (connection refused) is still retried.',
      }),
    ),
    budget: Type.Optional(BudgetSchema),
  },
  { additionalProperties: false, description: 'Retries against the same provider, before failing over.' },
);
export type RetryFile = Type.Static<typeof RetrySchema>;

export interface RetryConfig {
  maxAttempts: number;
  on: string[];
  backoff: BackoffOptions;
  retryAfterCap: number;
  idempotentOnly: boolean;
  /** Shared by the route's upstreams. */
  budget?: RetryBudgetConfig;
}

/** `retry` as written → attempts, conditions, backoff and budget; undefined when it allows a single attempt only. */
export function compileRetry(r: RetryFile, at: ConfigPath, issue: Issue): RetryConfig | undefined {
  if (!(r.maxAttempts > 1)) return undefined;
  const backoff = compileBackoff(r.backoff, [...at, 'backoff'], issue);
  return {
    maxAttempts: r.maxAttempts,
    on: conditionList(r.on, DEFAULT_FAILURE_CONDITIONS),
    backoff,
    retryAfterCap: r.retryAfterCap === undefined ? backoff.cap : parseDuration(r.retryAfterCap),
    idempotentOnly: r.idempotentOnly ?? true,
    ...(r.budget && { budget: compileBudget(r.budget) }),
  };
}
