/**
 * The baseline comparison's front door: `compareRuns` (a candidate run against a baseline,
 * per metric, worse with confidence or not), and the statistics it rests on.
 */
export { compareRuns, samplesOf, mismatches, CompareInputError, DEFAULT_CONFIDENCE, formatMs, formatP, formatPercent, formatRate, type CompareOptions } from './compare.ts';
export { fisherGreater, holm, ks2, quantileSorted } from './stats.ts';
export { latencyTests, type LatencyTestResult } from './latency.ts';
export { errorTest, type ErrorTestResult } from './errors.ts';
