/**
 * The SLO language: parse (grammar in parse.ts), type-check, resolve windows, evaluate.
 *
 * @example
 *   const v = evaluateSlo({ name: 'availability', expr: 'availability >= 99.5%', window: { kind: 'run' } }, data);
 *   if (!v.passed) console.log(v.message);
 */
export type { BinaryNode, BuiltinMetricName, Comparator, LabelMatcher, LatencyNode, LatencyStat, LiteralUnit, MetricNode, NegateNode, NumberNode, RequestMetricName, RouterMetricNode, SloExpr, Span, ValueExpr } from './ast.ts';
export { printSlo, printValue, valueNodes } from './ast.ts';
export type { ParseResult } from './parse.ts';
export { parseSlo, parseSloSyntax } from './parse.ts';
export type { SloError } from './check.ts';
export { kindOf, validateSlo, verdictUnit } from './check.ts';
export type { QuantityKind } from './metrics.ts';
export { BUILTIN_METRICS } from './metrics.ts';
export type { SloWindow } from '../model/window.ts';
export type { WindowRange } from './window.ts';
export { describeWindow, inWindow, resolveWindow, whyNoWindow } from './window.ts';
export type { LatencyDistribution } from './latency.ts';
export { latencyDistribution, latencyOf, summarizeLatency } from './latency.ts';
export type { SloSpec } from './evaluate.ts';
export { evaluateSlo, evaluateSlos } from './evaluate.ts';
export type { RecoveryCriteria, RecoveryOptions, RecoveryOutcome, RecoverySeries, SecondStats } from './recovery.ts';
export { analyzeRecovery, perSecond, RECOVERY_DEFAULTS, secondStats, triggerWindow } from './recovery.ts';
export { binArrivals, finestHerdBin, peakToMean, periodicity } from './herd.ts';
export type { AbortableSlo, Breach } from './abort.ts';
export { abortingSlos, dataSoFar, findBreach } from './abort.ts';
