import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import type { Rng } from '../../core/rng.ts';
import { closest } from '../../core/suggest.ts';
import { parseDuration } from '../../core/units.ts';
import { duration, UPSTREAM_PATTERN, type ConfigPath, type Issue } from '../schema-kit.ts';
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

// ---------------------------------------------------------------------------------------
// Config: a route's `fallback` section of a router file, and its compile step to the tiers
// the router builds a FallbackChain from.

const TierSchema = Type.Union(
  [
    Type.Object(
      {
        tier: Type.Literal('upstreams', { description: 'Call providers, failing over in order.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default: the providers, joined by +.' })),
        upstreams: Type.Optional(
          Type.Array(Type.String({ pattern: UPSTREAM_PATTERN, expected: 'a provider name, or name@region' }), {
            minItems: 1,
            description: "Providers of this tier. Default: the route's upstreams.",
          }),
        ),
      },
      { additionalProperties: false, description: 'A tier of live providers.' },
    ),
    Type.Object(
      {
        tier: Type.Literal('cache', { description: 'The last good answer for the same path.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default cache.' })),
        maxAge: Type.Optional(duration('Answers older than this are not used. Default 5m.')),
        maxEntries: Type.Optional(Type.Integer({ minimum: 1, description: 'Paths remembered. Default 1000.' })),
      },
      { additionalProperties: false, description: 'Answer with the last good response for this path (GET and HEAD only).' },
    ),
    Type.Object(
      {
        tier: Type.Literal('static', { description: 'A fixed answer.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default static.' })),
        status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, description: 'Default 200.' })),
        json: Type.Optional(Type.Unknown({ description: 'A JSON body.' })),
        body: Type.Optional(Type.String({ description: 'A text body.' })),
        headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Response headers.' })),
      },
      { additionalProperties: false, description: 'Answer with a fixed response (a default, a degraded result).' },
    ),
    Type.Object(
      {
        tier: Type.Literal('queue', { description: 'Accept the request for later: 202 with a ticket.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default queue.' })),
        capacity: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests held at once; a full queue does not answer. Default 1000.' })),
      },
      { additionalProperties: false, description: 'A manual queue: answer 202 Accepted with a ticket.' },
    ),
  ],
  { description: 'One fallback tier: `tier: upstreams`, `cache`, `static` or `queue`.' },
);

export const FallbackSchema = Type.Object(
  {
    tiers: Type.Array(TierSchema, { minItems: 1, description: 'Tiers in order; the first that answers wins. Default first tier: the route\'s upstreams.' }),
  },
  { additionalProperties: false, description: "A fallback chain; the route's `deadline` is the chain's as a whole." },
);
export type FallbackFile = Type.Static<typeof FallbackSchema>;

export type FallbackTierConfig =
  | {
      tier: 'upstreams';
      name: string;
      upstreams: string[];
      /** The tier did not name its upstreams: it takes the request's routed list (select, canary arm, LLM chain). */
      routed: boolean;
    }
  | { tier: 'cache'; name: string; maxAge: number; maxEntries: number }
  | { tier: 'static'; name: string; status: number; headers: Record<string, string>; body: string }
  | { tier: 'queue'; name: string; capacity: number };

/**
 * `fallback` as written → its tiers, names and defaults filled. `upstreams`: the route's
 * (an `upstreams` tier's default); `providers`: every provider key, to check a tier's own list.
 */
export function compileFallback(raw: FallbackFile, upstreams: readonly string[], providers: readonly string[], at: ConfigPath, issue: Issue): { tiers: FallbackTierConfig[] } {
  const tiers: FallbackTierConfig[] = [];
  raw.tiers.forEach((t, j) => {
    const tat = [...at, 'tiers', j];
    switch (t.tier) {
      case 'upstreams': {
        const keys = t.upstreams ?? upstreams;
        (t.upstreams ?? []).forEach((u, k) => {
          if (providers.includes(u)) return;
          const hint = closest(u, providers);
          issue([...tat, 'upstreams', k], `unknown provider ${JSON.stringify(u)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${providers.join(', ')}` });
        });
        tiers.push({ tier: 'upstreams', name: t.name ?? keys.join('+'), upstreams: keys.filter((u) => providers.includes(u)), routed: t.upstreams === undefined });
        break;
      }
      case 'cache':
        tiers.push({ tier: 'cache', name: t.name ?? 'cache', maxAge: t.maxAge === undefined ? 300_000 : parseDuration(t.maxAge), maxEntries: t.maxEntries ?? 1000 });
        break;
      case 'static': {
        if (t.json !== undefined && t.body !== undefined) issue(tat, 'give `json` or `body`, not both');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(t.headers ?? {})) headers[k.toLowerCase()] = v;
        if (t.json !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json; charset=utf-8';
        tiers.push({ tier: 'static', name: t.name ?? 'static', status: t.status ?? 200, headers, body: t.json !== undefined ? JSON.stringify(t.json) : (t.body ?? '') });
        break;
      }
      case 'queue':
        tiers.push({ tier: 'queue', name: t.name ?? 'queue', capacity: t.capacity ?? 1000 });
        break;
    }
  });
  const names = tiers.map((t) => t.name);
  names.forEach((n, j) => {
    if (names.indexOf(n) !== j) issue([...at, 'tiers', j], `two tiers are named ${JSON.stringify(n)}; give one a \`name\``);
  });
  if (!tiers.some((t) => t.tier === 'upstreams')) issue([...at, 'tiers'], 'a fallback chain needs an `upstreams` tier, or the route would never call its providers');
  return { tiers };
}
