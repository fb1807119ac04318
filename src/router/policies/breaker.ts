import type { Clock } from '../../core/clock.ts';
import { BrokenCircuitError, CallerAbortedError } from './errors.ts';
import type { Policy, PolicyContext } from './policy.ts';

/**
 * Options in Resilience4j's vocabulary (its config names in brackets).
 *
 * @example
 *   const breaker = new CircuitBreaker({
 *     failureRate: 0.5, window: 20, minimumCalls: 10, openFor: 5000,
 *     halfOpen: { probes: 2, successesToClose: 2 },
 *   }, clock);
 */
export interface BreakerOptions {
  /** Open when failures / calls in the window reach this fraction, in (0, 1] [failureRateThreshold]. */
  failureRate: number;
  /** How many of the latest calls the closed state judges by [slidingWindowSize, COUNT_BASED]. */
  window: number;
  /** No verdict until this many calls are in the window [minimumNumberOfCalls]; at most `window`. */
  minimumCalls: number;
  /** How long the breaker stays open before it admits probes, in ms [waitDurationInOpenState]. */
  openFor: number;
  halfOpen: {
    /** Probe calls admitted per half-open period; others are refused [permittedNumberOfCallsInHalfOpenState]. */
    probes: number;
    /** Successful probes that close the breaker; one failed probe reopens it. At most `probes`. */
    successesToClose: number;
  };
}

/**
 * The breaker's state, readable for metrics and reports and restorable for tests.
 * `window` lists the closed state's recorded outcomes, oldest first.
 */
export type BreakerState =
  | { kind: 'closed'; window: Array<'success' | 'failure'> }
  | { kind: 'open'; openedAt: number; until: number }
  | { kind: 'half-open'; admitted: number; successes: number };

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

/**
 * A count-based circuit breaker: closed → open when the failure rate over the last
 * `window` calls reaches `failureRate` (and at least `minimumCalls` were seen); open →
 * half-open once `openFor` has passed on the injected clock; half-open → closed after
 * `successesToClose` successful probes, or back to open on the first failed one.
 *
 * No timers: open → half-open happens lazily, when a call (or `state()`) looks at the
 * clock. Every admission carries the epoch of the state it was admitted in, and a result
 * from an earlier epoch is dropped: a slow call admitted while closed cannot count as a
 * probe after the breaker has opened and gone half-open (a classic half-open bug).
 * A half-open probe that ends without a verdict (the caller left) hands its slot back, so
 * half-open cannot wedge with every slot spent.
 */
export class CircuitBreaker implements Policy {
  readonly options: Readonly<BreakerOptions>;
  readonly #clock: Clock;
  #listeners: Array<(t: BreakerTransition) => void> = [];
  #isFailure: FailurePredicate<unknown>;

  #kind: BreakerStateKind = 'closed';
  #epoch = 0;
  // Closed: a ring of the last `window` outcomes (1 = failure).
  readonly #ring: Uint8Array;
  #next = 0;
  #calls = 0;
  #failures = 0;
  // Open.
  #openedAt = 0;
  #until = 0;
  // Half-open.
  #admitted = 0;
  #successes = 0;

  constructor(options: BreakerOptions, clock: Clock, isFailure: FailurePredicate<unknown> = {}) {
    validateBreakerOptions(options);
    this.options = options;
    this.#clock = clock;
    this.#isFailure = isFailure;
    this.#ring = new Uint8Array(options.window);
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
        const window: Array<'success' | 'failure'> = [];
        const size = this.options.window;
        const start = this.#calls < size ? 0 : this.#next;
        for (let i = 0; i < this.#calls; i++) window.push(this.#ring[(start + i) % size] ? 'failure' : 'success');
        return { kind: 'closed', window };
      }
      case 'open':
        return { kind: 'open', openedAt: this.#openedAt, until: this.#until };
      case 'half-open':
        return { kind: 'half-open', admitted: this.#admitted, successes: this.#successes };
    }
  }

  /**
   * Puts the breaker in `state` (tests, and resuming a simulation). Calls in flight from
   * before are forgotten. Emits a transition if the kind changes.
   */
  restore(state: BreakerState): void {
    const from = this.#kind;
    this.#epoch++;
    this.#resetWindow();
    this.#admitted = 0;
    this.#successes = 0;
    switch (state.kind) {
      case 'closed':
        for (const o of state.window.slice(-this.options.window)) this.#push(o === 'failure' ? 1 : 0);
        break;
      case 'open':
        this.#openedAt = state.openedAt;
        this.#until = state.until;
        break;
      case 'half-open':
        this.#admitted = state.admitted;
        this.#successes = state.successes;
        break;
    }
    this.#kind = state.kind;
    if (from !== state.kind) this.#emit(from, state.kind);
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

  /** Records a successful call. */
  success(permit: Permit): void {
    if (permit !== this.#epoch) return;
    if (this.#kind === 'closed') {
      this.#push(0);
      this.#judge();
    } else if (this.#kind === 'half-open') {
      this.#successes++;
      if (this.#successes >= this.options.halfOpen.successesToClose) this.#close();
    }
  }

  /** Records a failed call. */
  failure(permit: Permit): void {
    if (permit !== this.#epoch) return;
    if (this.#kind === 'closed') {
      this.#push(1);
      this.#judge();
    } else if (this.#kind === 'half-open') {
      this.#open();
    }
  }

  /** Ends a call that says nothing about the provider (the caller left); a probe's slot is handed back. */
  release(permit: Permit): void {
    if (permit !== this.#epoch) return;
    if (this.#kind === 'half-open' && this.#admitted > 0) this.#admitted--;
  }

  /**
   * Runs `fn` if the breaker admits it, else throws `BrokenCircuitError`. Outcomes are
   * judged by the predicate given at construction; a call whose caller aborted is released.
   */
  async execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    const permit = this.acquire();
    if (permit === REJECTED) throw this.#rejection();
    let value: T;
    try {
      value = await fn(ctx);
    } catch (error) {
      if (ctx.signal?.aborted || error instanceof CallerAbortedError) this.release(permit);
      else if (this.#isFailure.error ? this.#isFailure.error(error) : true) this.failure(permit);
      else this.success(permit);
      throw error;
    }
    if (this.#isFailure.result?.(value)) this.failure(permit);
    else this.success(permit);
    return value;
  }

  #rejection(): BrokenCircuitError {
    if (this.#kind === 'open') return new BrokenCircuitError('circuit breaker is open', this.#until);
    return new BrokenCircuitError('circuit breaker is half-open and all probe slots are taken');
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

  #push(failure: 0 | 1): void {
    const size = this.options.window;
    if (this.#calls === size) this.#failures -= this.#ring[this.#next]!;
    else this.#calls++;
    this.#ring[this.#next] = failure;
    this.#failures += failure;
    this.#next = (this.#next + 1) % size;
  }

  #judge(): void {
    // A success can trip the breaker too: it may be the call that reaches minimumCalls.
    // Divide rather than multiply: 3 / 10 >= 0.3 holds, 3 >= 0.3 * 10 (3.0000000000000004) does not.
    if (this.#calls >= this.options.minimumCalls && this.#failures / this.#calls >= this.options.failureRate) this.#open();
  }

  #open(): void {
    const from = this.#kind;
    this.#epoch++;
    this.#kind = 'open';
    this.#openedAt = this.#clock.now();
    this.#until = this.#openedAt + this.options.openFor;
    this.#resetWindow();
    this.#emit(from, 'open');
  }

  #close(): void {
    this.#epoch++;
    this.#kind = 'closed';
    this.#resetWindow();
    this.#emit('half-open', 'closed');
  }

  #resetWindow(): void {
    this.#next = 0;
    this.#calls = 0;
    this.#failures = 0;
  }

  #emit(from: BreakerStateKind, to: BreakerStateKind): void {
    const t: BreakerTransition = { from, to, at: this.#clock.now() };
    for (const l of this.#listeners) l(t);
  }
}

/** Throws a RangeError naming the first option out of range. */
export function validateBreakerOptions(o: BreakerOptions): void {
  for (const problem of breakerOptionProblems(o)) throw new RangeError(problem.message);
}

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function breakerOptionProblems(o: BreakerOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!(o.failureRate > 0 && o.failureRate <= 1)) out.push({ field: 'failureRate', message: `failureRate must be in (0%, 100%], got ${o.failureRate * 100}%` });
  if (!(Number.isInteger(o.window) && o.window >= 1)) out.push({ field: 'window', message: `window must be a whole number of calls ≥ 1, got ${o.window}` });
  if (!(Number.isInteger(o.minimumCalls) && o.minimumCalls >= 1)) out.push({ field: 'minimumCalls', message: `minimumCalls must be ≥ 1, got ${o.minimumCalls}` });
  else if (o.minimumCalls > o.window) out.push({ field: 'minimumCalls', message: `minimumCalls (${o.minimumCalls}) exceeds window (${o.window}): the breaker could never open` });
  if (!(o.openFor >= 0)) out.push({ field: 'openFor', message: `openFor must be ≥ 0, got ${o.openFor}` });
  if (!(Number.isInteger(o.halfOpen.probes) && o.halfOpen.probes >= 1)) out.push({ field: 'halfOpen.probes', message: `halfOpen.probes must be ≥ 1, got ${o.halfOpen.probes}` });
  if (!(Number.isInteger(o.halfOpen.successesToClose) && o.halfOpen.successesToClose >= 1)) out.push({ field: 'halfOpen.successesToClose', message: `halfOpen.successesToClose must be ≥ 1, got ${o.halfOpen.successesToClose}` });
  else if (o.halfOpen.successesToClose > o.halfOpen.probes) out.push({ field: 'halfOpen.successesToClose', message: `halfOpen.successesToClose (${o.halfOpen.successesToClose}) exceeds halfOpen.probes (${o.halfOpen.probes}): the breaker could never close` });
  return out;
}
