/**
 * The error-rate test: is the candidate's share of failed requests higher than the
 * baseline's? Fisher's exact test, one-sided, because the rates compared are near zero
 * (0.1 % against 0.5 %: 6 failures against 30 in a minute at 100/s), where a normal
 * approximation's p-value is wrong by orders of magnitude.
 *
 * Fisher's test takes every request as an independent draw. Failures in a run cluster (a
 * breaker opens, a connection drops and takes its in-flight requests with it), which makes
 * the counts vary more than binomially between two runs of the same system, and the plain
 * test too quick to call a difference. The counts are therefore first divided by a design
 * effect (Rao & Scott, 1992): the dispersion φ of the per-block failure counts around the
 * rate the two runs share in that block (Pearson's X² over the blocks with a failure, divided
 * by their number; 1 for independent requests), floored at 1 so that it only ever makes the
 * test more cautious. With sparse failures (at most a few in a block) φ reflects only the
 * clustering within blocks, not a difference between the runs; with dense ones a real
 * difference also raises it, which costs power, never confidence.
 */
import { fisherGreater } from './stats.ts';

export interface ErrorTestInput {
  baseline: { due: ArrayLike<number>; failed: ArrayLike<number> };
  candidate: { due: ArrayLike<number>; failed: ArrayLike<number> };
  blockMs: number;
}

export interface ErrorTestResult {
  baseline: { failed: number; n: number; rate: number };
  candidate: { failed: number; n: number; rate: number };
  /** The design effect the counts were divided by (≥ 1). */
  designEffect: number;
  /** Blocks with at least one failure, on which the design effect rests. */
  blocksWithFailures: number;
  /** The table Fisher's test saw, after the design effect: candidate (failed, ok), baseline (failed, ok). */
  table: [[number, number], [number, number]];
  pWorse: number;
  pBetter: number;
}

export function errorTest(input: ErrorTestInput): ErrorTestResult {
  const { blockMs } = input;
  const count = (s: ErrorTestInput['baseline']) => {
    let failed = 0;
    for (let i = 0; i < s.failed.length; i++) failed += s.failed[i] ? 1 : 0;
    return { failed, n: s.failed.length, rate: s.failed.length ? failed / s.failed.length : 0 };
  };
  const b = count(input.baseline);
  const c = count(input.candidate);
  const perBlock = (s: ErrorTestInput['baseline']) => {
    const m = new Map<number, { x: number; n: number }>();
    for (let i = 0; i < s.failed.length; i++) {
      const t = Math.floor(s.due[i] / blockMs);
      const cell = m.get(t) ?? { x: 0, n: 0 };
      cell.n++;
      cell.x += s.failed[i] ? 1 : 0;
      m.set(t, cell);
    }
    return m;
  };
  const bb = perBlock(input.baseline);
  const cc = perBlock(input.candidate);
  let x2 = 0;
  let blocks = 0;
  for (const t of new Set([...bb.keys(), ...cc.keys()])) {
    const cells = [bb.get(t) ?? { x: 0, n: 0 }, cc.get(t) ?? { x: 0, n: 0 }].filter((cell) => cell.n > 0);
    const x = cells.reduce((s, cell) => s + cell.x, 0);
    const n = cells.reduce((s, cell) => s + cell.n, 0);
    const p = x / n;
    // A block where nothing (or everything) failed carries no information on dispersion.
    if (cells.length < 2 || p === 0 || p === 1) continue;
    blocks++;
    for (const cell of cells) x2 += (cell.x - cell.n * p) ** 2 / (cell.n * p * (1 - p));
  }
  const designEffect = blocks > 0 ? Math.max(1, x2 / blocks) : 1;
  const shrink = (v: number) => Math.round(v / designEffect);
  const cf = shrink(c.failed);
  const cn = Math.max(cf, shrink(c.n));
  const bf = shrink(b.failed);
  const bn = Math.max(bf, shrink(b.n));
  const table: ErrorTestResult['table'] = [
    [cf, cn - cf],
    [bf, bn - bf],
  ];
  return {
    baseline: b,
    candidate: c,
    designEffect,
    blocksWithFailures: blocks,
    table,
    pWorse: fisherGreater(cf, cn - cf, bf, bn - bf),
    pBetter: fisherGreater(bf, bn - bf, cf, cn - cf),
  };
}
