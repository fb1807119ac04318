/**
 * Standard normal draws for the Brooker study's network delays, by the ziggurat method
 * (Marsaglia & Tsang 2000, in Doornik's 2005 "ZIGNOR" form with 128 layers): one uniform per
 * draw in about 98.8 % of cases, against two and a logarithm for Box–Muller or the polar method.
 * The network takes four draws per simulated call, so this is most of the study's cost.
 *
 * Exact, not an approximation: the rectangle test accepts only points under the density, the
 * wedges are resolved against the density itself, and the tail beyond R by Marsaglia's
 * exponential method. The layer index and the position in the layer come from disjoint bits
 * of one 53-bit uniform (the top 7 bits, and the 46 below them), so they are independent;
 * Doornik's warning is against reusing the same bits for both.
 */
import type { Rng } from '../../core/rng.ts';




const LAYERS = 128;
/** The start of the tail, and the area of each layer, for 128 layers (Doornik 2005). */
const R = 3.442619855899;
const V = 9.91256303526217e-3;

/** X[i]: the right edge of layer i (X[0] is the base layer's width V / f(R); X[LAYERS] = 0). */
const X = new Float64Array(LAYERS + 1);
/** X[i + 1] / X[i]: below it, a point of layer i is inside the density for sure. */
const INNER = new Float64Array(LAYERS);
{
  let f = Math.exp(-0.5 * R * R);
  X[0] = V / f;
  X[1] = R;
  X[LAYERS] = 0;
  for (let i = 2; i < LAYERS; i++) {
    X[i] = Math.sqrt(-2 * Math.log(V / X[i - 1]! + f));
    f = Math.exp(-0.5 * X[i]! * X[i]!);
  }
  for (let i = 0; i < LAYERS; i++) INNER[i] = X[i + 1]! / X[i]!;
}

/** A standard normal draw from `rng`. */
export function standardNormal(rng: Rng): number {
  for (;;) {
    const w = rng.next() * LAYERS; // exact: a power of two
    const i = w | 0;
    const u = 2 * (w - i) - 1; // uniform in [-1, 1), from the 46 bits below the layer index
    const xi = X[i]!;
    if (Math.abs(u) < INNER[i]!) return u * xi;
    if (i === 0) return tail(rng, u < 0);
    const x = u * xi;
    const xn = X[i + 1]!;
    const f0 = Math.exp(-0.5 * (xi * xi - x * x));
    const f1 = Math.exp(-0.5 * (xn * xn - x * x));
    if (f1 + rng.next() * (f0 - f1) < 1) return x;
  }
}

/** Beyond ±R (Marsaglia 1964): x = −ln(U₁)/R, accepted when −2 ln U₂ > x². */
function tail(rng: Rng, negative: boolean): number {
  let x: number;
  let y: number;
  do {
    x = Math.log(1 - rng.next()) / R; // 1 − U is in (0, 1]: no log(0)
    y = Math.log(1 - rng.next());
  } while (-2 * y < x * x);
  return negative ? x - R : R - x;
}
