/**
 * When requests are due and which request each one is: the open model's schedule, kept pure
 * so the same seed gives the same run, and so it can be tested without a socket.
 *
 * autocannon's own rate limit sends each connection's per-second quota back to back at the
 * top of every second (a self-made thundering herd); the schedule here spreads arrivals over
 * the whole second instead, evenly or as a Poisson process.
 */
import { exponential, type Rng } from '../core/rng.ts';
import type { ExpectedStatus } from '../model/success.ts';

/** How arrivals are spaced: `uniform` every 1/rate exactly, `poisson` with exponential gaps of mean 1/rate. */
export type ArrivalKind = 'uniform' | 'poisson';

/** One entry of the request mix: what to send, and how often relative to the other entries. */
export interface RequestMix {
  /** Names the route in records and reports. */
  name: string;
  /** Relative weight (any non-negative number; the mix is normalised). */
  weight: number;
  method: string;
  /** Path (and query) appended to the target's base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  contentType?: string;
  /** Statuses that count as a success for this request (exact codes or classes like `2xx`); default 2xx and 3xx. */
  expect?: readonly ExpectedStatus[];
}

export interface ArrivalOptions {
  kind: ArrivalKind;
  /** Arrivals per second. */
  rate: number;
  durationMs: number;
  /** Required for `poisson`; `uniform` draws nothing. */
  rng?: Rng;
}

/**
 * Due times in ms since t = 0, ascending, every one < durationMs.
 * `uniform` yields exactly ceil(rate × duration / 1000) times, the first at t = 0; `poisson`
 * draws its first gap from t = 0 (a Poisson process has no arrival pinned at 0).
 *
 * @example
 *   [...arrivalTimes({ kind: 'uniform', rate: 4, durationMs: 1000 })] // [0, 250, 500, 750]
 */
export function* arrivalTimes(opts: ArrivalOptions): Generator<number, void, undefined> {
  const { kind, rate, durationMs } = opts;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`arrival rate must be a positive number, got ${rate}`);
  if (!(durationMs >= 0)) throw new RangeError(`duration must be >= 0 ms, got ${durationMs}`);
  const gap = 1000 / rate;
  if (kind === 'uniform') {
    // i × gap rather than a running sum, so float error does not accumulate over long runs.
    for (let i = 0; ; i++) {
      const t = i * gap;
      if (t >= durationMs) return;
      yield t;
    }
  }
  const rng = opts.rng;
  if (!rng) throw new TypeError('poisson arrivals need an rng');
  for (let t = exponential(rng, gap); t < durationMs; t += exponential(rng, gap)) yield t;
}

/** The name a request carries in records: its mix name, or method and path. */
export function routeName(m: RequestMix): string {
  return m.name || `${m.method.toUpperCase()} ${m.path}`;
}

/**
 * A weighted picker over the request mix, drawing from the given Rng.
 *
 * @example
 *   const pick = mixPicker([{ name: 'a', weight: 3, ... }, { name: 'b', weight: 1, ... }], seededRng(1));
 *   pick().name // 'a' about three times in four
 */
export function mixPicker(mix: readonly RequestMix[], rng: Rng): () => RequestMix {
  const cumulative = cumulativeWeights(mix);
  const total = cumulative[cumulative.length - 1]!;
  return () => {
    const x = rng.next() * total;
    // Binary search for the first cumulative weight above x; zero-weight entries are never chosen.
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return mix[lo]!;
  };
}

/**
 * A fixed cycle of `length` entries whose counts follow the weights as closely as whole numbers
 * allow (largest remainder), in a seeded shuffled order. For drivers that can only cycle
 * through a list (autocannon's `requests`), this keeps the mix exact over every cycle.
 */
export function mixCycle(mix: readonly RequestMix[], rng: Rng, length = 100): RequestMix[] {
  const cumulative = cumulativeWeights(mix);
  const total = cumulative[cumulative.length - 1]!;
  const exact = mix.map((m) => (m.weight / total) * length);
  const counts = exact.map(Math.floor);
  let missing = length - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    counts[i]!++;
    missing--;
  }
  const cycle: RequestMix[] = [];
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) cycle.push(mix[i]!);
  });
  // Fisher–Yates, so the routes interleave rather than arriving in blocks.
  for (let i = cycle.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [cycle[i], cycle[j]] = [cycle[j]!, cycle[i]!];
  }
  return cycle;
}

function cumulativeWeights(mix: readonly RequestMix[]): number[] {
  if (mix.length === 0) throw new RangeError('the request mix is empty');
  let sum = 0;
  const cumulative = mix.map((m) => {
    if (!(m.weight >= 0) || !Number.isFinite(m.weight)) {
      throw new RangeError(`request ${JSON.stringify(m.name)} has weight ${m.weight}; weights must be finite and >= 0`);
    }
    return (sum += m.weight);
  });
  if (!(sum > 0)) throw new RangeError('every request in the mix has weight 0');
  return cumulative;
}
