import Type from 'typebox';
import { parsePercent } from '../../core/units.ts';
import { percent } from '../schema-kit.ts';
/**
 * Retry budgets: limits on retries across calls, so that when a provider fails, retries
 * cannot multiply the load on it without bound (the retry storm that turns a blip into a
 * metastable outage). A per-call `maxAttempts` alone lets a fleet send maxAttempts× its
 * traffic to a provider that is already failing; a budget caps the extra at a share.
 *
 * Three published designs, each behind `RetryBudget`, which `RetryPolicy` consults:
 *
 * - `ConcurrencyRetryBudget` — Envoy's `retry_budget`: retries in flight may be at most
 *   `budget_percent` of the active requests (default 20 %), but never fewer than
 *   `min_retry_concurrency` (default 3). It bounds retry *concurrency*, not totals.
 * - `TokenRetryBudget` — gRPC's `retryThrottling`: a token count starts at `maxTokens`;
 *   each failed attempt takes 1, each success gives back `tokenRatio`; no retry while the
 *   count is at or below `maxTokens / 2`. Over any run, retries < maxTokens/2 +
 *   tokenRatio × successes, so attempts ≤ (1 + tokenRatio) × requests + maxTokens/2.
 * - `RetryQuota` — the AWS SDKs' retry quota: a bucket of 500 tokens; a retry costs 5
 *   (10 after a timeout); a call that succeeds first time puts 1 back, a retry that succeeds
 *   refunds its cost. Retries stop while the bucket cannot pay.
 *
 * A first attempt is never refused by a budget: budgets limit amplification, not traffic.
 */

/** What a retry follows, for budgets that price retries (the AWS quota charges more after a timeout). */
export type RetryCause = 'timeout' | 'error';

/**
 * The protocol `RetryPolicy` speaks with a budget, without allocating per call:
 * `callStarted` → (attempt → `attemptEnded` → `tryRetry`?)* → `callEnded`.
 */
export interface RetryBudget {
  /** A call entered the retry policy; its first attempt is about to run. */
  callStarted(): void;
  /**
   * An attempt ended. `ok`: true for a success, false for a failure worth retrying,
   * undefined when the outcome says nothing (the caller left). `grant` is what `tryRetry`
   * returned for this attempt: 0 for a call's first attempt.
   */
  attemptEnded(ok: boolean | undefined, grant: number): void;
  /** May a retry run now? Returns 0 to refuse, or a positive grant the retry holds until `attemptEnded`. */
  tryRetry(cause: RetryCause): number;
  /** The call left the retry policy. */
  callEnded(): void;
}

/** Readable state of any budget, for metrics and tests. */
export type RetryBudgetState =
  | { type: 'concurrency'; activeRequests: number; activeRetries: number }
  | { type: 'tokens'; tokens: number }
  | { type: 'quota'; available: number };

export interface ConcurrencyBudgetOptions {
  /** Retries in flight as a share of active requests, in [0, ∞) [Envoy budget_percent, default 20 %]. */
  budgetPercent: number;
  /** Retries in flight always allowed, whatever the share [Envoy min_retry_concurrency, default 3]. */
  minRetryConcurrency: number;
}

/**
 * Envoy's retry budget (`envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget`).
 * Active requests are the calls inside the retry policies sharing this budget, retries
 * included (Envoy counts active and pending requests to the cluster).
 *
 * @example
 *   const budget = new ConcurrencyRetryBudget({ budgetPercent: 0.2, minRetryConcurrency: 3 });
 *   new RetryPolicy({ maxAttempts: 3, backoff, budget }, clock, rng);
 */
export class ConcurrencyRetryBudget implements RetryBudget {
  readonly options: Readonly<ConcurrencyBudgetOptions>;
  #active = 0;
  #retries = 0;

  constructor(options: ConcurrencyBudgetOptions = { budgetPercent: 0.2, minRetryConcurrency: 3 }) {
    if (!(options.budgetPercent >= 0)) throw new RangeError(`budgetPercent must be ≥ 0, got ${options.budgetPercent}`);
    if (!(Number.isInteger(options.minRetryConcurrency) && options.minRetryConcurrency >= 0)) {
      throw new RangeError(`minRetryConcurrency must be a whole number ≥ 0, got ${options.minRetryConcurrency}`);
    }
    this.options = options;
  }

  /** Retries that may be in flight now. */
  get limit(): number {
    return Math.max(this.options.minRetryConcurrency, Math.floor(this.options.budgetPercent * this.#active));
  }

  callStarted(): void {
    this.#active++;
  }

  attemptEnded(_ok: boolean | undefined, grant: number): void {
    if (grant > 0) this.#retries--;
  }

  tryRetry(): number {
    if (this.#retries >= this.limit) return 0;
    this.#retries++;
    return 1;
  }

  callEnded(): void {
    this.#active--;
  }

  state(): RetryBudgetState {
    return { type: 'concurrency', activeRequests: this.#active, activeRetries: this.#retries };
  }
}

export interface TokenBudgetOptions {
  /** The token count's ceiling and start, in (0, 1000] (gRPC's range). */
  maxTokens: number;
  /** Tokens a success gives back, > 0: about the share of requests that may be retried. */
  tokenRatio: number;
}

/**
 * gRPC's client-side retry throttling (gRFC A6, `retryThrottling` in the service config).
 * Unlike Envoy's, it bounds the *total*: every retry follows a failure that took a token
 * while the count stayed above half, and only successes refill it.
 *
 * @example
 *   const budget = new TokenRetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
 */
export class TokenRetryBudget implements RetryBudget {
  readonly options: Readonly<TokenBudgetOptions>;
  #tokens: number;

  constructor(options: TokenBudgetOptions) {
    if (!(options.maxTokens > 0 && options.maxTokens <= 1000)) throw new RangeError(`maxTokens must be in (0, 1000], got ${options.maxTokens}`);
    if (!(options.tokenRatio > 0)) throw new RangeError(`tokenRatio must be more than 0, got ${options.tokenRatio}`);
    this.options = options;
    this.#tokens = options.maxTokens;
  }

  callStarted(): void {}

  attemptEnded(ok: boolean | undefined, _grant = 0): void {
    if (ok === true) this.#tokens = Math.min(this.options.maxTokens, this.#tokens + this.options.tokenRatio);
    else if (ok === false) this.#tokens = Math.max(0, this.#tokens - 1);
  }

  tryRetry(): number {
    return this.#tokens > this.options.maxTokens / 2 ? 1 : 0;
  }

  callEnded(): void {}

  state(): RetryBudgetState {
    return { type: 'tokens', tokens: this.#tokens };
  }

  restore(state: { tokens: number }): void {
    this.#tokens = Math.min(this.options.maxTokens, Math.max(0, state.tokens));
  }
}

export interface RetryQuotaOptions {
  /** The bucket's size and start [AWS INITIAL_RETRY_TOKENS, 500]. */
  initialTokens: number;
  /** What a retry costs [RETRY_COST, 5]. */
  retryCost: number;
  /** What a retry after a timeout costs [TIMEOUT_RETRY_COST, 10]. */
  timeoutCost: number;
  /** What a call that succeeds at its first attempt puts back [NO_RETRY_INCREMENT, 1]. */
  noRetryIncrement: number;
}

export const AWS_RETRY_QUOTA: Readonly<RetryQuotaOptions> = { initialTokens: 500, retryCost: 5, timeoutCost: 10, noRetryIncrement: 1 };

/**
 * The AWS SDKs' retry quota (`@smithy/util-retry`'s standard strategy). A retry that
 * succeeds gets its cost back, so steady transient errors cost nothing; a provider that is
 * down drains the bucket in (500 / 5) = 100 retries and retries stop until successes refill it.
 */
export class RetryQuota implements RetryBudget {
  readonly options: Readonly<RetryQuotaOptions>;
  #available: number;

  constructor(options: RetryQuotaOptions = AWS_RETRY_QUOTA) {
    for (const k of ['initialTokens', 'retryCost', 'timeoutCost', 'noRetryIncrement'] as const) {
      if (!(options[k] >= 0)) throw new RangeError(`${k} must be ≥ 0, got ${options[k]}`);
    }
    if (!(options.retryCost > 0 && options.timeoutCost > 0)) throw new RangeError('retryCost and timeoutCost must be more than 0');
    this.options = options;
    this.#available = options.initialTokens;
  }

  callStarted(): void {}

  attemptEnded(ok: boolean | undefined, grant: number): void {
    if (ok !== true) return;
    this.#available = Math.min(this.options.initialTokens, this.#available + (grant > 0 ? grant : this.options.noRetryIncrement));
  }

  tryRetry(cause: RetryCause): number {
    const cost = cause === 'timeout' ? this.options.timeoutCost : this.options.retryCost;
    if (cost > this.#available) return 0;
    this.#available -= cost;
    return cost;
  }

  callEnded(): void {}

  state(): RetryBudgetState {
    return { type: 'quota', available: this.#available };
  }
}

// ---------------------------------------------------------------------------------------
// Config: a retry's `budget` section of a router file, and its compile step.

export const BudgetSchema = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('concurrency', { description: "Envoy's retry budget: retries in flight as a share of active requests." }),
        budgetPercent: Type.Optional(percent('Retries in flight, as a share of the active requests. Default 20% (Envoy).')),
        minRetryConcurrency: Type.Optional(Type.Integer({ minimum: 0, description: 'Retries in flight always allowed. Default 3 (Envoy).' })),
      },
      { additionalProperties: false, description: "Envoy's retry budget (retry_budget)." },
    ),
    Type.Object(
      {
        type: Type.Literal('tokens', { description: "gRPC's retryThrottling: tokens drained by failures, refilled by successes." }),
        maxTokens: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'The token count starts here; no retries at or below half of it.' }),
        tokenRatio: Type.Number({ exclusiveMinimum: 0, description: 'Tokens a success gives back: about the share of requests that may be retried.' }),
      },
      { additionalProperties: false, description: "gRPC's retry throttling (retryThrottling)." },
    ),
    Type.Object(
      {
        type: Type.Literal('quota', { description: "The AWS SDKs' retry quota: retries paid from a bucket, refunded on success." }),
        initialTokens: Type.Optional(Type.Integer({ minimum: 1, description: 'The bucket. Default 500.' })),
        retryCost: Type.Optional(Type.Integer({ minimum: 1, description: 'What a retry costs. Default 5.' })),
        timeoutCost: Type.Optional(Type.Integer({ minimum: 1, description: 'What a retry after a timeout costs. Default 10.' })),
        noRetryIncrement: Type.Optional(Type.Integer({ minimum: 0, description: 'What a first-attempt success puts back. Default 1.' })),
      },
      { additionalProperties: false, description: "The AWS SDKs' retry quota." },
    ),
  ],
  { description: 'A retry budget shared by the route\'s calls, so retries cannot multiply the load on a failing provider: `type: concurrency` (Envoy), `tokens` (gRPC) or `quota` (AWS).' },
);
export type BudgetFile = Type.Static<typeof BudgetSchema>;

/** A route's retry budget, compiled: which design, and its options with their defaults filled. */
export type RetryBudgetConfig =
  | { type: 'concurrency'; budgetPercent: number; minRetryConcurrency: number }
  | { type: 'tokens'; maxTokens: number; tokenRatio: number }
  | { type: 'quota'; initialTokens: number; retryCost: number; timeoutCost: number; noRetryIncrement: number };

/** `budget` as written → its design's options, Envoy's and the AWS SDKs' defaults filled. The schema checks everything a budget needs. */
export function compileBudget(b: BudgetFile): RetryBudgetConfig {
  if (b.type === 'concurrency') return { type: 'concurrency', budgetPercent: b.budgetPercent === undefined ? 0.2 : parsePercent(b.budgetPercent), minRetryConcurrency: b.minRetryConcurrency ?? 3 };
  if (b.type === 'tokens') return { type: 'tokens', maxTokens: b.maxTokens, tokenRatio: b.tokenRatio };
  return {
    type: 'quota',
    initialTokens: b.initialTokens ?? AWS_RETRY_QUOTA.initialTokens,
    retryCost: b.retryCost ?? AWS_RETRY_QUOTA.retryCost,
    timeoutCost: b.timeoutCost ?? AWS_RETRY_QUOTA.timeoutCost,
    noRetryIncrement: b.noRetryIncrement ?? AWS_RETRY_QUOTA.noRetryIncrement,
  };
}
