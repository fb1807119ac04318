import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { parseDuration } from '../../core/units.ts';
import { duration, formatMs, type ConfigPath, type Issue } from '../schema-kit.ts';
import { CancelSource, offAbort, onAbort, type AbortListener } from './cancel.ts';
import { DeadlineQueue, type Deadline } from './deadlines.ts';
import { CallerAbortedError, DeadlineExceededError, TimeoutError } from './errors.ts';
import type { Policy, PolicyContext } from './policy.ts';

/**
 * A per-attempt deadline. The function gets a fresh AbortSignal that aborts with a
 * `TimeoutError` when the deadline passes, or with the caller's reason when the caller's
 * own signal aborts first; the call's promise rejects at that moment even if the function
 * ignores its signal (cockatiel's "aggressive" strategy), so a hung provider cannot hold a
 * request past its timeout.
 *
 * All calls through one TimeoutPolicy share one clock timer (see DeadlineQueue): a call
 * that finishes in time costs an AbortController and one small record, no timer of its own.
 *
 * @example
 *   const timeout = new TimeoutPolicy(300, clock);
 *   await timeout.execute(({ signal }) => transport.send(provider, { ...req, signal }));
 */
export class TimeoutPolicy implements Policy {
  readonly ms: number;
  readonly kind: 'attempt' | 'deadline';
  readonly #queue: DeadlineQueue;

  constructor(ms: number, clock: Clock, kind: 'attempt' | 'deadline' = 'attempt') {
    this.ms = ms;
    this.kind = kind;
    this.#queue = new DeadlineQueue(clock, ms);
  }

  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    const parent = ctx.signal;
    if (parent?.aborted) return Promise.reject(parent.reason ?? new CallerAbortedError());
    const attempt = new Attempt<T>(this.#queue, this.ms, parent, this.kind);
    const promise = new Promise<T>((resolve, reject) => {
      attempt.resolve = resolve;
      attempt.reject = reject;
    });
    this.#queue.add(attempt);
    // The attempt is its own abort listener (handleEvent): no closure per call, and no
    // EventTarget when the parent is one of ours (cancel.ts).
    if (parent) onAbort(parent, attempt);
    const inner: PolicyContext = { ...ctx, signal: attempt.source.signal };
    // A request deadline tells the policies inside it when time runs out (an outer, earlier
    // deadline stays the binding one).
    if (this.kind === 'deadline' && !(ctx.deadline !== undefined && ctx.deadline <= attempt.at)) inner.deadline = attempt.at;
    let pending: Promise<T>;
    try {
      pending = fn(inner);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => attempt.settle(true, value),
      (err: unknown) => attempt.settle(false, err),
    );
    return promise;
  }

  /** Stops the shared timer; call when the owner (a router) shuts down. */
  dispose(): void {
    this.#queue.dispose();
  }
}

/** One call under a deadline: its queue entry, abort listener and settle-once state. */
class Attempt<T> implements Deadline, AbortListener {
  at = 0;
  prev: Deadline | undefined = undefined;
  next: Deadline | undefined = undefined;
  abortPrev: AbortListener | undefined = undefined;
  abortNext: AbortListener | undefined = undefined;
  readonly source = new CancelSource();
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;
  #done = false;
  readonly #queue: DeadlineQueue;
  readonly #ms: number;
  readonly #parent: AbortSignal | undefined;
  readonly #kind: 'attempt' | 'deadline';

  constructor(queue: DeadlineQueue, ms: number, parent: AbortSignal | undefined, kind: 'attempt' | 'deadline') {
    this.#queue = queue;
    this.#ms = ms;
    this.#parent = parent;
    this.#kind = kind;
  }

  /** The deadline passed. */
  expire(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#parent) offAbort(this.#parent, this);
    const err = this.#kind === 'attempt' ? new TimeoutError(this.#ms) : new DeadlineExceededError(this.#ms);
    this.source.abort(err);
    this.reject(err);
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue.remove(this);
    const reason: unknown = this.#parent!.reason ?? new CallerAbortedError();
    this.source.abort(reason);
    this.reject(reason);
  }

  /** The call ended on its own; too late if the deadline or the caller got there first. */
  settle(ok: boolean, value: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue.remove(this);
    if (this.#parent) offAbort(this.#parent, this);
    if (ok) this.resolve(value as T);
    else this.reject(value);
  }
}

/**
 * A request's overall deadline: retries, their backoff and failover to other providers all
 * happen inside it (gRPC's deadline, Envoy's route `timeout` as opposed to its
 * `per_try_timeout`). When it passes, whatever is running is aborted and the call rejects
 * with `DeadlineExceededError`; the policies inside see `ctx.deadline` and do not start a
 * backoff that would outlive it. Like the per-attempt timeout, one shared timer per route.
 *
 * @example
 *   const deadline = new DeadlinePolicy(1_000, clock);
 *   await wrap(deadline, failoverAsPolicy).execute(fn);
 */
export class DeadlinePolicy extends TimeoutPolicy {
  constructor(ms: number, clock: Clock) {
    super(ms, clock, 'deadline');
  }
}

// ---------------------------------------------------------------------------------------
// Config: a route's `timeout` (per attempt, TimeoutPolicy) and `deadline` (the whole
// request, DeadlinePolicy) fields of a router file, and their compile step.

/** Envoy's route timeout. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** A route's two deadline fields, spliced into its schema where they stand. */
export const TimeoutFields = {
  timeout: Type.Optional(duration('Deadline per attempt, e.g. 300ms. Default 15s (Envoy).')),
  deadline: Type.Optional(duration('Deadline for the whole request: retries, backoff, failover and fallback tiers included, e.g. 1s.')),
};

/**
 * A route's `timeout` and `deadline` as written → ms, Envoy's default timeout filled. `at`
 * is the route's path: the problems are at its fields.
 */
export function compileTimeouts(r: { timeout?: string; deadline?: string }, at: ConfigPath, issue: Issue): { timeout: number; deadline?: number } {
  const timeout = r.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(r.timeout);
  if (timeout <= 0) issue([...at, 'timeout'], 'timeout must be more than 0');
  let deadline: number | undefined;
  if (r.deadline !== undefined) {
    deadline = parseDuration(r.deadline);
    if (deadline <= 0) issue([...at, 'deadline'], 'deadline must be more than 0');
    else if (r.timeout !== undefined && deadline < timeout) issue([...at, 'deadline'], `deadline (${r.deadline}) is shorter than the per-attempt timeout (${formatMs(timeout)}): the timeout could never fire`);
  }
  return { timeout, ...(deadline !== undefined && { deadline }) };
}
