import { isIP } from 'node:net';
import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { parseDuration } from '../../core/units.ts';
import { duration, reportProblems, type ConfigPath, type Issue } from '../schema-kit.ts';
import { RateLimitedError } from './errors.ts';
import type { Policy, PolicyContext } from './policy.ts';

/**
 * Options: `limit` requests per `window` per client, enforced one of two ways.
 *
 * - `sliding-window` (a sliding log): exact — in any interval of length `window`, a client is
 *   admitted at most `limit` times. Memory: `limit` timestamps per client.
 * - `token-bucket`: a bucket of `burst` tokens (default `limit`) refilled at limit/window
 *   per ms; a request takes one. In any interval of length T a client is admitted at most
 *   burst + T·limit/window times: smoother, with bursts up to `burst`. Memory: two numbers.
 *   (Envoy's local rate limit and Resilience4j's RateLimiter are token buckets.)
 */
export interface RateLimitOptions {
  algorithm: 'sliding-window' | 'token-bucket';
  /** Requests per window, per client. */
  limit: number;
  /** ms. */
  window: number;
  /** token-bucket only: the bucket's size. Default `limit`. */
  burst?: number;
  /**
   * Clients tracked at once, bounding memory (default 10 000). When the table is full, an
   * idle client's entry (one that would behave as a fresh one) makes room; if none is idle,
   * new clients share one overflow entry with the same limit, so a flood of new addresses
   * can neither grow the table nor reset anyone's limit.
   */
  maxClients?: number;
  /**
   * IPv6 clients are limited per network of this prefix length, not per address (default
   * 64). An ISP hands one subscriber a /64 or more, so one client holds 2^64 addresses: keyed
   * per address, it could send from a fresh one each time and never meet its limit. 128
   * limits each address on its own.
   */
  ipv6Prefix?: number;
}

export const DEFAULT_MAX_CLIENTS = 10_000;
export const DEFAULT_IPV6_PREFIX = 64;

/** Readable state of one client's entry. */
export type RateLimitEntryState = { kind: 'sliding-window'; admitted: number[] } | { kind: 'token-bucket'; tokens: number; at: number };

interface Entry {
  /** When the entry last moved to the recent end of the client table (the table's insertion count then). */
  touched: number;
  /** ms until a request would be admitted; 0 admits it (and records it). */
  take(now: number): number;
  /** Whether the entry behaves as a fresh one would: nothing to remember. */
  idle(now: number): boolean;
  clone(now: number): Entry;
  state(now: number): RateLimitEntryState;
}

class SlidingLog implements Entry {
  touched = 0;
  readonly #limit: number;
  readonly #window: number;
  // A ring of admission times, oldest at #head.
  readonly #times: Float64Array;
  #head = 0;
  #count = 0;

  constructor(limit: number, window: number) {
    this.#limit = limit;
    this.#window = window;
    this.#times = new Float64Array(limit);
  }

  #evict(now: number): void {
    // An admission at t counts for (t − window, t]... so it stops counting at t + window.
    while (this.#count > 0 && this.#times[this.#head]! + this.#window <= now) {
      this.#head = (this.#head + 1) % this.#limit;
      this.#count--;
    }
  }

  take(now: number): number {
    this.#evict(now);
    if (this.#count >= this.#limit) return Math.max(1e-3, this.#times[this.#head]! + this.#window - now);
    this.#times[(this.#head + this.#count) % this.#limit] = now;
    this.#count++;
    return 0;
  }

  idle(now: number): boolean {
    this.#evict(now);
    return this.#count === 0;
  }

  clone(now: number): Entry {
    this.#evict(now);
    const c = new SlidingLog(this.#limit, this.#window);
    for (let i = 0; i < this.#count; i++) c.take(this.#times[(this.#head + i) % this.#limit]!);
    return c;
  }

  state(now: number): RateLimitEntryState {
    this.#evict(now);
    return { kind: 'sliding-window', admitted: Array.from({ length: this.#count }, (_, i) => this.#times[(this.#head + i) % this.#limit]!) };
  }
}

class TokenBucket implements Entry {
  touched = 0;
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number;

  constructor(burst: number, perMs: number, tokens: number, at: number) {
    this.#burst = burst;
    this.#perMs = perMs;
    this.#tokens = tokens;
    this.#at = at;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
      this.#at = now;
    }
  }

  take(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1e-3, (1 - this.#tokens) / this.#perMs);
  }

  idle(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  clone(now: number): Entry {
    this.#refill(now);
    return new TokenBucket(this.#burst, this.#perMs, this.#tokens, this.#at);
  }

  state(now: number): RateLimitEntryState {
    this.#refill(now);
    return { kind: 'token-bucket', tokens: this.#tokens, at: this.#at };
  }
}

/** The key under which clients beyond `maxClients` share one entry. */
export const OVERFLOW_KEY = '(overflow)';

/**
 * A per-client rate limiter: `limit` requests per `window` per client key (usually the
 * client address from `clientAddress`), answered with how long to wait (Retry-After).
 * No timers; one Map lookup and a few arithmetic operations per request.
 *
 * @example
 *   const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 100, window: 60_000 }, clock);
 *   const wait = limiter.take('203.0.113.7'); // 0: admitted; otherwise ms until it would be
 */
export class RateLimiter implements Policy {
  readonly options: Readonly<RateLimitOptions>;
  readonly #clock: Clock;
  readonly #max: number;
  // Insertion order is recency order: a hit moves its key to the end.
  readonly #entries = new Map<string, Entry>();
  #overflow: Entry | undefined;
  /** Moves to the recent end of #entries so far (see #entryFor). */
  #inserted = 0;
  readonly #onRejected: ((client: string) => void) | undefined;
  readonly #ipv6Prefix: number;

  constructor(options: RateLimitOptions, clock: Clock, onRejected?: (client: string) => void) {
    for (const p of rateLimitOptionProblems(options)) throw new RangeError(p.message);
    this.options = options;
    this.#clock = clock;
    this.#max = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.#onRejected = onRejected;
    this.#ipv6Prefix = options.ipv6Prefix ?? DEFAULT_IPV6_PREFIX;
  }

  /** The key `client` is limited under: itself, or its IPv6 network (see `ipv6Prefix`). */
  keyOf(client: string): string {
    return this.#ipv6Prefix < 128 && client.includes(':') ? (ipv6Network(client, this.#ipv6Prefix) ?? client) : client;
  }

  /** Clients tracked now (the overflow entry not included). */
  get size(): number {
    return this.#entries.size;
  }

  /** Takes one request for `client`: 0 when admitted, else ms until one would be. */
  take(client: string): number {
    const now = this.#clock.now();
    const wait = this.#entryFor(this.keyOf(client), now).take(now);
    if (wait > 0) this.#onRejected?.(client);
    return wait;
  }

  /** Runs `fn` if `ctx.client` is within its limit; else throws `RateLimitedError` with the wait. */
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    const client = ctx.client ?? 'unknown';
    const wait = this.take(client);
    if (wait > 0) return Promise.reject(new RateLimitedError(client, wait));
    return fn(ctx);
  }

  /** A client's entry, for tests and reports; undefined when not tracked. */
  state(client: string): RateLimitEntryState | undefined {
    const now = this.#clock.now();
    const e = client === OVERFLOW_KEY ? this.#overflow : this.#entries.get(this.keyOf(client));
    return e?.state(now);
  }

  #fresh(now: number): Entry {
    const o = this.options;
    if (o.algorithm === 'sliding-window') return new SlidingLog(o.limit, o.window);
    const burst = o.burst ?? o.limit;
    return new TokenBucket(burst, o.limit / o.window, burst, now);
  }

  #entryFor(client: string, now: number): Entry {
    const known = this.#entries.get(client);
    if (known) {
      // Recency is kept roughly: an entry moves to the recent end only once others have come
      // in since it last did. A client on every request stays put, at no Map rewrite per request.
      if (this.#inserted - known.touched > this.#max >> 3) {
        this.#entries.delete(client);
        this.#entries.set(client, known);
        known.touched = ++this.#inserted;
      }
      return known;
    }
    if (this.#entries.size >= this.#max && !this.#evictIdle(now)) return (this.#overflow ??= this.#fresh(now));
    // A client that was sharing the overflow entry keeps the history it made there: starting
    // from a copy of the overflow is never more lenient than the client's own past.
    const entry = this.#overflow ? this.#overflow.clone(now) : this.#fresh(now);
    this.#entries.set(client, entry);
    entry.touched = ++this.#inserted;
    return entry;
  }

  /** Drops one idle entry among the least recently used; false when they are all busy. */
  #evictIdle(now: number): boolean {
    let looked = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.idle(now)) {
        this.#entries.delete(key);
        return true;
      }
      // The oldest few are the likeliest idle; looking further costs more than sharing the overflow.
      if (++looked >= 8) break;
    }
    return false;
  }
}


/**
 * The network of IPv6 `address` at prefix length `bits`, as `2001:db8:0:1::/64`; undefined
 * when it is not an IPv6 address. A zone (`fe80::1%eth0`) is dropped.
 *
 * @example ipv6Network('2001:db8:0:1:aaaa::7', 64) === '2001:db8:0:1::/64'
 */
export function ipv6Network(address: string, bits: number): string | undefined {
  const at = address.indexOf('%');
  const a = (at < 0 ? address : address.slice(0, at)).toLowerCase();
  if (isIP(a) !== 6) return undefined;
  // An embedded IPv4 tail (64:ff9b::1.2.3.4; ::ffff:1.2.3.4 is normalised before here) is two groups.
  const hex = (part: string[]): string[] => {
    const last = part[part.length - 1];
    if (last === undefined || !last.includes('.')) return part;
    const [p, q, r, s] = last.split('.').map(Number) as [number, number, number, number];
    return [...part.slice(0, -1), ((p << 8) | q).toString(16), ((r << 8) | s).toString(16)];
  };
  let groups: string[];
  const gap = a.indexOf('::');
  if (gap < 0) groups = hex(a.split(':'));
  else {
    const head = gap === 0 ? [] : a.slice(0, gap).split(':');
    const tail = gap + 2 === a.length ? [] : hex(a.slice(gap + 2).split(':'));
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  }
  const kept: string[] = [];
  for (let i = 0; i < 8 && i * 16 < bits; i++) {
    const n = parseInt(groups[i]!, 16);
    const mask = bits >= (i + 1) * 16 ? 0xffff : (0xffff << (16 - (bits - i * 16))) & 0xffff;
    kept.push((n & mask).toString(16));
  }
  return `${kept.join(':')}${kept.length < 8 ? '::' : ''}/${bits}`;
}

// ---------------------------------------------------------------------------------------
// Config: the options' checks (the constructor throws on them, the config reports them at
// their lines), the `rateLimit` section of a router file (global or per route), and its
// compile step.

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function rateLimitOptionProblems(o: RateLimitOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!(Number.isInteger(o.limit) && o.limit >= 1)) out.push({ field: 'limit', message: `limit must be a whole number ≥ 1, got ${o.limit}` });
  if (!(o.window > 0)) out.push({ field: 'window', message: `window must be longer than 0, got ${o.window}` });
  if (o.burst !== undefined) {
    if (o.algorithm !== 'token-bucket') out.push({ field: 'burst', message: 'burst applies to the token-bucket algorithm only' });
    else if (!(o.burst >= 1)) out.push({ field: 'burst', message: `burst must be ≥ 1, got ${o.burst}` });
  }
  if (o.maxClients !== undefined && !(Number.isInteger(o.maxClients) && o.maxClients >= 1)) out.push({ field: 'maxClients', message: `maxClients must be a whole number ≥ 1, got ${o.maxClients}` });
  if (o.ipv6Prefix !== undefined && !(Number.isInteger(o.ipv6Prefix) && o.ipv6Prefix >= 1 && o.ipv6Prefix <= 128)) out.push({ field: 'ipv6Prefix', message: `ipv6Prefix must be a whole number from 1 to 128, got ${o.ipv6Prefix}` });
  return out;
}

export const RateLimitSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'Requests per window, per client.' }),
    window: duration('The window, e.g. 1m.'),
    algorithm: Type.Optional(
      Type.Union([Type.Literal('sliding-window'), Type.Literal('token-bucket')], {
        expected: 'sliding-window or token-bucket',
        description: 'sliding-window (exact: never more than `limit` in any window) or token-bucket (smooth, bursts up to `burst`). Default sliding-window.',
      }),
    ),
    burst: Type.Optional(Type.Integer({ minimum: 1, description: 'token-bucket: the bucket size. Default `limit`.' })),
    maxClients: Type.Optional(Type.Integer({ minimum: 1, description: 'Clients tracked at once (memory bound). Default 10000.' })),
    ipv6Prefix: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 128, description: 'IPv6 clients are limited per network of this prefix length, not per address (one subscriber holds a /64). Default 64; 128 limits each address.' }),
    ),
  },
  { additionalProperties: false, description: 'A per-client rate limit; the client is its address after `clients.trustedProxies`. Over it: 429 with Retry-After.' },
);
export type RateLimitFile = Type.Static<typeof RateLimitSchema>;

/** `rateLimit` as written → options in ms; undefined when they would not construct. */
export function compileRateLimit(r: RateLimitFile, at: ConfigPath, issue: Issue): RateLimitOptions | undefined {
  const options: RateLimitOptions = {
    algorithm: r.algorithm ?? 'sliding-window',
    limit: r.limit,
    window: parseDuration(r.window),
    ...(r.burst !== undefined && { burst: r.burst }),
    ...(r.maxClients !== undefined && { maxClients: r.maxClients }),
    ...(r.ipv6Prefix !== undefined && { ipv6Prefix: r.ipv6Prefix }),
  };
  return reportProblems(issue, at, rateLimitOptionProblems(options)) ? options : undefined;
}
