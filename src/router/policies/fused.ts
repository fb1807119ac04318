import { Bulkhead } from './bulkhead.ts';
import { CircuitBreaker, REJECTED } from './breaker.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { RetryPolicy } from './retry.ts';
import { TimeoutPolicy } from './timeout.ts';

const NO_CONTEXT: PolicyContext = Object.freeze({});

/**
 * `retry → bulkhead → breaker → timeout` (any two or more of them, in that order) run as one
 * level instead of nested `execute`s. Retry's first attempt runs inline: the bulkhead's
 * counter, the breaker's permit and the timeout's deadline entry are taken synchronously
 * around one `await` of the call and settled in the order the nested policies settle them
 * (breaker, then bulkhead, then retry's verdict and budget). Each step is the policy's own
 * code (`tryEnter`/`exit`, `acquire`/`returned`/`threw`, `TimeoutPolicy.execute`,
 * `RetryPolicy.resume`), so every outcome — success, failure, timeout, caller abort, breaker
 * refusal — is accounted as on the nested path; only the number of promise hops differs.
 * Anything but a first attempt that succeeds goes on in retry's own loop (`resume`), its
 * later attempts through this same level; a call the bulkhead cannot admit at once (it would
 * queue or be refused) takes the nested bulkhead → breaker → timeout, `general`.
 */
export class FusedPolicies implements Policy {
  readonly retry: RetryPolicy<unknown> | undefined;
  readonly bulkhead: Bulkhead | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly timeout: TimeoutPolicy | undefined;
  /** bulkhead → breaker → timeout nested, for the calls the bulkhead cannot admit at once. */
  readonly general: Policy;

  constructor(
    retry: RetryPolicy<unknown> | undefined,
    bulkhead: Bulkhead | undefined,
    breaker: CircuitBreaker | undefined,
    timeout: TimeoutPolicy | undefined,
    general: Policy,
  ) {
    this.retry = retry;
    this.bulkhead = bulkhead;
    this.breaker = breaker;
    this.timeout = timeout;
    this.general = general;
  }

  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx?: PolicyContext): Promise<T> {
    // Retry only reads the caller's context (its attempts get a copy), so a missing one can be
    // a shared empty one; without retry, the function may be handed the context itself.
    if (this.retry !== undefined) return this.#retried(fn, ctx ?? NO_CONTEXT);
    return this.#attempt(fn, ctx ?? {});
  }

  /** One attempt through bulkhead → breaker → timeout. */
  #attempt<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext): Promise<T> {
    if (this.bulkhead !== undefined && !this.bulkhead.tryEnter()) return this.general.execute(fn, ctx);
    return this.#admitted(fn, ctx);
  }

  // The bulkhead slot, when there is a bulkhead, is already taken.
  async #admitted<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext): Promise<T> {
    const breaker = this.breaker;
    try {
      let permit = 0;
      let started = 0;
      if (breaker !== undefined) {
        permit = breaker.acquire();
        if (permit === REJECTED) throw breaker.rejection();
        started = breaker.startedAt();
      }
      let value: T;
      try {
        value = await (this.timeout !== undefined ? this.timeout.execute(fn, ctx) : fn(ctx));
      } catch (error) {
        breaker?.threw(permit, started, ctx, error);
        throw error;
      }
      breaker?.returned(permit, started, value);
      return value;
    } finally {
      this.bulkhead?.exit();
    }
  }

  /** Retry's first attempt inline (as `#admitted`), the rest in retry's loop. */
  async #retried<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext): Promise<T> {
    const retry = this.retry!;
    const budget = retry.options.budget;
    const attemptCtx: PolicyContext = { ...ctx, attempt: 1 };
    budget?.callStarted();
    const bulkhead = this.bulkhead;
    let value: T;
    try {
      if (bulkhead !== undefined && !bulkhead.tryEnter()) value = await this.general.execute(fn, attemptCtx);
      else {
        const breaker = this.breaker;
        try {
          let permit = 0;
          let started = 0;
          if (breaker !== undefined) {
            permit = breaker.acquire();
            if (permit === REJECTED) throw breaker.rejection();
            started = breaker.startedAt();
          }
          try {
            value = await (this.timeout !== undefined ? this.timeout.execute(fn, attemptCtx) : fn(attemptCtx));
          } catch (error) {
            breaker?.threw(permit, started, attemptCtx, error);
            throw error;
          }
          breaker?.returned(permit, started, value);
        } finally {
          bulkhead?.exit();
        }
      }
    } catch (error) {
      return retry.resume((c) => this.#attempt(fn, c), ctx, attemptCtx, { ok: false, error });
    }
    const failed = retry.options.retryOnResult?.(value) ?? false;
    if (failed) return retry.resume((c) => this.#attempt(fn, c), ctx, attemptCtx, { ok: true, value, failed });
    // What retry's loop does with a first attempt that succeeded: no grant to hand back.
    budget?.attemptEnded(true, 0);
    budget?.callEnded();
    return value;
  }
}

/** Whether `p` is exactly an instance of `cls` as far as `execute` goes (a subclass may not override it). */
function runsAs(p: Policy, cls: { prototype: Policy }): boolean {
  return p instanceof (cls as unknown as new () => Policy) && p.execute === cls.prototype.execute;
}

/**
 * Replaces each run of `retry? bulkhead? breaker? timeout?` (at least two of them, in that
 * order) in `chain` by one FusedPolicies; `nest` builds the nested bulkhead → breaker →
 * timeout for its fallback.
 */
export function fuseChain(chain: Policy[], nest: (policies: Policy[]) => Policy): Policy[] {
  const out: Policy[] = [];
  for (let i = 0; i < chain.length; ) {
    let j = i;
    const retry = j < chain.length && runsAs(chain[j]!, RetryPolicy) ? (chain[j++] as RetryPolicy<unknown>) : undefined;
    const k = j;
    const bulkhead = j < chain.length && runsAs(chain[j]!, Bulkhead) ? (chain[j++] as Bulkhead) : undefined;
    const breaker = j < chain.length && runsAs(chain[j]!, CircuitBreaker) ? (chain[j++] as CircuitBreaker) : undefined;
    const timeout = j < chain.length && runsAs(chain[j]!, TimeoutPolicy) ? (chain[j++] as TimeoutPolicy) : undefined;
    if (j - i >= 2) {
      out.push(new FusedPolicies(retry, bulkhead, breaker, timeout, nest(chain.slice(k, j))));
      i = j;
    } else {
      out.push(chain[i]!);
      i++;
    }
  }
  return out;
}
