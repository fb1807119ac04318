/**
 * Time as a parameter. Nothing in faultline's core reads `Date.now()` or calls `setTimeout`
 * itself; it is handed a Clock, so the same policy code runs live (systemClock), in tests
 * (FakeClock) and in virtual time (the simulator drives a FakeClock).
 *
 * @example
 *   const clock = new FakeClock();
 *   const done = clock.sleep(100);
 *   clock.advance(100); // resolves `done`
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, sub-millisecond precision where the clock has it. */
  now(): number;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** `sleep` for any clock, through its `schedule`: what every Clock's own `sleep` does. */
export function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      cancel();
      reject(signal!.reason);
    };
    const cancel = clock.schedule(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// Read once: timeOrigin is fixed for the life of the process, and its getter is a call into
// native code that costs about as much as performance.now() itself (the router reads the
// clock several times per request).
const timeOrigin = performance.timeOrigin;
/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: performance.now() anchored at timeOrigin, so readings are monotonic and comparable across processes on one host. */
export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
  schedule(ms, fn) {
    // setTimeout fires at once (TimeoutOverflowWarning) beyond 2³¹−1 ms: a longer wait is chained.
    const due = performance.now() + Math.max(0, ms);
    let t: NodeJS.Timeout;
    const arm = (left: number) => {
      t = left > MAX_TIMER_MS ? setTimeout(() => arm(due - performance.now()), MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
    };
    arm(Math.max(0, ms));
    return () => clearTimeout(t);
  },
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
};

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in deadline order (ties in scheduling
 * order) and a timer scheduled by a firing timer still fires within the same `advance`
 * when it falls due.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  /**
   * Like `advance`, but lets promise continuations run between timers, so async code
   * that awaits a sleep and then schedules another one progresses as it would live.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  #nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  // A few turns of the microtask queue: enough for await chains a handful deep.
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
