/**
 * The simulator's clock and event queue: virtual time that moves from one scheduled event to
 * the next, and between two events lets every promise continuation run, so async code (the
 * router's `handle`, which awaits its policies and the transport) progresses exactly as it
 * would between two timers live — without a real timer.
 *
 * Why not `FakeClock.advanceAsync` (src/core/clock.ts): it scans every pending timer to find
 * the next (O(n) per event: a retry storm keeps thousands pending), and it flushes 20 turns
 * of the microtask queue, which an await chain deeper than that (MSW's handler run, the
 * router's pipeline) outlives, so its continuations would run at the wrong virtual time.
 * Here the queue is a binary heap (O(log n)), and after each event the loop waits for an
 * immediate: Node runs the whole microtask (and nextTick) queue before the next immediate,
 * however deep the chains, so "settled" is exact, not a guess (and it waits again while the
 * settled code left an immediate of its own pending). The immediates are queued 64 at a time
 * (`Settler`): Node drains both queues between two immediates of one turn too, so one turn of
 * the event loop serves up to 64 events instead of one (an event that only settles a promise:
 * about 3 µs, from 5, on this box under load). The whole loop's cost is measured in
 * bench/sim-router.ts. Real timers (`setTimeout`) are not
 * waited for: nothing on a simulated path may use one (the router, the providers' stage and
 * the fault kinds take the Clock).
 *
 * Deterministic: events fire in (time, scheduling order); nothing reads the real clock.
 */
import { sleepWith, type Clock } from '../core/clock.ts';

interface Event {
  at: number;
  seq: number;
  fn: (() => void) | null;
}

/** Bound on the rounds of `settle`: code that re-arms an immediate forever must not hang the run. */
const MAX_SETTLE_ROUNDS = 64;
/** Immediates queued at a time: up to this many events fire per turn of the event loop. */
const BATCH = 64;

/**
 * "Settled": Node has drained the microtask and nextTick queues, and run any immediate the
 * settled code queued in turn (a fault's body stream errors one `setImmediate` after its
 * head, src/model/faults/http-stage.ts).
 *
 * Node drains both queues completely between two immediates of one turn, so each of a batch
 * of immediates queued together marks one settled point: the loop fires one event per
 * immediate, `BATCH` per turn of the event loop, instead of one turn (timers, poll, check)
 * per event. An immediate the settled code queues runs in the next turn, after the batch:
 * when one is pending (more immediates active than ours), the rest of the batch is dropped
 * and a fresh one queued behind it, as often as it takes (at most MAX_SETTLE_ROUNDS).
 */
class Settler {
  #waiting: (() => void) | null = null;
  #ours: NodeJS.Immediate[] = [];
  /** How many of `#ours` have fired. */
  #fired = 0;
  #rounds = 0;
  readonly #fire = () => {
    this.#fired++;
    const resolve = this.#waiting;
    if (!resolve) return; // a spare: nothing fired since the last
    if (this.#rounds < MAX_SETTLE_ROUNDS && this.#othersPending()) {
      this.#rounds++;
      this.#queue(1);
      return;
    }
    this.#waiting = null;
    resolve();
  };

  settle(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#rounds = 0;
      if (this.#fired >= this.#ours.length) this.#queue(BATCH);
    });
  }

  /** Drops the immediates still queued (the run is over). */
  release(): void {
    for (let i = this.#fired; i < this.#ours.length; i++) clearImmediate(this.#ours[i]);
    this.#ours = [];
    this.#fired = 0;
  }

  #queue(n: number): void {
    this.release();
    // All but the last unreferenced: they are not listed among the process's active
    // resources (so the check below reads a short list), and the last keeps the loop alive
    // until the batch has run (one turn runs every immediate queued before it, in order).
    for (let i = 0; i < n; i++) {
      const imm = setImmediate(this.#fire);
      if (i < n - 1) imm.unref();
      this.#ours.push(imm);
    }
  }

  /** An immediate queued by someone else is pending: more referenced ones active than our last (while it has not fired). */
  #othersPending(): boolean {
    let active = 0;
    for (const r of process.getActiveResourcesInfo()) if (r === 'Immediate') active++;
    return active > (this.#fired < this.#ours.length ? 1 : 0);
  }
}

export class SimClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Event[] = [];
  #live = 0;
  readonly #settler = new Settler();
  /** Events fired so far (cancelled ones not counted). */
  events = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Events scheduled and not yet fired or cancelled. */
  get pending(): number {
    return this.#live;
  }

  schedule(ms: number, fn: () => void): () => void {
    const ev: Event = { at: this.#now + (ms > 0 ? ms : 0), seq: this.#seq++, fn };
    this.#push(ev);
    this.#live++;
    return () => {
      if (ev.fn === null) return;
      ev.fn = null;
      this.#live--;
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** When the next live event is due; undefined when none is. */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /**
   * Fires every event due by `limit` (epoch ms on this clock), in order, settling the
   * microtask queue after each, then sets the time to `limit`. `until`, when given, is asked
   * after each event and stops the run early (the time stays at that event's).
   */
  async runUntil(limit: number, until?: () => boolean): Promise<void> {
    try {
      await this.#runUntil(limit, until);
    } finally {
      this.#settler.release();
    }
  }

  async #runUntil(limit: number, until?: () => boolean): Promise<void> {
    const settler = this.#settler;
    await settler.settle();
    for (;;) {
      if (until?.()) return;
      this.#dropCancelled();
      const top = this.#heap[0];
      if (top === undefined || top.at > limit) break;
      this.#pop();
      const fn = top.fn!;
      top.fn = null;
      this.#live--;
      this.#now = top.at;
      this.events++;
      fn();
      await settler.settle();
    }
    if (limit > this.#now) this.#now = limit;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.fn === null) this.#pop();
  }

  #less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(ev: Event): void {
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
