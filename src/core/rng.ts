import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * Randomness as a parameter: every jitter, error draw and arrival time comes from an Rng
 * handed in, so a run with the same seed makes the same choices.
 */
export interface Rng {
  /** A float uniform in [0, 1). */
  next(): number;
}

/** A seeded generator (xoroshiro128+ from pure-rand, the generator fast-check uses). */
export function seededRng(seed: number): Rng {
  // Small seeds (1, 2, 42) leave xoroshiro's state nearly all zero bits and its first
  // outputs far from uniform; a splitmix-style scramble of the seed and a short warm-up fix that.
  const gen = xoroshiro128plus(scramble((seed | 0) ^ 0x9e3779b9));
  for (let i = 0; i < 8; i++) gen.next();
  return {
    next() {
      // Two 32-bit draws make a 53-bit float, the full precision of a double in [0, 1).
      const hi = (gen.next() >>> 0) >>> 5; // 27 bits
      const lo = (gen.next() >>> 0) >>> 6; // 26 bits
      return (hi * 67108864 + lo) / 9007199254740992;
    },
  };
}

function scramble(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** Derives an independent stream for a named consumer, so adding one consumer does not shift another's draws. */
export function forkRng(seed: number, name: string): Rng {
  let h = seed | 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1);
  return seededRng(h ^ (h >>> 16));
}

/** An exponential draw with the given mean: the gap between Poisson arrivals. */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}
