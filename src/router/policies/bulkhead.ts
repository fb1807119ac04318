import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { parseDuration } from '../../core/units.ts';
import { duration, reportProblems, type ConfigPath, type Issue } from '../schema-kit.ts';
import { DeadlineQueue, type Deadline } from './deadlines.ts';
import { BulkheadRejectedError, CallerAbortedError } from './errors.ts';
import { DEFER, type Gate } from './gate.ts';
import type { Policy, PolicyContext } from './policy.ts';

/**
 * Options in Resilience4j's vocabulary (its bulkhead's config names), with the bounded queue
 * of its thread-pool bulkhead and of cockatiel's `bulkhead(limit, queue)`.
 */
export interface BulkheadOptions {
  /** Calls allowed to run at once [maxConcurrentCalls; Resilience4j default 25]. */
  maxConcurrentCalls: number;
  /** Calls that may wait for a slot when all are taken; more are rejected at once [queueCapacity; default 0]. */
  queueCapacity: number;
  /**
   * Longest wait in the queue, ms [maxWaitDuration]. Undefined: as long as the caller's
   * signal (the request's deadline, the client) allows.
   */
  maxWaitDuration?: number;
}

/** Readable state: calls running and calls waiting. */
export interface BulkheadState {
  active: number;
  queued: number;
}

export interface BulkheadHooks {
  /** A call was refused: the queue was full, or its wait ran out. */
  onRejected?: (reason: 'full' | 'queue_timeout') => void;
  /** A queued call got its slot (or gave up) after waiting `ms`: the queueing-delay signal load shedding reads. */
  onQueueWait?: (ms: number) => void;
}

/**
 * Isolates a provider (or a route) so that, when it is slow, it can tie up at most
 * `maxConcurrentCalls` of the router's in-flight requests, with a bounded queue behind them,
 * instead of all of them: one slow dependency must not sink the ship.
 *
 * A freed slot passes straight to the oldest waiter (FIFO, no barging), so a waiter cannot be
 * overtaken forever by new arrivals. The success path is a counter: no timer, no allocation;
 * queue timeouts share one clock timer per bulkhead (a DeadlineQueue), armed only while
 * someone waits.
 *
 * @example
 *   const bulkhead = new Bulkhead({ maxConcurrentCalls: 10, queueCapacity: 20, maxWaitDuration: 100 }, clock);
 *   await wrap(retry, bulkhead, breaker, timeout).execute(send);
 */
export class Bulkhead implements Policy, Gate {
  readonly options: Readonly<BulkheadOptions>;
  readonly name: string;
  readonly #clock: Clock;
  readonly #hooks: BulkheadHooks;
  readonly #timeouts: DeadlineQueue | undefined;
  #active = 0;
  // Waiters, oldest first: an intrusive list (O(1) removal on abort or timeout).
  #head: Waiter | undefined;
  #tail: Waiter | undefined;
  #queued = 0;

  constructor(options: BulkheadOptions, clock: Clock, hooks: BulkheadHooks = {}, name = 'bulkhead') {
    for (const problem of bulkheadOptionProblems(options)) throw new RangeError(problem.message);
    this.options = options;
    this.name = name;
    this.#clock = clock;
    this.#hooks = hooks;
    this.#timeouts = options.maxWaitDuration !== undefined && options.queueCapacity > 0 ? new DeadlineQueue(clock, options.maxWaitDuration) : undefined;
  }

  state(): BulkheadState {
    return { active: this.#active, queued: this.#queued };
  }

  /**
   * Takes a slot if one is free and nobody queues for it, as `execute` does first; false
   * (and nothing changed) otherwise. A true must be paired with one `exit()`. For `wrap`'s
   * fused success path.
   */
  tryEnter(): boolean {
    if (this.#active < this.options.maxConcurrentCalls && this.#queued === 0) {
      this.#active++;
      // No wait is a sample too: a queueing-delay minimum (CoDel) is only high when every call queued.
      this.#hooks.onQueueWait?.(0);
      return true;
    }
    return false;
  }

  /** Gives back the slot `tryEnter` took (to the oldest waiter, if any). */
  exit(): void {
    this.#release();
  }

  /** Gate: a free slot now, else DEFER (the call queues, or is refused, in `execute`). */
  enter(_ctx?: PolicyContext): number {
    return this.tryEnter() ? 0 : DEFER;
  }

  readonly timing = undefined;

  returned(): void {
    this.#release();
  }

  threw(): void {
    this.#release();
  }

  async execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    if (!this.tryEnter()) {
      if (this.#queued >= this.options.queueCapacity) {
        this.#hooks.onRejected?.('full');
        throw new BulkheadRejectedError('full', `${this.name}: ${this.#active} running, ${this.#queued} queued`);
      }
      // Resolves with the slot already ours (the releaser handed it over).
      await this.#wait(ctx.signal);
    }
    try {
      return await fn(ctx);
    } finally {
      this.#release();
    }
  }

  /** Stops the queue timer; waiters are left to their callers' signals. For shutdown. */
  dispose(): void {
    this.#timeouts?.dispose();
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new CallerAbortedError());
    return new Promise<void>((resolve, reject) => {
      const w = new Waiter(this, this.#clock.now(), signal, resolve, reject);
      w.prevW = this.#tail;
      if (this.#tail) this.#tail.nextW = w;
      else this.#head = w;
      this.#tail = w;
      this.#queued++;
      this.#timeouts?.add(w);
      signal?.addEventListener('abort', w, { once: true });
    });
  }

  #release(): void {
    const w = this.#head;
    if (!w) {
      this.#active--;
      return;
    }
    // Hand the slot over: `active` stays as it is.
    this.unlink(w);
    this.#hooks.onQueueWait?.(this.#clock.now() - w.since);
    w.resolve();
  }

  /** Takes a waiter out of the queue (its turn came, it timed out or its caller left). Internal. */
  unlink(w: Waiter): void {
    if (w.prevW) w.prevW.nextW = w.nextW;
    else if (this.#head === w) this.#head = w.nextW;
    else return;
    if (w.nextW) w.nextW.prevW = w.prevW;
    else this.#tail = w.prevW;
    w.prevW = w.nextW = undefined;
    this.#queued--;
    this.#timeouts?.remove(w);
    w.signal?.removeEventListener('abort', w);
  }

  /** A waiter's time ran out. Internal. */
  timedOut(w: Waiter): void {
    this.unlink(w);
    this.#hooks.onQueueWait?.(this.#clock.now() - w.since);
    this.#hooks.onRejected?.('queue_timeout');
    w.reject(new BulkheadRejectedError('queue_timeout', `${this.name}: no slot within ${this.options.maxWaitDuration}ms`));
  }
}

/** One call waiting for a slot: its queue links, its deadline entry and its abort listener. */
class Waiter implements Deadline {
  at = 0;
  prev: Deadline | undefined = undefined;
  next: Deadline | undefined = undefined;
  prevW: Waiter | undefined = undefined;
  nextW: Waiter | undefined = undefined;
  readonly bulkhead: Bulkhead;
  readonly since: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;

  constructor(bulkhead: Bulkhead, since: number, signal: AbortSignal | undefined, resolve: () => void, reject: (reason: unknown) => void) {
    this.bulkhead = bulkhead;
    this.since = since;
    this.signal = signal;
    this.resolve = resolve;
    this.reject = reject;
  }

  expire(): void {
    this.bulkhead.timedOut(this);
  }

  /** The caller's signal aborted while waiting. */
  handleEvent(): void {
    this.bulkhead.unlink(this);
    this.reject(this.signal?.reason ?? new CallerAbortedError());
  }
}

// ---------------------------------------------------------------------------------------
// Config: the options' checks (the constructor throws on them, the config reports them at
// their lines), the `bulkhead` section of a router file, and its compile step.

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function bulkheadOptionProblems(o: BulkheadOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!(Number.isInteger(o.maxConcurrentCalls) && o.maxConcurrentCalls >= 1)) out.push({ field: 'maxConcurrentCalls', message: `maxConcurrentCalls must be a whole number ≥ 1, got ${o.maxConcurrentCalls}` });
  if (!(Number.isInteger(o.queueCapacity) && o.queueCapacity >= 0)) out.push({ field: 'queueCapacity', message: `queueCapacity must be a whole number ≥ 0, got ${o.queueCapacity}` });
  if (o.maxWaitDuration !== undefined && !(o.maxWaitDuration >= 0)) out.push({ field: 'maxWaitDuration', message: `maxWaitDuration must be ≥ 0, got ${o.maxWaitDuration}` });
  return out;
}

export const BulkheadSchema = Type.Object(
  {
    maxConcurrentCalls: Type.Integer({ minimum: 1, description: 'Calls running at once (Resilience4j maxConcurrentCalls).' }),
    queueCapacity: Type.Optional(Type.Integer({ minimum: 0, description: 'Calls that may wait for a slot; more are refused at once. Default 0.' })),
    maxWaitDuration: Type.Optional(duration('Longest wait for a slot, e.g. 100ms. Default: as long as the request\'s deadline allows.')),
  },
  { additionalProperties: false, description: 'A bulkhead: at most this many calls at once, with a bounded queue.' },
);
export type BulkheadFile = Type.Static<typeof BulkheadSchema>;

/** `bulkhead` as written (a provider's or a route's) → options; undefined when they would not construct. */
export function compileBulkhead(b: BulkheadFile, at: ConfigPath, issue: Issue): BulkheadOptions | undefined {
  const options: BulkheadOptions = {
    maxConcurrentCalls: b.maxConcurrentCalls,
    queueCapacity: b.queueCapacity ?? 0,
    ...(b.maxWaitDuration !== undefined && { maxWaitDuration: parseDuration(b.maxWaitDuration) }),
  };
  return reportProblems(issue, at, bulkheadOptionProblems(options)) ? options : undefined;
}
