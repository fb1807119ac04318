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

/** The breaker refused the call: it is open, or half-open with every probe slot taken. */
export class BrokenCircuitError extends Error {
  override readonly name = 'BrokenCircuitError';
  /** Clock time at which the breaker will next admit a probe, when known. */
  readonly retryAt: number | undefined;
  constructor(message = 'circuit breaker is open', retryAt?: number) {
    super(message);
    this.retryAt = retryAt;
  }
}

/** The connection failed before a response arrived (refused, reset, DNS, no MSW handler). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
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
