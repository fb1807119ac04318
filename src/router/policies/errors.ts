/**
 * The failures policies produce, as classes with type guards (cockatiel's `Errors.ts`), so
 * the router can tell "the provider was slow" from "the breaker refused" from "the client
 * left" without string matching.
 */

/** An attempt ran past its deadline; the timeout policy aborted it. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`attempt timed out after ${timeoutMs}ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A rejection made by the router itself, before any provider was called: the provider
 * learned nothing, so breakers, outlier detection and throttles must not count it.
 */
export abstract class LocalRejection extends Error {}

/** The breaker refused the call: it is open, or half-open with every probe slot taken. */
export class BrokenCircuitError extends LocalRejection {
  override readonly name = 'BrokenCircuitError';
  /** Clock time at which the breaker will next admit a probe, when known. */
  readonly retryAt: number | undefined;
  constructor(message = 'circuit breaker is open', retryAt?: number) {
    super(message);
    this.retryAt = retryAt;
  }
}

/**
 * Error codes that prove the request never left: nothing accepted the connection, so no
 * provider can have acted on it (gRPC's "transparent retry" case; Envoy's
 * `reset-before-request`). `MSW_UNHANDLED` is the in-process transport's "nothing listens".
 */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'MSW_UNHANDLED', 'ROUTER_CLOSED']);

/** The connection failed before a response arrived (refused, reset, DNS, no MSW handler). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /**
   * Whether the request certainly never reached the provider (connection refused, name not
   * resolved). Such a failure is safe to retry even for a POST: nothing can have been charged.
   * A reset or a timeout is not: the provider may have acted before the connection broke.
   */
  get neverSent(): boolean {
    return NEVER_SENT_CODES.has(this.code);
  }
}

/**
 * The request's overall deadline passed (the route's `deadline`: retries, backoff and
 * failover included). Distinct from `TimeoutError`, which is one attempt's: an attempt that
 * timed out may be retried; a request past its deadline may not.
 */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  readonly deadlineMs: number;
  constructor(deadlineMs: number) {
    super(`request deadline of ${deadlineMs}ms exceeded`);
    this.deadlineMs = deadlineMs;
  }
}

/** The bulkhead was full and its queue too (or the wait in the queue ran out). */
export class BulkheadRejectedError extends LocalRejection {
  override readonly name = 'BulkheadRejectedError';
  readonly reason: 'full' | 'queue_timeout';
  constructor(reason: 'full' | 'queue_timeout', detail: string) {
    super(reason === 'full' ? `bulkhead is full: ${detail}` : `waited too long in the bulkhead queue: ${detail}`);
    this.reason = reason;
  }
}

/** The client exceeded its rate limit. */
export class RateLimitedError extends LocalRejection {
  override readonly name = 'RateLimitedError';
  /** How long until the client may send again, ms (for Retry-After). */
  readonly retryAfterMs: number;
  readonly client: string;
  constructor(client: string, retryAfterMs: number) {
    super(`rate limit exceeded for ${client}`);
    this.client = client;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Load shedding dropped the request: the router is overloaded and its priority is too low. */
export class LoadShedError extends LocalRejection {
  override readonly name = 'LoadShedError';
  readonly priority: string;
  constructor(priority: string, why: string) {
    super(`shed a ${priority} request: ${why}`);
    this.priority = priority;
  }
}

/** Adaptive throttling rejected the call locally (Google SRE book, "Handling Overload"). */
export class ThrottledError extends LocalRejection {
  override readonly name = 'ThrottledError';
  readonly probability: number;
  constructor(probability: number) {
    super(`throttled locally: the provider accepted too few recent requests (rejection probability ${probability.toFixed(2)})`);
    this.probability = probability;
  }
}

/** The caller (the router's client) went away; nothing is wrong with the provider. */
export class CallerAbortedError extends Error {
  override readonly name = 'CallerAbortedError';
  constructor() {
    super('the caller aborted the request');
  }
}

export const isTimeoutError = (e: unknown): e is TimeoutError => e instanceof TimeoutError;
export const isBrokenCircuitError = (e: unknown): e is BrokenCircuitError => e instanceof BrokenCircuitError;
export const isNetworkError = (e: unknown): e is NetworkError => e instanceof NetworkError;
export const isCallerAbortedError = (e: unknown): e is CallerAbortedError => e instanceof CallerAbortedError;
/**
 * Whether an error says nothing about the provider's health: the router refused the call
 * itself, the client left, or the request's deadline (not the attempt's) cut it short.
 */
export const saysNothingAboutProvider = (e: unknown): boolean =>
  e instanceof LocalRejection || e instanceof CallerAbortedError || e instanceof DeadlineExceededError;
export const isDeadlineExceededError = (e: unknown): e is DeadlineExceededError => e instanceof DeadlineExceededError;
export const isLocalRejection = (e: unknown): e is LocalRejection => e instanceof LocalRejection;
export const isBulkheadRejectedError = (e: unknown): e is BulkheadRejectedError => e instanceof BulkheadRejectedError;
export const isRateLimitedError = (e: unknown): e is RateLimitedError => e instanceof RateLimitedError;
export const isLoadShedError = (e: unknown): e is LoadShedError => e instanceof LoadShedError;
export const isThrottledError = (e: unknown): e is ThrottledError => e instanceof ThrottledError;
/** Whether a NetworkError proves the request never reached the provider. */
export const isNeverSentError = (e: unknown): boolean => e instanceof NetworkError && e.neverSent;
