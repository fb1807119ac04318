import type { Clock } from '../../core/clock.ts';
import { DEFER, isGate, type Gate } from './gate.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { RetryPolicy } from './retry.ts';
import { TimeoutPolicy } from './timeout.ts';

const NO_CONTEXT: PolicyContext = Object.freeze({});

/**
 * `retry? gate* timeout?` (two or more of them, in that order) run as one level instead of
 * nested `execute`s. A gate is a policy that admits or refuses a call at once and learns how
 * it ended (bulkhead, breaker, adaptive throttle, outlier recording: see Gate). Per attempt,
 * the gates are entered in order, the call (under the timeout) is awaited once, and the gates
 * are settled innermost first — the order the nested policies settle in — then retry judges
 * the outcome. Each step is the policy's own code (`enter`/`returned`/`threw`,
 * `TimeoutPolicy.execute`, `RetryPolicy.resume`), so every outcome — success, failure,
 * timeout, caller abort, a refusal — is accounted as on the nested path; only the number of
 * promise hops differs (fused.test.ts holds the two paths to the same results and states).
 *
 * Retry's first attempt runs inline; anything but a first attempt that succeeds goes on in
 * retry's own loop (`resume`), its later attempts through this same level. A gate that cannot
 * admit at once (`DEFER`: a bulkhead would queue) hands the call to the nested remainder of
 * the chain from that gate on, inside the gates already entered.
 */
export class FusedPolicies implements Policy {
  readonly retry: RetryPolicy<unknown> | undefined;
  readonly gates: readonly Gate[];
  readonly timeout: TimeoutPolicy | undefined;
  /** `rest[i]`: gates i.. and the timeout, nested, for a call gate i deferred. */
  readonly #rest: readonly Policy[];
  /** The clock of the first gate that times calls (a breaker judging slow calls). */
  readonly #timing: Clock | undefined;

  constructor(retry: RetryPolicy<unknown> | undefined, gates: readonly (Policy & Gate)[], timeout: TimeoutPolicy | undefined, nest: (policies: Policy[]) => Policy) {
    this.retry = retry;
    this.gates = gates;
    this.timeout = timeout;
    this.#rest = gates.map((_, i) => nest([...gates.slice(i), ...(timeout ? [timeout] : [])]));
    this.#timing = gates.find((g) => g.timing !== undefined)?.timing;
  }

  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx?: PolicyContext): Promise<T> {
    // Retry only reads the caller's context (its attempts get a copy), so a missing one can be
    // a shared empty one; without retry, the function may be handed the context itself.
    if (this.retry !== undefined) return this.#retried(fn, ctx ?? NO_CONTEXT);
    return this.#attempt(fn, ctx ?? {});
  }

  /** One attempt through the gates and the timeout. */
  async #attempt<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext): Promise<T> {
    const tickets = this.#enter(ctx);
    const started = this.#timing?.now() ?? 0;
    let value: T;
    try {
      value = await this.#call(fn, ctx, tickets);
    } catch (error) {
      this.#threw(tickets, started, ctx, error);
      throw error;
    }
    this.#returned(tickets, started, value);
    return value;
  }

  /** Retry's first attempt inline (as `#attempt`), the rest in retry's loop. */
  async #retried<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext): Promise<T> {
    const retry = this.retry!;
    const budget = retry.options.budget;
    const attemptCtx: PolicyContext = { ...ctx, attempt: 1 };
    budget?.callStarted();
    let value: T;
    try {
      const tickets = this.#enter(attemptCtx);
      const started = this.#timing?.now() ?? 0;
      try {
        value = await this.#call(fn, attemptCtx, tickets);
      } catch (error) {
        this.#threw(tickets, started, attemptCtx, error);
        throw error;
      }
      this.#returned(tickets, started, value);
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

  /**
   * Enters the gates in order. What it returns says how many admitted the call (fewer than
   * the gates when one deferred) and with which tickets: a number, the count, when every
   * ticket was 0 (the usual case: no array per call), else the tickets themselves. A refusal
   * is thrown after the gates already entered have seen it.
   */
  #enter(ctx: PolicyContext): Tickets {
    const gates = this.gates;
    const n = gates.length;
    let entered = 0;
    let tickets: number[] | undefined;
    try {
      for (; entered < n; entered++) {
        const ticket = gates[entered]!.enter(ctx);
        if (ticket === DEFER) break;
        if (ticket !== 0) (tickets ??= new Array<number>(entered).fill(0)).push(ticket);
        else tickets?.push(0);
      }
    } catch (error) {
      this.#threw(tickets ?? entered, 0, ctx, error);
      throw error;
    }
    return tickets ?? entered;
  }

  /** The call under the timeout, or the nested rest of the chain from the gate that deferred. */
  #call<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext, tickets: Tickets): Promise<T> {
    const entered = typeof tickets === 'number' ? tickets : tickets.length;
    if (entered < this.gates.length) return this.#rest[entered]!.execute(fn, ctx);
    return this.timeout !== undefined ? this.timeout.execute(fn, ctx) : fn(ctx);
  }

  #returned(tickets: Tickets, started: number, value: unknown): void {
    const gates = this.gates;
    if (typeof tickets === 'number') for (let i = tickets - 1; i >= 0; i--) gates[i]!.returned(0, started, value);
    else for (let i = tickets.length - 1; i >= 0; i--) gates[i]!.returned(tickets[i]!, started, value);
  }

  #threw(tickets: Tickets, started: number, ctx: PolicyContext, error: unknown): void {
    const gates = this.gates;
    if (typeof tickets === 'number') for (let i = tickets - 1; i >= 0; i--) gates[i]!.threw(0, started, ctx, error);
    else for (let i = tickets.length - 1; i >= 0; i--) gates[i]!.threw(tickets[i]!, started, ctx, error);
  }
}

/** How many gates admitted a call, all with ticket 0; or the tickets of those that did. */
type Tickets = number | number[];

/** Whether `p` is exactly an instance of `cls` as far as `execute` goes (a subclass may not override it). */
function runsAs(p: Policy, cls: { prototype: Policy }): boolean {
  return p instanceof (cls as unknown as new () => Policy) && p.execute === cls.prototype.execute;
}

/**
 * Replaces each run of `retry? gate* timeout?` (at least two of them, in that order) in
 * `chain` by one FusedPolicies; `nest` builds the nested remainder a deferred call takes.
 */
export function fuseChain(chain: Policy[], nest: (policies: Policy[]) => Policy): Policy[] {
  const out: Policy[] = [];
  for (let i = 0; i < chain.length; ) {
    let j = i;
    const retry = j < chain.length && runsAs(chain[j]!, RetryPolicy) ? (chain[j++] as RetryPolicy<unknown>) : undefined;
    const gates: (Policy & Gate)[] = [];
    while (j < chain.length && isGate(chain[j]!)) gates.push(chain[j++] as Policy & Gate);
    const timeout = j < chain.length && runsAs(chain[j]!, TimeoutPolicy) ? (chain[j++] as TimeoutPolicy) : undefined;
    if (j - i >= 2) {
      out.push(new FusedPolicies(retry, gates, timeout, nest));
      i = j;
    } else {
      out.push(chain[i]!);
      i++;
    }
  }
  return out;
}
