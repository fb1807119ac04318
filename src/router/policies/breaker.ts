import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { parseDuration, parsePercent } from '../../core/units.ts';
import { conditionList, conditions, DEFAULT_FAILURE_CONDITIONS, duration, percent, reportProblems, type ConfigPath, type Issue } from '../schema-kit.ts';
import { BrokenCircuitError, saysNothingAboutProvider } from './errors.ts';
import { throughGate, type Gate } from './gate.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { BucketWindow } from './window.ts';

/**
 * Options in Resilience4j's vocabulary (its config names in brackets).
 *
 * @example
 *   // Count-based: half of the last 20 calls failed.
 *   new CircuitBreaker({ failureRate: 0.5, window: 20, minimumCalls: 10, openFor: 5000,
 *     halfOpen: { probes: 2, successesToClose: 2 } }, clock);
 *   // Time-based: more than 10 % failures, or 80 % of calls slower than 1s, over 30 s.
 *   new CircuitBreaker({ failureRate: 0.1, windowType: 'time', window: 30_000, minimumCalls: 20,
 *     slowCall: { duration: 1_000, rate: 0.8 }, openFor: 5_000, openBackoff: { multiplier: 2, max: 60_000 },
 *     halfOpen: { probes: 3, successesToClose: 2 } }, clock);
 */
export interface BreakerOptions {
  /** Open when failures / calls in the window reach this fraction, in (0, 1] [failureRateThreshold]. */
  failureRate: number;
  /**
   * `count` (default): `window` is how many of the latest calls are judged [COUNT_BASED];
   * `time`: `window` is how many ms of recent calls are judged, in buckets [TIME_BASED].
   */
  windowType?: 'count' | 'time';
  /** Calls (count window) or ms (time window) [slidingWindowSize]. */
  window: number;
  /**
   * A time window's buckets: its resolution. Default 10 (Polly v8 splits its sampling
   * duration in 10; Resilience4j uses one-second buckets).
   */
  buckets?: number;
  /** No verdict until this many calls are in the window [minimumNumberOfCalls]; at most `window` for a count window. */
  minimumCalls: number;
  /** How long the breaker stays open before it admits probes, in ms [waitDurationInOpenState]. */
  openFor: number;
  /**
   * Grow the open wait while the provider keeps failing its probes: the n-th opening in a row
   * waits min(max, openFor · multiplierⁿ⁻¹); closing resets it. Resilience4j's
   * `enableExponentialBackoff`/`exponentialMaxWaitDurationInOpenState`, Polly v8's
   * `BreakDurationGenerator` (which gets the half-open attempt count).
   */
  openBackoff?: { multiplier: number; max: number };
  /**
   * A call longer than `duration` ms is slow; open when slow calls / calls in the window reach
   * `rate` [slowCallDurationThreshold, slowCallRateThreshold]. A slow half-open probe counts
   * as a failed one. Off unless given (Resilience4j's defaults, 60 s and 100 %, rarely trip).
   */
  slowCall?: { duration: number; rate: number };
  halfOpen: {
    /** Probe calls admitted per half-open period; others are refused [permittedNumberOfCallsInHalfOpenState]. */
    probes: number;
    /** Successful probes that close the breaker; one failed probe reopens it. At most `probes`. */
    successesToClose: number;
  };
}

/** How one call ended, as the closed state's count window records it. */
export type CallOutcome = 'success' | 'failure' | 'slow-success' | 'slow-failure';

/** One bucket of a time window: calls that ended in [at, at + width). */
export interface BreakerBucket {
  at: number;
  calls: number;
  failures: number;
  slowCalls: number;
}

/**
 * The breaker's state, readable for metrics and reports and restorable for tests.
 * Closed: `window` lists a count window's outcomes, oldest first (empty for a time window);
 * `buckets`, present for a time window only, its non-empty buckets. `opens` counts the
 * openings since the breaker last closed (1 the first time), which sets the growing wait.
 * For rates whatever the window, read `metrics()`.
 */
export type BreakerState =
  | { kind: 'closed'; window: CallOutcome[]; buckets?: BreakerBucket[] }
  | { kind: 'open'; openedAt: number; until: number; opens: number }
  | { kind: 'half-open'; admitted: number; successes: number; opens: number };

/** What `restore` accepts: `opens` may be left out (1); a closed state needs only its window's field. */
export type BreakerStateInput =
  | { kind: 'closed'; window?: CallOutcome[]; buckets?: BreakerBucket[] }
  | { kind: 'open'; openedAt: number; until: number; opens?: number }
  | { kind: 'half-open'; admitted: number; successes: number; opens?: number };

/** The closed state's window in numbers (Resilience4j's `CircuitBreaker.Metrics`); zeros unless closed. */
export interface BreakerMetrics {
  calls: number;
  failures: number;
  slowCalls: number;
  /** failures / calls; 0 with no calls. */
  failureRate: number;
  /** slowCalls / calls; 0 with no calls. */
  slowCallRate: number;
}

export type BreakerStateKind = BreakerState['kind'];

export interface BreakerTransition {
  from: BreakerStateKind;
  to: BreakerStateKind;
  /** Clock time of the transition. */
  at: number;
}

/** A call's admission ticket; `REJECTED` when the breaker refused. */
export type Permit = number;
export const REJECTED: Permit = -1;

/** Decides, per outcome, whether a call counts against the provider. */
export interface FailurePredicate<T> {
  /** A returned value that is a failure (e.g. a 503). Default: none are. */
  result?: (value: T) => boolean;
  /** A thrown error that is a failure. Default: all are. */
  error?: (error: unknown) => boolean;
}

// Count window codes: bit 0 failure, bit 1 slow.
const FAILED = 1;
const SLOW = 2;
const OUTCOMES: CallOutcome[] = ['success', 'failure', 'slow-success', 'slow-failure'];
// Time window fields.
const CALLS = 0;
const FAILURES = 1;
const SLOW_CALLS = 2;

/**
 * A circuit breaker: closed → open when, over its sliding window (the last `window` calls, or
 * the last `window` ms), at least `minimumCalls` calls were seen and the failure rate or the
 * slow-call rate reached its threshold; open → half-open once the open wait has passed on the
 * injected clock; half-open → closed after `successesToClose` successful probes, or back to
 * open (for a longer wait, with `openBackoff`) on the first failed or slow one.
 *
 * No timers: open → half-open happens lazily, when a call (or `state()`) looks at the
 * clock. Every admission carries the epoch of the state it was admitted in, and a result
 * from an earlier epoch is dropped: a slow call admitted while closed cannot count as a
 * probe after the breaker has opened and gone half-open (a classic half-open bug).
 * A half-open probe that ends without a verdict (the caller left) hands its slot back, so
 * half-open cannot wedge with every slot spent.
 */
export class CircuitBreaker implements Policy, Gate {
  readonly options: Readonly<BreakerOptions>;
  readonly #clock: Clock;
  #listeners: Array<(t: BreakerTransition) => void> = [];
  #isFailure: FailurePredicate<unknown>;
  readonly #time: boolean;
  readonly #slowMs: number;

  #kind: BreakerStateKind = 'closed';
  #epoch = 0;
  // Closed, count window: a ring of the last `window` outcome codes.
  readonly #ring: Uint8Array;
  #next = 0;
  #calls = 0;
  #failures = 0;
  #slow = 0;
  // Closed, time window.
  readonly #buckets: BucketWindow | undefined;
  // Open.
  #openedAt = 0;
  #until = 0;
  #opens = 0;
  // Half-open.
  #admitted = 0;
  #successes = 0;

  constructor(options: BreakerOptions, clock: Clock, isFailure: FailurePredicate<unknown> = {}) {
    validateBreakerOptions(options);
    this.options = options;
    this.#clock = clock;
    this.#isFailure = isFailure;
    this.#time = options.windowType === 'time';
    this.#slowMs = options.slowCall ? options.slowCall.duration : Infinity;
    this.#ring = new Uint8Array(this.#time ? 0 : options.window);
    this.#buckets = this.#time ? new BucketWindow(options.window, options.buckets ?? DEFAULT_BUCKETS, 3) : undefined;
  }

  /** Subscribes to state changes (for metrics); returns the unsubscribe function. */
  onStateChange(listener: (t: BreakerTransition) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** The current state; an open breaker whose wait has passed reads as half-open. */
  state(): BreakerState {
    this.#refresh();
    switch (this.#kind) {
      case 'closed': {
        if (this.#buckets) {
          const buckets = this.#buckets
            .snapshot(this.#clock.now())
            .map(({ at, counts }) => ({ at, calls: counts[CALLS]!, failures: counts[FAILURES]!, slowCalls: counts[SLOW_CALLS]! }));
          return { kind: 'closed', window: [], buckets };
        }
        const window: CallOutcome[] = [];
        const size = this.options.window;
        const start = this.#calls < size ? 0 : this.#next;
        for (let i = 0; i < this.#calls; i++) window.push(OUTCOMES[this.#ring[(start + i) % size]!]!);
        return { kind: 'closed', window };
      }
      case 'open':
        return { kind: 'open', openedAt: this.#openedAt, until: this.#until, opens: this.#opens };
      case 'half-open':
        return { kind: 'half-open', admitted: this.#admitted, successes: this.#successes, opens: this.#opens };
    }
  }

  /**
   * Puts the breaker in `state` (tests, and resuming a simulation). Calls in flight from
   * before are forgotten. Emits a transition if the kind changes.
   */
  restore(state: BreakerStateInput): void {
    const from = this.#kind;
    this.#epoch++;
    this.#resetWindow();
    this.#admitted = 0;
    this.#successes = 0;
    this.#opens = 0;
    switch (state.kind) {
      case 'closed':
        if (this.#buckets) {
          if (state.window?.length) throw new RangeError('this breaker has a time window: restore it with `buckets`, not `window`');
          this.#buckets.restore(
            this.#clock.now(),
            (state.buckets ?? []).map((b) => ({ at: b.at, counts: [b.calls, b.failures, b.slowCalls] })),
          );
        } else {
          if (state.buckets?.length) throw new RangeError('this breaker has a count window: restore it with `window`, not `buckets`');
          for (const o of (state.window ?? []).slice(-this.options.window)) this.#push(OUTCOMES.indexOf(o));
        }
        break;
      case 'open':
        this.#openedAt = state.openedAt;
        this.#until = state.until;
        this.#opens = state.opens ?? 1;
        break;
      case 'half-open':
        this.#admitted = state.admitted;
        this.#successes = state.successes;
        this.#opens = state.opens ?? 1;
        break;
    }
    this.#kind = state.kind;
    if (from !== state.kind) this.#emit(from, state.kind);
  }

  /** The closed state's window in numbers, whatever its type. */
  metrics(): BreakerMetrics {
    this.#refresh();
    if (this.#kind !== 'closed') return { calls: 0, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 };
    const [calls, failures, slowCalls] = this.#counts();
    return { calls, failures, slowCalls, failureRate: calls ? failures / calls : 0, slowCallRate: calls ? slowCalls / calls : 0 };
  }

  /** Whether a call would be admitted now, without taking a slot. */
  isCallPermitted(): boolean {
    this.#refresh();
    return this.#kind === 'closed' || (this.#kind === 'half-open' && this.#admitted < this.options.halfOpen.probes);
  }

  /** Clock time at which an open breaker admits its first probe; undefined unless open. */
  retryAt(): number | undefined {
    this.#refresh();
    return this.#kind === 'open' ? this.#until : undefined;
  }

  /**
   * Asks to make a call. Returns a permit to pass to exactly one of `success`, `failure`
   * or `release` when the call ends, or `REJECTED`.
   */
  acquire(): Permit {
    this.#refresh();
    if (this.#kind === 'closed') return this.#epoch;
    if (this.#kind === 'half-open' && this.#admitted < this.options.halfOpen.probes) {
      this.#admitted++;
      return this.#epoch;
    }
    return REJECTED;
  }

  /** Records a successful call; `durationMs` makes it slow when longer than `slowCall.duration`. */
  success(permit: Permit, durationMs = 0): void {
    this.#record(permit, false, durationMs > this.#slowMs);
  }

  /** Records a failed call. */
  failure(permit: Permit, durationMs = 0): void {
    this.#record(permit, true, durationMs > this.#slowMs);
  }

  /** Ends a call that says nothing about the provider (the caller left); a probe's slot is handed back. */
  release(permit: Permit): void {
    if (permit !== this.#epoch) return;
    if (this.#kind === 'half-open' && this.#admitted > 0) this.#admitted--;
  }

  /**
   * Runs `fn` if the breaker admits it, else throws `BrokenCircuitError`. Outcomes are
   * judged by the predicate given at construction; a call whose caller aborted, or that the
   * router refused itself (a bulkhead, a throttle) or cut at the request deadline, is released.
   */
  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    return throughGate(this, fn, ctx);
  }

  /** When an admitted call starts, for the slow-call check: the clock is read only when slow calls matter. */
  startedAt(): number {
    return this.options.slowCall ? this.#clock.now() : 0;
  }

  /** Gate: the permit, or the refusal thrown. */
  enter(_ctx?: PolicyContext): Permit {
    const permit = this.acquire();
    if (permit === REJECTED) throw this.rejection();
    return permit;
  }

  /** Gate: the clock, only when slow calls are judged. */
  get timing(): Clock | undefined {
    return this.options.slowCall ? this.#clock : undefined;
  }

  /** Records a call admitted with `permit` at `started` that returned `value`, as `execute` does. */
  returned(permit: Permit, started: number, value: unknown): void {
    if (this.#isFailure.result?.(value)) this.failure(permit, this.#elapsed(started));
    else this.success(permit, this.#elapsed(started));
  }

  /** Records a call admitted with `permit` at `started` that threw `error`, as `execute` does. */
  threw(permit: Permit, started: number, ctx: PolicyContext, error: unknown): void {
    if (ctx.signal?.aborted || saysNothingAboutProvider(error)) this.release(permit);
    else if (this.#isFailure.error ? this.#isFailure.error(error) : true) this.failure(permit, this.#elapsed(started));
    else this.success(permit, this.#elapsed(started));
  }

  #elapsed(started: number): number {
    return this.options.slowCall ? this.#clock.now() - started : 0;
  }

  /** The error a refused call gets, for the state the breaker is in. */
  rejection(): BrokenCircuitError {
    if (this.#kind === 'open') return new BrokenCircuitError('circuit breaker is open', this.#until);
    return new BrokenCircuitError('circuit breaker is half-open and all probe slots are taken');
  }

  #record(permit: Permit, failed: boolean, slow: boolean): void {
    if (permit !== this.#epoch) return;
    if (this.#kind === 'closed') {
      if (this.#buckets) {
        const now = this.#clock.now();
        this.#buckets.add(now, CALLS);
        if (failed) this.#buckets.add(now, FAILURES);
        if (slow) this.#buckets.add(now, SLOW_CALLS);
      } else {
        this.#push((failed ? FAILED : 0) | (slow ? SLOW : 0));
      }
      this.#judge();
    } else if (this.#kind === 'half-open') {
      if (failed || slow) this.#open();
      else if (++this.#successes >= this.options.halfOpen.successesToClose) this.#close();
    }
  }

  #refresh(): void {
    if (this.#kind === 'open' && this.#clock.now() >= this.#until) {
      this.#epoch++;
      this.#kind = 'half-open';
      this.#admitted = 0;
      this.#successes = 0;
      this.#emit('open', 'half-open');
    }
  }

  #push(code: number): void {
    const size = this.options.window;
    if (this.#calls === size) {
      const old = this.#ring[this.#next]!;
      this.#failures -= old & FAILED;
      this.#slow -= (old & SLOW) >> 1;
    } else this.#calls++;
    this.#ring[this.#next] = code;
    this.#failures += code & FAILED;
    this.#slow += (code & SLOW) >> 1;
    this.#next = (this.#next + 1) % size;
  }

  /** [calls, failures, slow calls] in the closed state's window. */
  #counts(): [number, number, number] {
    if (!this.#buckets) return [this.#calls, this.#failures, this.#slow];
    const t = this.#buckets.totals(this.#clock.now());
    return [t[CALLS]!, t[FAILURES]!, t[SLOW_CALLS]!];
  }

  #judge(): void {
    const [calls, failures, slow] = this.#counts();
    // A success can trip the breaker too: it may be the call that reaches minimumCalls.
    // Divide rather than multiply: 3 / 10 >= 0.3 holds, 3 >= 0.3 * 10 (3.0000000000000004) does not.
    if (calls < this.options.minimumCalls) return;
    if (failures / calls >= this.options.failureRate || (this.options.slowCall !== undefined && slow / calls >= this.options.slowCall.rate)) this.#open();
  }

  #open(): void {
    const from = this.#kind;
    this.#epoch++;
    this.#kind = 'open';
    this.#opens++;
    this.#openedAt = this.#clock.now();
    this.#until = this.#openedAt + openWait(this.options, this.#opens);
    this.#resetWindow();
    this.#emit(from, 'open');
  }

  #close(): void {
    this.#epoch++;
    this.#kind = 'closed';
    this.#opens = 0;
    this.#resetWindow();
    this.#emit('half-open', 'closed');
  }

  #resetWindow(): void {
    this.#next = 0;
    this.#calls = 0;
    this.#failures = 0;
    this.#slow = 0;
    this.#buckets?.clear();
  }

  #emit(from: BreakerStateKind, to: BreakerStateKind): void {
    const t: BreakerTransition = { from, to, at: this.#clock.now() };
    for (const l of this.#listeners) l(t);
  }
}

/** Buckets of a time window when not given (Polly v8's rolling health metrics). */
export const DEFAULT_BUCKETS = 10;

/**
 * How long the `opens`-th opening in a row keeps the breaker open: `openFor`, grown by
 * `openBackoff.multiplier` per opening up to `openBackoff.max`.
 */
export function openWait(o: Pick<BreakerOptions, 'openFor' | 'openBackoff'>, opens: number): number {
  if (!o.openBackoff || opens <= 1) return o.openFor;
  // multiplier ** 2000 is Infinity, and min(max, Infinity) is max: no overflow guard needed.
  return Math.min(o.openBackoff.max, o.openFor * o.openBackoff.multiplier ** (opens - 1));
}

// ---------------------------------------------------------------------------------------
// Config: the options' checks (the constructor throws on them, the config reports them at
// their lines), the `breaker` section of a router file, and its compile step.

/** Throws a RangeError naming the first option out of range. */
export function validateBreakerOptions(o: BreakerOptions): void {
  for (const problem of breakerOptionProblems(o)) throw new RangeError(problem.message);
}

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function breakerOptionProblems(o: BreakerOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!(o.failureRate > 0 && o.failureRate <= 1)) out.push({ field: 'failureRate', message: `failureRate must be in (0%, 100%], got ${o.failureRate * 100}%` });
  const time = o.windowType === 'time';
  if (time) {
    if (!(o.window > 0)) out.push({ field: 'window', message: `a time window must be longer than 0ms, got ${o.window}` });
    if (o.buckets !== undefined && !(Number.isInteger(o.buckets) && o.buckets >= 1)) out.push({ field: 'buckets', message: `buckets must be a whole number ≥ 1, got ${o.buckets}` });
  } else if (!(Number.isInteger(o.window) && o.window >= 1)) out.push({ field: 'window', message: `window must be a whole number of calls ≥ 1, got ${o.window}` });
  if (!(Number.isInteger(o.minimumCalls) && o.minimumCalls >= 1)) out.push({ field: 'minimumCalls', message: `minimumCalls must be ≥ 1, got ${o.minimumCalls}` });
  else if (!time && o.minimumCalls > o.window) out.push({ field: 'minimumCalls', message: `minimumCalls (${o.minimumCalls}) exceeds window (${o.window}): the breaker could never open` });
  if (!(o.openFor >= 0)) out.push({ field: 'openFor', message: `openFor must be ≥ 0, got ${o.openFor}` });
  if (o.openBackoff) {
    if (!(o.openBackoff.multiplier >= 1)) out.push({ field: 'openBackoff.multiplier', message: `openBackoff.multiplier must be ≥ 1, got ${o.openBackoff.multiplier}` });
    if (!(o.openBackoff.max >= o.openFor)) out.push({ field: 'openBackoff.max', message: `openBackoff.max (${o.openBackoff.max}ms) is shorter than openFor (${o.openFor}ms)` });
  }
  if (o.slowCall) {
    if (!(o.slowCall.duration > 0)) out.push({ field: 'slowCall.duration', message: `slowCall.duration must be more than 0, got ${o.slowCall.duration}` });
    if (!(o.slowCall.rate > 0 && o.slowCall.rate <= 1)) out.push({ field: 'slowCall.rate', message: `slowCall.rate must be in (0%, 100%], got ${o.slowCall.rate * 100}%` });
  }
  if (!(Number.isInteger(o.halfOpen.probes) && o.halfOpen.probes >= 1)) out.push({ field: 'halfOpen.probes', message: `halfOpen.probes must be ≥ 1, got ${o.halfOpen.probes}` });
  if (!(Number.isInteger(o.halfOpen.successesToClose) && o.halfOpen.successesToClose >= 1)) out.push({ field: 'halfOpen.successesToClose', message: `halfOpen.successesToClose must be ≥ 1, got ${o.halfOpen.successesToClose}` });
  else if (o.halfOpen.successesToClose > o.halfOpen.probes) out.push({ field: 'halfOpen.successesToClose', message: `halfOpen.successesToClose (${o.halfOpen.successesToClose}) exceeds halfOpen.probes (${o.halfOpen.probes}): the breaker could never close` });
  return out;
}

export const BreakerSchema = Type.Object(
  {
    failureRate: percent('Open when this share of the calls in the window failed, e.g. 50% (Resilience4j failureRateThreshold).'),
    window: Type.Union(
      [
        Type.Integer({ minimum: 1, description: 'How many of the latest calls are judged (count-based sliding window).' }),
        duration('How far back calls are judged, e.g. 30s (time-based sliding window, in buckets).'),
      ],
      { expected: 'a number of calls like 20, or a duration like 30s', description: 'The sliding window: a number of calls, or a duration.' },
    ),
    buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "A time window's buckets: its resolution. Default 10 (Polly v8)." })),
    minimumCalls: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'No verdict before this many calls are in the window. At most `window` for a count window. Default: `window` for a count window, 100 for a time window (Resilience4j, Polly).',
      }),
    ),
    slowCall: Type.Optional(
      Type.Object(
        {
          duration: duration('A call longer than this is slow (Resilience4j slowCallDurationThreshold), e.g. 1s.'),
          rate: percent('Open when this share of the calls in the window were slow (slowCallRateThreshold), e.g. 80%.'),
        },
        { additionalProperties: false, description: 'Open on slow calls too; a slow half-open probe counts as a failed one.' },
      ),
    ),
    openFor: duration('How long the breaker stays open before probing the provider again, e.g. 5s.'),
    openBackoff: Type.Optional(
      Type.Object(
        { multiplier: Type.Number({ minimum: 1, description: 'Each opening in a row waits this many times longer, e.g. 2.' }), max: duration('The longest wait, e.g. 1m.') },
        { additionalProperties: false, description: 'Grow the open wait while probes keep failing (Resilience4j exponential backoff in the open state); closing resets it.' },
      ),
    ),
    halfOpen: Type.Optional(
      Type.Object(
        {
          probes: Type.Integer({ minimum: 1, description: 'Calls let through per half-open period. Default 1.' }),
          successesToClose: Type.Optional(Type.Integer({ minimum: 1, description: 'Successful probes that close the breaker; one failed probe reopens it. Default: `probes`.' })),
        },
        { additionalProperties: false, description: 'How the breaker tests a provider after its cool-down.' },
      ),
    ),
    failureOn: Type.Optional(conditions('Outcomes that count as failures. Default [5xx, network, timeout].')),
  },
  { additionalProperties: false, description: 'A circuit breaker per provider: fail fast while a provider is known bad.' },
);
export type BreakerFile = Type.Static<typeof BreakerSchema>;

export interface BreakerConfig extends BreakerOptions {
  failureOn: string[];
}

/** `breaker` as written → options in ms and fractions, defaults filled; undefined when they would not construct. */
export function compileBreaker(b: BreakerFile, at: ConfigPath, issue: Issue): BreakerConfig | undefined {
  const probes = b.halfOpen?.probes ?? 1;
  const time = typeof b.window === 'string';
  const window = typeof b.window === 'string' ? parseDuration(b.window) : b.window;
  if (!time && b.buckets !== undefined) issue([...at, 'buckets'], 'buckets apply to a time window (window: 30s) only');
  const options: BreakerConfig = {
    failureRate: parsePercent(b.failureRate),
    ...(time && { windowType: 'time' as const, buckets: b.buckets ?? DEFAULT_BUCKETS }),
    window,
    minimumCalls: b.minimumCalls ?? (time ? 100 : window),
    openFor: parseDuration(b.openFor),
    ...(b.openBackoff && { openBackoff: { multiplier: b.openBackoff.multiplier, max: parseDuration(b.openBackoff.max) } }),
    ...(b.slowCall && { slowCall: { duration: parseDuration(b.slowCall.duration), rate: parsePercent(b.slowCall.rate) } }),
    halfOpen: { probes, successesToClose: b.halfOpen?.successesToClose ?? probes },
    failureOn: conditionList(b.failureOn, DEFAULT_FAILURE_CONDITIONS),
  };
  return reportProblems(issue, at, breakerOptionProblems(options)) ? options : undefined;
}
