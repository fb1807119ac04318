/**
 * The shape every resilience policy shares, after cockatiel's `IPolicy` and Polly's
 * pipeline: a policy runs a function on the caller's behalf and may run it again
 * (retry), not at all (an open breaker), or under a deadline (timeout). Policies nest with
 * `wrap` (compose.ts), outermost first.
 *
 * This file holds only the contracts and `noop`, and imports nothing: every policy imports
 * it, so it must not import any of them (composition, which knows the fused policies, lives
 * in compose.ts).
 *
 * Policies are pure of I/O: each takes its `Clock` and `Rng` when built.
 */

/** What a policy hands to the function it runs. One context lives for one call through the pipeline. */
export interface PolicyContext {
  /** Aborts when the caller gives up or the attempt's deadline passes; hand it to the I/O. */
  signal?: AbortSignal;
  /** The HTTP method, so retry can tell idempotent calls from the rest. */
  method?: string;
  /** 1 for the first attempt; retry numbers the ones it makes. */
  attempt?: number;
  /**
   * Clock time by which the whole request must be answered (the route's `deadline`), when
   * one is set. Retry reads it so as not to start a backoff that would outlive it.
   */
  deadline?: number;
  /** Who is asking (the client address, after trusted proxies), for per-client limits. */
  client?: string;
  /** The request's priority (load shedding's criticality), highest first in the shedder's list. */
  priority?: string;
  /**
   * The caller's request, carried through untouched for the parts that need it (a fallback
   * tier's cache key, a manual queue). Policies pass the context on with it; none reads it.
   */
  request?: unknown;
}

/** A resilience policy: runs `fn`, possibly again, possibly not at all. */
export interface Policy {
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx?: PolicyContext): Promise<T>;
}

/**
 * The identity policy: calls `fn` once, unchanged. `wrap()` (compose.ts) of nothing is this, so a
 * route with no policies configured still runs through one code path.
 */
export const noop: Policy = {
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    return fn(ctx);
  },
};
