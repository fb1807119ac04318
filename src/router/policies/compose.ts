/**
 * Composing policies into a pipeline, outermost first, the same order Resilience4j's
 * decorators apply: `wrap(retry, breaker, timeout)` retries calls that each pass the breaker
 * and each get their own deadline. Kept apart from the contracts (policy.ts) because it knows
 * the concrete policies it fuses (fused.ts → retry, gates, timeout), which themselves import
 * the contracts.
 */
import { fuseChain } from './fused.ts';
import { noop, type Policy, type PolicyContext } from './policy.ts';

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
