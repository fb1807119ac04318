/**
 * The latency tests: whether the candidate's tail quantile (p99) is higher than the
 * baseline's, and whether its distribution is shifted up anywhere (one-sided KS D⁺), each by
 * a permutation of blocks of time.
 *
 * Why blocks: requests of one run are not independent. A GC pause, a breaker that opens, a
 * queue that fills, slow the requests of the same second together, so a test that treats
 * 6000 requests as 6000 independent draws (Mann–Whitney, the textbook KS p-value) takes two
 * runs of the same build for different ones far more often than it says. The unit exchanged
 * here is a block of `blockMs` of due time: the assumption is that requests in different
 * blocks are independent given the schedule, and that within a block anything goes.
 *
 * Why paired: a chaos run has a schedule — a fault from 20 s to 30 s — so second 25 of a run
 * is not exchangeable with second 5 of the other. When both runs cover the same blocks, block
 * t of the baseline is swapped with block t of the candidate (each with probability ½): under
 * "the candidate is the same system", the two runs' block t have the same distribution, so the
 * swap leaves the joint law unchanged, and the permutation p-value is exact (by enumeration
 * when 2^blocks is small, else by Monte Carlo with the (1 + k)/(1 + N) estimate, which stays
 * valid). Runs of different lengths fall back to exchanging blocks freely, which also assumes
 * the blocks of a run are alike over time (stated in the verdict).
 *
 * Both statistics are computed from counts over the pooled latencies' ranks, so a draw costs
 * one pass over the requests that moved and one over the distinct values.
 */
import type { Rng } from '../core/rng.ts';
import { quantileRank } from './stats.ts';

/** One run's requests as (rank of latency, block) pairs, grouped by block. */
interface Blocked {
  /** Requests' latency ranks, block after block. */
  ranks: Int32Array;
  /** `ranks[start[t] .. start[t + 1])` are block t's. */
  start: Int32Array;
}

export interface LatencyTestInput {
  baseline: { due: ArrayLike<number>; latency: ArrayLike<number> };
  candidate: { due: ArrayLike<number>; latency: ArrayLike<number> };
  blockMs: number;
  /** The tail quantile tested, e.g. 0.99. */
  quantile: number;
  /** Monte Carlo draws when the blocks are too many to enumerate. */
  draws: number;
  /** Bootstrap resamples for the quantile difference's interval. */
  resamples: number;
  /** Two-sided level of the interval, e.g. 0.99. */
  confidence: number;
  rng: Rng;
}

export interface LatencyTestResult {
  paired: boolean;
  blocks: number;
  /** Exact enumeration of all 2^blocks swaps (paired, few blocks), or Monte Carlo. */
  exact: boolean;
  draws: number;
  quantile: { baseline: number; candidate: number; delta: number; pWorse: number; pBetter: number; interval: [number, number] };
  ks: { dPlus: number; dMinus: number; pWorse: number; pBetter: number };
}

/** Most enumerations: 2^14 draws of a few thousand requests is still well under a second. */
const MAX_ENUMERATED_BLOCKS = 14;

export function latencyTests(input: LatencyTestInput): LatencyTestResult {
  const { blockMs, quantile, rng } = input;
  const nb = input.baseline.latency.length;
  const nc = input.candidate.latency.length;
  if (nb === 0 || nc === 0) throw new RangeError('a latency test needs requests on both sides');
  // Ranks over the pooled distinct latencies: the statistics need only order, not values.
  const pooled = new Float64Array(nb + nc);
  pooled.set(Float64Array.from(input.baseline.latency), 0);
  pooled.set(Float64Array.from(input.candidate.latency), nb);
  const values = uniqueSorted(pooled);
  const rankOf = (v: number) => lowerBound(values, v);
  const blocksOf = (d: ArrayLike<number>) => {
    let last = -Infinity;
    for (let i = 0; i < d.length; i++) if (d[i] > last) last = d[i];
    return d.length ? Math.floor(last / blockMs) + 1 : 0;
  };
  const tb = blocksOf(input.baseline.due);
  const tc = blocksOf(input.candidate.due);
  const T = Math.max(tb, tc);
  // The same schedule: paired swaps. A run a block longer (its last request due just past the edge) still pairs.
  const paired = Math.abs(tb - tc) <= 1;
  const B = group(input.baseline, T, blockMs, rankOf);
  const C = group(input.candidate, T, blockMs, rankOf);
  const U = values.length;

  const countsOf = (g: Blocked) => {
    const c = new Int32Array(U);
    for (const r of g.ranks) c[r]++;
    return c;
  };
  const baseCounts = countsOf(B);
  const candCounts = countsOf(C);
  const total = new Int32Array(U);
  for (let u = 0; u < U; u++) total[u] = baseCounts[u] + candCounts[u];
  const N = nb + nc;

  /** The statistics with `side` the baseline's counts (and n) and the rest the candidate's. */
  const stats = (side: Int32Array, nSide: number) => {
    const nOther = N - nSide;
    const qa = quantileRank(nSide, quantile) + 1;
    const qb = quantileRank(nOther, quantile) + 1;
    let ca = 0;
    let cb = 0;
    let dPlus = 0;
    let dMinus = 0;
    let va = -1;
    let vb = -1;
    for (let u = 0; u < U; u++) {
      ca += side[u];
      cb += total[u] - side[u];
      const diff = ca / nSide - cb / nOther;
      if (diff > dPlus) dPlus = diff;
      else if (-diff > dMinus) dMinus = -diff;
      if (va < 0 && ca >= qa) va = u;
      if (vb < 0 && cb >= qb) vb = u;
    }
    return { dPlus, dMinus, delta: values[vb] - values[va] };
  };

  const observed = stats(baseCounts, nb);
  const work = new Int32Array(U);
  let geDelta = 0;
  let leDelta = 0;
  let geD = 0;
  let geDMinus = 0;
  const tol = 1e-9;
  const tally = (s: ReturnType<typeof stats>) => {
    if (s.delta >= observed.delta - tol) geDelta++;
    if (s.delta <= observed.delta + tol) leDelta++;
    if (s.dPlus >= observed.dPlus - tol) geD++;
    if (s.dMinus >= observed.dMinus - tol) geDMinus++;
  };
  const degenerate = () => {
    geDelta++;
    leDelta++;
    geD++;
    geDMinus++;
  };
  /** One draw: `swap(t)` says whether block t (paired) moves to the other side. */
  const pairedDraw = (swap: (t: number) => boolean) => {
    work.set(baseCounts);
    let n = nb;
    for (let t = 0; t < T; t++) {
      if (!swap(t)) continue;
      for (let k = B.start[t]; k < B.start[t + 1]; k++) work[B.ranks[k]]--;
      for (let k = C.start[t]; k < C.start[t + 1]; k++) work[C.ranks[k]]++;
      n += C.start[t + 1] - C.start[t] - (B.start[t + 1] - B.start[t]);
    }
    // A draw that left one side empty has no statistic: count it as at least as extreme as
    // what was observed, which can only raise the p-value (the cautious side).
    if (n === 0 || n === N) return degenerate();
    tally(stats(work, n));
  };

  let exact = false;
  let draws = input.draws;
  if (paired) {
    if (T <= MAX_ENUMERATED_BLOCKS && 2 ** T <= Math.max(input.draws, 1024)) {
      exact = true;
      draws = 2 ** T;
      for (let mask = 0; mask < draws; mask++) pairedDraw((t) => ((mask >>> t) & 1) === 1);
    } else {
      for (let i = 0; i < draws; i++) pairedDraw(() => rng.next() < 0.5);
    }
  } else {
    // Free exchange: all blocks of both runs in one pool, tb of them dealt to the baseline.
    const units: [Blocked, number][] = [];
    for (let t = 0; t < T; t++) {
      if (B.start[t + 1] > B.start[t]) units.push([B, t]);
      if (C.start[t + 1] > C.start[t]) units.push([C, t]);
    }
    const nBaseUnits = units.filter(([g]) => g === B).length;
    for (let i = 0; i < draws; i++) {
      shuffle(units, rng);
      work.fill(0);
      let n = 0;
      for (let k = 0; k < nBaseUnits; k++) {
        const [g, t] = units[k];
        for (let j = g.start[t]; j < g.start[t + 1]; j++) work[g.ranks[j]]++;
        n += g.start[t + 1] - g.start[t];
      }
      if (n === 0 || n === N) {
        degenerate();
        continue;
      }
      tally(stats(work, n));
    }
  }
  // Enumeration includes the identity (the observed split), so k/N; Monte Carlo adds it: (1 + k)/(1 + N).
  const p = (k: number) => (exact ? k / draws : (1 + k) / (1 + draws));
  const interval = bootstrapInterval(B, C, T, paired, values, quantile, input.resamples, input.confidence, rng);
  const quantiles = { baseline: values[nthRank(baseCounts, quantileRank(nb, quantile))], candidate: values[nthRank(candCounts, quantileRank(nc, quantile))] };
  return {
    paired,
    blocks: T,
    exact,
    draws,
    quantile: { ...quantiles, delta: quantiles.candidate - quantiles.baseline, pWorse: p(geDelta), pBetter: p(leDelta), interval },
    ks: { dPlus: observed.dPlus, dMinus: observed.dMinus, pWorse: p(geD), pBetter: p(geDMinus) },
  };
}

/**
 * A percentile interval for the quantile difference by block bootstrap: blocks drawn with
 * replacement — the same block numbers on both sides when paired, so the schedule (a fault's
 * seconds) weighs the same in both resamples — the quantile of each side recomputed.
 */
function bootstrapInterval(B: Blocked, C: Blocked, T: number, paired: boolean, values: Float64Array, q: number, resamples: number, confidence: number, rng: Rng): [number, number] {
  const U = values.length;
  const cb = new Int32Array(U);
  const cc = new Int32Array(U);
  const deltas: number[] = [];
  const nonEmpty = (g: Blocked) => Array.from({ length: T }, (_, t) => t).filter((t) => g.start[t + 1] > g.start[t]);
  const ub = nonEmpty(B);
  const uc = nonEmpty(C);
  if (ub.length === 0 || uc.length === 0) return [NaN, NaN];
  for (let r = 0; r < resamples; r++) {
    cb.fill(0);
    cc.fill(0);
    let nb = 0;
    let nc = 0;
    const add = (g: Blocked, t: number, counts: Int32Array) => {
      for (let k = g.start[t]; k < g.start[t + 1]; k++) counts[g.ranks[k]]++;
      return g.start[t + 1] - g.start[t];
    };
    if (paired) {
      for (let i = 0; i < T; i++) {
        const t = Math.floor(rng.next() * T);
        nb += add(B, t, cb);
        nc += add(C, t, cc);
      }
    } else {
      for (let i = 0; i < ub.length; i++) nb += add(B, ub[Math.floor(rng.next() * ub.length)], cb);
      for (let i = 0; i < uc.length; i++) nc += add(C, uc[Math.floor(rng.next() * uc.length)], cc);
    }
    if (nb === 0 || nc === 0) continue;
    deltas.push(values[nthRank(cc, quantileRank(nc, q))] - values[nthRank(cb, quantileRank(nb, q))]);
  }
  if (deltas.length === 0) return [NaN, NaN];
  deltas.sort((a, b) => a - b);
  const alpha = 1 - confidence;
  const at = (p: number) => deltas[Math.min(deltas.length - 1, Math.max(0, Math.floor(p * deltas.length)))];
  return [at(alpha / 2), at(1 - alpha / 2)];
}

/** The index u holding the k-th (0-based) value of the multiset given by counts. */
function nthRank(counts: Int32Array, k: number): number {
  let c = 0;
  for (let u = 0; u < counts.length; u++) {
    c += counts[u];
    if (c > k) return u;
  }
  return counts.length - 1;
}

function group(s: { due: ArrayLike<number>; latency: ArrayLike<number> }, T: number, blockMs: number, rankOf: (v: number) => number): Blocked {
  const n = s.latency.length;
  const sizes = new Int32Array(T + 1);
  const blockOf = (i: number) => Math.min(T - 1, Math.floor(s.due[i] / blockMs));
  for (let i = 0; i < n; i++) sizes[blockOf(i) + 1]++;
  const start = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) start[t + 1] = start[t] + sizes[t + 1];
  const fill = start.slice();
  const ranks = new Int32Array(n);
  for (let i = 0; i < n; i++) ranks[fill[blockOf(i)]++] = rankOf(s.latency[i]);
  return { ranks, start };
}

function uniqueSorted(a: Float64Array): Float64Array {
  const s = a.slice().sort();
  let w = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[w - 1]) s[w++] = s[i];
  return s.slice(0, w);
}

function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function shuffle<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}
