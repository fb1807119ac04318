import type { Clock } from '../../core/clock.ts';

/**
 * One pending deadline, linked into its queue (an intrusive list, so removing a finished
 * call is O(1) and the call's state can be garbage-collected at once).
 */
export interface Deadline {
  at: number;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  /** Called once, when the deadline passes before the entry was removed. */
  expire(): void;
}

/**
 * Deadlines of one fixed duration, behind a single clock timer.
 *
 * Every entry has the same duration and the clock only moves forward, so deadlines arrive
 * in order and the queue is a FIFO. One timer is armed for the oldest deadline; a call that
 * finishes in time unlinks its entry (no clearTimeout, no new timer). When the timer fires
 * it expires the due entries and re-arms for the oldest call still running. Under steady
 * fast traffic that is about one timer firing per timeout period, whatever the request rate.
 */
export class DeadlineQueue {
  readonly #clock: Clock;
  readonly #ms: number;
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #size = 0;
  #cancelTimer: (() => void) | undefined;
  #firing = false;

  constructor(clock: Clock, ms: number) {
    this.#clock = clock;
    this.#ms = ms;
  }

  /** Registers `entry`, due `ms` from now; sets `entry.at`. */
  add(entry: Deadline): void {
    entry.at = this.#clock.now() + this.#ms;
    entry.next = undefined;
    entry.prev = this.#tail;
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    this.#size++;
    // A timer already armed is due no later than this entry (FIFO), so it covers it.
    if (!this.#cancelTimer && !this.#firing) this.#arm(entry.at);
  }

  /** Removes a finished entry; it will not expire. Idempotent. */
  remove(entry: Deadline): void {
    if (entry.prev) entry.prev.next = entry.next;
    else if (this.#head === entry) this.#head = entry.next;
    else return; // not linked
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = entry.next = undefined;
    this.#size--;
  }

  /** Entries still waiting. */
  get size(): number {
    return this.#size;
  }

  /** Cancels the timer and forgets every entry; none will expire. For shutdown. */
  dispose(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    while (this.#head) this.remove(this.#head);
  }

  #arm(at: number): void {
    this.#cancelTimer = this.#clock.schedule(at - this.#clock.now(), this.#fire);
  }

  readonly #fire = (): void => {
    this.#cancelTimer = undefined;
    this.#firing = true;
    const now = this.#clock.now();
    // The timer may find its entry gone (finished in time): it then just re-arms for the new head.
    for (let e = this.#head; e && e.at <= now; e = this.#head) {
      this.remove(e);
      e.expire();
    }
    this.#firing = false;
    if (this.#head) this.#arm(this.#head.at);
  };
}
