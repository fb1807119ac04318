import type { Clock } from '../../core/clock.ts';
import type { Rng } from '../../core/rng.ts';
import { CallerAbortedError, DeadlineExceededError, isCallerAbortedError, isDeadlineExceededError } from './errors.ts';
import type { PolicyContext } from './policy.ts';
import { DeadlinePolicy } from './timeout.ts';

/**
 * One tier of a fallback chain: a way to answer, from the best (the live providers) to the
 * most degraded (a static answer, a manual queue).
 */
export interface FallbackTier<T> {
  /** For metrics and logs: `upstreams`, `cache`, `static`, `queue`, or the config's name. */
  name: string;
  /**
   * A local tier answers from memory at once (a cache, a static answer, a queue): it still
   * runs once the chain's deadline has passed, which is how the chain answers *at* its
   * deadline when the providers are too slow. A remote tier does not run after it.
   */
  local: boolean;
  /** The answer; `undefined` when this tier has none (a cache miss); throws when it failed. */
  run(ctx: PolicyContext): Promise<T | undefined>;
}

/** What happened at one tier that did not answer. */
export interface FallbackMiss {
  tier: string;
  /** `miss` (no answer), `error`, `deadline` (cut at, or skipped after, the chain's deadline). */
  reason: 'miss' | 'error' | 'deadline';
  detail?: string;
  error?: unknown;
}

export interface FallbackResult<T> {
  value: T;
  /** The tier that answered, and its position (0: the first). */
  tier: string;
  index: number;
  /** The tiers passed over first, in order. */
  missed: FallbackMiss[];
}

/** No tier answered. */
export class FallbackExhaustedError extends Error {
  override readonly name = 'FallbackExhaustedError';
  readonly missed: FallbackMiss[];
  /** Whether the chain's deadline passed before any tier answered. */
  readonly deadlineExceeded: boolean;
  constructor(missed: FallbackMiss[]) {
    super(`no fallback tier answered: ${missed.map((m) => `${m.tier} (${m.reason}${m.detail ? `: ${m.detail}` : ''})`).join(', ')}`);
    this.missed = missed;
    this.deadlineExceeded = missed.some((m) => m.reason === 'deadline');
  }
}

export const isFallbackExhaustedError = (e: unknown): e is FallbackExhaustedError => e instanceof FallbackExhaustedError;

export interface FallbackOptions {
  /** The whole chain's deadline, ms: remote tiers are cut at it, local tiers may still answer. */
  deadline?: number;
  /** Called when the chain moves on to tier `to` (index ≥ 1): `fallback_invocations_total`. */
  onFallback?: (to: string, from: FallbackMiss) => void;
}

/**
 * A fallback chain (Polly's fallback, Hystrix's getFallback, generalised to a list): tiers
 * are tried in order and the first that answers wins; a tier after it is never called. The
 * chain has one deadline: remote tiers run under it (aborted when it passes), and once it
 * has passed only local tiers are tried, so the chain answers within its deadline — with a
 * degraded answer when the providers were too slow — or fails at it.
 *
 * @example
 *   const chain = new FallbackChain([upstreams, cache, staticAnswer], clock, { deadline: 800 });
 *   const { value, tier } = await chain.execute({ signal });
 */
export class FallbackChain<T> {
  readonly tiers: readonly FallbackTier<T>[];
  readonly #deadline: DeadlinePolicy | undefined;
  readonly #onFallback: FallbackOptions['onFallback'];

  constructor(tiers: readonly FallbackTier<T>[], clock: Clock, options: FallbackOptions = {}) {
    if (tiers.length === 0) throw new RangeError('a fallback chain needs at least one tier');
    if (options.deadline !== undefined && !(options.deadline > 0)) throw new RangeError(`deadline must be more than 0, got ${options.deadline}`);
    this.tiers = tiers;
    this.#deadline = options.deadline === undefined ? undefined : new DeadlinePolicy(options.deadline, clock);
    this.#onFallback = options.onFallback;
  }

  async execute(ctx: PolicyContext = {}): Promise<FallbackResult<T>> {
    const missed: FallbackMiss[] = [];
    // The tier the loop below is at; after the deadline it is where the local tiers resume.
    let at = 0;
    const walk = async (c: PolicyContext): Promise<FallbackResult<T>> => {
      for (; at < this.tiers.length; at++) {
        const tier = this.tiers[at]!;
        if (at > 0) this.#onFallback?.(tier.name, missed[missed.length - 1]!);
        let value: T | undefined;
        try {
          value = await tier.run(c);
        } catch (error) {
          // The deadline (or the caller) ended the walk: whoever awaits the chain takes over.
          if (c.signal?.aborted || ctx.signal?.aborted) throw c.signal?.reason ?? ctx.signal?.reason ?? new CallerAbortedError();
          if (isCallerAbortedError(error)) throw error;
          missed.push({ tier: tier.name, reason: isDeadlineExceededError(error) ? 'deadline' : 'error', detail: error instanceof Error ? error.message : String(error), error });
          continue;
        }
        if (c.signal?.aborted) throw c.signal.reason;
        if (value !== undefined) return { value, tier: tier.name, index: at, missed };
        missed.push({ tier: tier.name, reason: 'miss' });
      }
      throw new FallbackExhaustedError(missed);
    };
    if (!this.#deadline) return walk(ctx);
    try {
      return await this.#deadline.execute(walk, ctx);
    } catch (error) {
      if (!isDeadlineExceededError(error) || ctx.signal?.aborted) throw error;
      // The deadline cut the tier at `at` (or the walk had just finished it): record it, then
      // only tiers that answer at once may still run, after it.
      if (at < this.tiers.length) missed.push({ tier: this.tiers[at]!.name, reason: 'deadline', detail: error.message, error });
      for (at++; at < this.tiers.length; at++) {
        const tier = this.tiers[at]!;
        if (!tier.local) {
          missed.push({ tier: tier.name, reason: 'deadline', detail: 'skipped: the chain deadline has passed' });
          continue;
        }
        this.#onFallback?.(tier.name, missed[missed.length - 1]!);
        let value: T | undefined;
        try {
          value = await tier.run(ctx);
        } catch (e) {
          if (ctx.signal?.aborted || isCallerAbortedError(e)) throw e;
          missed.push({ tier: tier.name, reason: 'error', detail: e instanceof Error ? e.message : String(e), error: e });
          continue;
        }
        if (value !== undefined) return { value, tier: tier.name, index: at, missed };
        missed.push({ tier: tier.name, reason: 'miss' });
      }
      throw new FallbackExhaustedError(missed);
    }
  }

  dispose(): void {
    this.#deadline?.dispose();
  }
}

/**
 * The last good answer per key (route + path), for a `cache` tier: bounded (least recently
 * stored goes first) and aged (`maxAge`). Deliberately not an HTTP cache: it is read only
 * when the live providers failed, where a stale answer beats none.
 */
export class LastGoodCache<T> {
  readonly maxEntries: number;
  readonly maxAge: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, { value: T; at: number }>();

  constructor(maxEntries: number, maxAge: number, clock: Clock) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError(`maxEntries must be a whole number ≥ 1, got ${maxEntries}`);
    if (!(maxAge > 0)) throw new RangeError(`maxAge must be more than 0, got ${maxAge}`);
    this.maxEntries = maxEntries;
    this.maxAge = maxAge;
    this.#clock = clock;
  }

  get size(): number {
    return this.#entries.size;
  }

  store(key: string, value: T): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, at: this.#clock.now() });
  }

  /** The value and its age in ms, if one younger than maxAge is held. */
  get(key: string): { value: T; age: number } | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    const age = this.#clock.now() - e.at;
    if (age >= this.maxAge) {
      this.#entries.delete(key);
      return undefined;
    }
    return { value: e.value, age };
  }
}

/**
 * A bounded queue of requests set aside for later (a person, a batch job): a `queue` tier
 * answers 202 Accepted with the ticket, so a client can come back for the result instead of
 * getting an error. Tickets are drawn from the injected RNG, so a seeded run repeats them.
 */
export class ManualQueue<T> {
  readonly capacity: number;
  readonly #rng: Rng;
  readonly #clock: Clock;
  readonly #items: Array<{ ticket: string; at: number; item: T }> = [];
  #seq = 0;

  constructor(capacity: number, clock: Clock, rng: Rng) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`);
    this.capacity = capacity;
    this.#clock = clock;
    this.#rng = rng;
  }

  /** Queues `item`; its ticket, or undefined when the queue is full. */
  enqueue(item: T): string | undefined {
    if (this.#items.length >= this.capacity) return undefined;
    const ticket = `q-${(++this.#seq).toString(36)}-${Math.floor(this.#rng.next() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0')}`;
    this.#items.push({ ticket, at: this.#clock.now(), item });
    return ticket;
  }

  /** Takes the oldest queued item (whoever works the queue). */
  take(): { ticket: string; at: number; item: T } | undefined {
    return this.#items.shift();
  }

  get size(): number {
    return this.#items.length;
  }
}

export { DeadlineExceededError };
