/**
 * The shape every resilience policy shares, after cockatiel's `IPolicy` and Polly's
 * pipeline: a policy runs a function on the caller's behalf and may run it again
 * (retry), not at all (an open breaker), or under a deadline (timeout). Policies nest with
 * `wrap`, outermost first, the same order Resilience4j's decorators apply:
 * `wrap(retry, breaker, timeout)` retries calls that each pass the breaker and each get
 * their own deadline.
 *
 * Policies are pure of I/O: each takes its `Clock` and `Rng` when built.
 */

import { fuseChain } from './fused.ts';

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
 * The identity policy: calls `fn` once, unchanged. `wrap()` of nothing is this, so a
 * route with no policies configured still runs through one code path.
 */
export const noop: Policy = {
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    return fn(ctx);
  },
};

/**
 * Composes policies, outermost first.
 *
 * A run of `retry? gate* timeout?` (two or more; gates are bulkheads, breakers, adaptive
 * throttles and outlier recorders, in any order) runs fused: one level, one `await` of the
 * call, the same accounting (see FusedPolicies).
 *
 * @example
 *   const pipeline = wrap(retry, breaker, timeout);
 *   await pipeline.execute(({ signal }) => fetch(url, { signal }));
 */
export function wrap(...policies: Policy[]): Policy {
  const chain = fuseChain(
    policies.filter((p) => p !== noop),
    (nested) => wrapNested(...nested),
  );
  return nest(chain);
}

/**
 * `wrap` without the fused success path: every policy's own `execute`, nested. The reference
 * the fused path is tested against; `wrap` behaves the same.
 */
export function wrapNested(...policies: Policy[]): Policy {
  return nest(policies.filter((p) => p !== noop));
}

function nest(chain: Policy[]): Policy {
  if (chain.length === 0) return noop;
  if (chain.length === 1) return chain[0]!;
  return {
    execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
      // Built right to left once per call: each level is one closure, no arrays on the hot path.
      let next = fn;
      for (let i = chain.length - 1; i > 0; i--) {
        const policy = chain[i]!;
        const inner = next;
        next = (c) => policy.execute(inner, c);
      }
      return chain[0]!.execute(next, ctx);
    },
  };
}
