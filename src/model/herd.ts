/**
 * The herd signature: what synchronised retries look like in the providers' arrivals, once
 * they are counted in bins fine enough (10 ms) that a per-second series does not average the
 * waves away. Pure functions of arrival times, defined once here because two layers read them: the SLO
 * evaluator feeds them the upstream records in an SLO's window (`peak_to_mean(...)`,
 * `periodicity(...)`, src/slo), the report the fine bins of the whole run (src/report).
 *
 * Why autocorrelation and not a spectral peak, for the waves: retries with a fixed backoff
 * arrive as narrow spikes every `backoff` ms. A spike train's power spectrum spreads over
 * every harmonic of 1/period, so the highest periodogram bin is often a harmonic (period/2,
 * period/3) rather than the period; its frequency resolution is 1/window, so the period it
 * reads is coarse at long periods; and its height scales with the bin count and variance, so
 * a threshold would depend on the run's length. The normalised autocorrelation r(k) is
 * bounded (−1…1, r(0) = 1), scale-free (a threshold such as `< 0.3` means the same at any
 * load), and peaks at the period itself, read to one bin.
 */
/**
 * Counts of `times` (ms) in whole bins of `binMs` from `start`: bin i is [start + i·binMs,
 * start + (i+1)·binMs), for the ⌊(end − start) / binMs⌋ bins that fit before `end`. A last
 * partial bin is left out: it would hold fewer arrivals and read as a dip (or, short, a peak).
 */
export function binArrivals(times: readonly number[], start: number, end: number, binMs: number): number[] {
  const n = Math.max(0, Math.floor((end - start) / binMs));
  const counts = new Array<number>(n).fill(0);
  for (const t of times) {
    const i = Math.floor((t - start) / binMs);
    if (i >= 0 && i < n) counts[i]!++;
  }
  return counts;
}

/** The largest bin over the mean bin, and which bin it was; null with no bins or no arrivals. */
export function peakToMean(counts: readonly number[]): { value: number; peakBin: number } | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length === 0 || total === 0) return null;
  let peakBin = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[peakBin]!) peakBin = i;
  return { value: (counts[peakBin]! * counts.length) / total, peakBin };
}

/** The fewest bins `periodicity` needs: lags from 2 to n/4 must hold at least one lag. */
export const MIN_PERIODICITY_BINS = 8;
/**
 * Most lag × bin products the autocorrelation may take (n · n/4 ≤ 5·10⁷: ~14,000 bins, 141 s
 * at 10 ms, well under a second here); beyond it the evaluator asks for a wider bin.
 */
export const MAX_PERIODICITY_WORK = 5e7;

export type Periodicity =
  | { ok: true; value: number; lagBins: number; flat: boolean; fromLag: number }
  | { ok: false; reason: string };

/**
 * The highest normalised autocorrelation of the bin counts over lags k from the first lag
 * at which it falls to 0 (at least 2 bins) to ⌊n/4⌋ bins, and that lag. r(k) = Σᵢ (xᵢ − x̄)(xᵢ₊ₖ − x̄) /
 * Σᵢ (xᵢ − x̄)², the standard (biased) estimator, so r(0) = 1 and |r(k)| ≤ 1.
 *  - From the first zero crossing, as autocorrelation pitch detectors search: a burst W bins
 *    wide correlates with itself at every lag below W, wave or not, and only after r has
 *    fallen to 0 can a rise again mean the burst repeats. Lag 1 is never taken.
 *  - To a quarter of the window: the period then repeats at least four times in it, and every
 *    r(k) sums at least ¾ n pairs, so a single burst echoing once is not taken for a wave.
 * Bins all equal (no variance), or r never reaching 0 within a quarter of the window (a trend,
 * no wave short enough to judge): 0, with `flat` set. On a tie the shortest lag wins (the
 * period, not its multiples).
 */
export function periodicity(counts: readonly number[]): Periodicity {
  const n = counts.length;
  if (n < MIN_PERIODICITY_BINS) return { ok: false, reason: `the window holds ${n} bin(s); periodicity needs at least ${MIN_PERIODICITY_BINS} (lags of 2 bins to a quarter of the window)` };
  const maxLag = Math.floor(n / 4);
  if (n * maxLag > MAX_PERIODICITY_WORK) return { ok: false, reason: `the window holds ${n} bins, too many for the autocorrelation (at most ~${Math.floor(Math.sqrt(4 * MAX_PERIODICITY_WORK))}): widen the bin or narrow the window` };
  const mean = counts.reduce((a, b) => a + b, 0) / n;
  const x = counts.map((c) => c - mean);
  const variance = x.reduce((a, v) => a + v * v, 0);
  if (variance === 0) return { ok: true, value: 0, lagBins: 0, flat: true, fromLag: 0 };
  const r = (k: number) => {
    let sum = 0;
    for (let i = 0; i + k < n; i++) sum += x[i]! * x[i + k]!;
    return sum / variance;
  };
  let fromLag = 1;
  while (fromLag <= maxLag && r(fromLag) > 0) fromLag++;
  fromLag = Math.max(2, fromLag);
  if (fromLag > maxLag) return { ok: true, value: 0, lagBins: 0, flat: true, fromLag };
  let best = -Infinity;
  let lagBins = fromLag;
  for (let k = fromLag; k <= maxLag; k++) {
    const rk = r(k);
    if (rk > best + 1e-12) {
      best = rk;
      lagBins = k;
    }
  }
  return { ok: true, value: best, lagBins, flat: false, fromLag };
}
