/**
 * How many cases a fuzz test runs: a bounded number in `npm test` (CI), more for a deeper run
 * (`npm run fuzz`, which sets FAULTLINE_FUZZ_RUNS, e.g. 10000). Seeded, so a failure
 * reproduces: fast-check prints the seed and path of the counterexample.
 *
 * @example fc.assert(fc.asyncProperty(arb, check), { numRuns: fuzzRuns(300), seed: FUZZ_SEED })
 */
export function fuzzRuns(inCi: number): number {
  const n = Number(process.env.FAULTLINE_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : inCi;
}

/** The seed of every fuzz test; FAULTLINE_FUZZ_SEED explores others. */
export const FUZZ_SEED = Number(process.env.FAULTLINE_FUZZ_SEED ?? 20261203);

/** One line a fuzz test prints at its end, the counts the issue asks for, e.g. `fuzz scenario loader: 300 documents · 0 crashes · 0 hangs · 0 invalid accepted`. */
export function fuzzReport(what: string, counts: Record<string, number>): string {
  const line = `fuzz ${what}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(' · ')}`;
  console.log(line);
  return line;
}
