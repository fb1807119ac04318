/**
 * Counters over a sliding time window, kept as a ring of buckets: Resilience4j's time-based
 * sliding window ("N partial aggregations (buckets)", subtract-on-evict, O(1) snapshots) and
 * Polly v8's rolling health metrics (the sampling duration split into windows). Used by the
 * breaker's time window, outlier detection's interval, adaptive throttling's two-minute
 * history and the load shedder's queue-delay signal.
 *
 * A bucket is `windowMs / buckets` wide and aligned on the clock (bucket i holds
 * [i·width, (i+1)·width)); the window is the current bucket and the `buckets − 1` before
 * it, so it reaches between `windowMs − width` and `windowMs` back. That granularity is the
 * price of constant memory, and why the bucket count is configurable.
 *
 * No timers: buckets are retired lazily, by whoever next reads or writes the window.
 */
export class BucketWindow {
  readonly windowMs: number;
  readonly buckets: number;
  readonly fields: number;
  readonly width: number;
  // counts[slot * fields + field]; index[slot] is the bucket number the slot holds.
  readonly #counts: Float64Array;
  readonly #index: Float64Array;
  readonly #totals: Float64Array;
  #last = -Infinity;

  constructor(windowMs: number, buckets: number, fields: number) {
    if (!(windowMs > 0)) throw new RangeError(`window must be longer than 0ms, got ${windowMs}`);
    if (!(Number.isInteger(buckets) && buckets >= 1)) throw new RangeError(`buckets must be a whole number ≥ 1, got ${buckets}`);
    this.windowMs = windowMs;
    this.buckets = buckets;
    this.fields = fields;
    this.width = windowMs / buckets;
    this.#counts = new Float64Array(buckets * fields);
    this.#index = new Float64Array(buckets).fill(-Infinity);
    this.#totals = new Float64Array(fields);
  }

  /** The bucket number clock time `now` falls in. */
  bucketOf(now: number): number {
    return Math.floor(now / this.width);
  }

  /** Adds `n` to `field` in the bucket of `now`. */
  add(now: number, field: number, n = 1): void {
    const slot = this.#advance(now);
    this.#counts[slot * this.fields + field]! += n;
    this.#totals[field]! += n;
  }

  /** The sum of `field` over the window ending at `now`. */
  total(now: number, field: number): number {
    this.#advance(now);
    return this.#totals[field]!;
  }

  /** Every field's sum over the window ending at `now`, indexed by field. A live view: read it, do not keep or write it. */
  totals(now: number): Readonly<Float64Array> {
    this.#advance(now);
    return this.#totals;
  }

  /** Forgets everything. */
  clear(): void {
    this.#counts.fill(0);
    this.#index.fill(-Infinity);
    this.#totals.fill(0);
    this.#last = -Infinity;
  }

  /** The non-empty buckets of the window ending at `now`, oldest first: `at` is the bucket's start. */
  snapshot(now: number): Array<{ at: number; counts: number[] }> {
    this.#advance(now);
    const out: Array<{ at: number; counts: number[] }> = [];
    for (let i = this.#last - this.buckets + 1; i <= this.#last; i++) {
      const slot = this.#slot(i);
      if (this.#index[slot] !== i) continue;
      const counts = Array.from(this.#counts.subarray(slot * this.fields, (slot + 1) * this.fields));
      if (counts.some((c) => c !== 0)) out.push({ at: i * this.width, counts });
    }
    return out;
  }

  /** Replaces the contents with `snapshot`'s buckets (those older than the window at `now` are dropped). */
  restore(now: number, snapshot: ReadonlyArray<{ at: number; counts: readonly number[] }>): void {
    this.clear();
    this.#advance(now);
    for (const b of snapshot) {
      // `at` is a bucket's start, i·width, which floating point may put a hair below i·width.
      const i = Math.floor(b.at / this.width + 1e-9);
      if (i > this.#last || i <= this.#last - this.buckets) continue;
      const slot = this.#slot(i);
      if (this.#index[slot] !== i) {
        this.#index[slot] = i;
        this.#counts.fill(0, slot * this.fields, (slot + 1) * this.fields);
      }
      b.counts.forEach((c, f) => {
        this.#counts[slot * this.fields + f]! += c;
        this.#totals[f]! += c;
      });
    }
  }

  #slot(i: number): number {
    return ((i % this.buckets) + this.buckets) % this.buckets;
  }

  /** Retires buckets that slid out of the window; returns the slot of the current bucket. */
  #advance(now: number): number {
    const i = this.bucketOf(now);
    // A clock that steps back (it should not) writes into the newest bucket rather than the past.
    if (i <= this.#last) return this.#slot(this.#last);
    if (i - this.#last >= this.buckets) {
      this.#counts.fill(0);
      this.#index.fill(-Infinity);
      this.#totals.fill(0);
    } else {
      for (let j = this.#last + 1; j <= i; j++) this.#evict(this.#slot(j));
    }
    this.#last = i;
    const slot = this.#slot(i);
    this.#index[slot] = i;
    return slot;
  }

  #evict(slot: number): void {
    const base = slot * this.fields;
    for (let f = 0; f < this.fields; f++) {
      this.#totals[f]! -= this.#counts[base + f]!;
      this.#counts[base + f] = 0;
    }
    this.#index[slot] = -Infinity;
  }
}
