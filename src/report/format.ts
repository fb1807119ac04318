/**
 * How the reporters word and format a run: one place, so the summary on stdout, the HTML page
 * and junit.xml say the same thing about the same SLO.
 */
import { formatDuration } from '../core/units.ts';
import type { RunResult, SloVerdict } from '../model/result.ts';

export type SloUnit = SloVerdict['unit'];
export type Comparator = SloVerdict['comparator'];

/**
 * The run's verdict read against what the scenario expects (a broken twin expects `fail`),
 * and how it ended. This is the one CI gate: the exit code, the screen's header, junit.xml
 * and the Markdown summary all come from it, so they cannot disagree.
 *
 * - `pass`, `expected-fail`: the gate holds (exit 0). A broken twin that fails is doing its
 *   job (as vitest's `test.fails`), run alone or in a suite.
 * - `fail`, `unexpected-pass`: the gate fails (exit 1).
 * - `aborted`: the run stopped before its end (Ctrl-C, a crash) and its SLOs cannot be
 *   judged: neither a pass nor a breach (exit 130 when interrupted, else 2). A run stopped by
 *   an `abortOnFail` SLO is not `aborted` here: its breach is decided, so it is a `fail` (or,
 *   for a broken twin, an `expected-fail`), and `stoppedEarly` says so.
 */
export interface Outcome {
  kind: 'pass' | 'fail' | 'expected-fail' | 'unexpected-pass' | 'aborted';
  /** Upper-case words for a badge or a verdict line: `PASS`, `FAIL`, `EXPECTED FAIL`, `UNEXPECTED PASS`, `ABORTED`. */
  label: string;
  /** True when the verdict is what the scenario expects: the CI gate holds. */
  asExpected: boolean;
  /** One sentence saying what the outcome means. */
  explanation: string;
  /** The run was stopped by an `abortOnFail` SLO's breach: which, when, why (abortReason). */
  stoppedEarly?: string;
}

type OutcomeInput = Pick<RunResult, 'verdict' | 'expected'> & Partial<Pick<RunResult, 'status' | 'abortReason' | 'abortedOnFail'>>;

/**
 * @example outcome({ verdict: 'fail', expected: 'fail', status: 'completed' }).label === 'EXPECTED FAIL'
 */
export function outcome(result: OutcomeInput): Outcome {
  const stopped = result.status === 'aborted' && result.abortedOnFail !== undefined;
  if (result.status === 'aborted' && !stopped) {
    return {
      kind: 'aborted',
      label: 'ABORTED',
      asExpected: false,
      explanation: `The run stopped before its end (${result.abortReason ?? 'no reason recorded'}): its SLOs were not judged in full, so it is neither a pass nor a breach.`,
    };
  }
  const early = stopped ? { stoppedEarly: result.abortReason ?? `SLO "${result.abortedOnFail!.slo}" breached` } : {};
  if (result.expected === 'pass') {
    return result.verdict === 'pass'
      ? { kind: 'pass', label: 'PASS', asExpected: true, explanation: 'Every SLO held.' }
      : { kind: 'fail', label: 'FAIL', asExpected: false, explanation: stopped ? 'An abortOnFail SLO was breached, so the run stopped early.' : 'At least one SLO was missed.', ...early };
  }
  return result.verdict === 'fail'
    ? {
        kind: 'expected-fail',
        label: 'EXPECTED FAIL',
        asExpected: true,
        explanation: 'A broken twin: its SLOs failed, as expected, so they catch the fault.',
        ...early,
      }
    : {
        kind: 'unexpected-pass',
        label: 'UNEXPECTED PASS',
        asExpected: false,
        explanation: 'A broken twin that passed: its SLOs did not catch the fault they are meant to catch.',
      };
}

/** The CI gate of an outcome, as exit codes and junit.xml carry it. */
export function gate(o: Outcome): 'pass' | 'fail' | 'aborted' {
  return o.kind === 'aborted' ? 'aborted' : o.asExpected ? 'pass' : 'fail';
}

const COMPARATOR_SYMBOLS: Record<Comparator, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': '=', '!=': '≠' };

/** `<=` as `≤` and so on, for people rather than parsers. */
export function comparatorSymbol(c: Comparator): string {
  return COMPARATOR_SYMBOLS[c];
}

/** Drops trailing zeros of a toFixed string: `99.50` → `99.5`, `100.00` → `100`. */
function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

// en-US is pinned so a report reads the same whatever locale the CI machine runs in.
const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? GROUPED.format(n) : String(n);
}

/** A fraction as a percentage: `0.9952` → `99.52 %`. */
export function formatPercent(fraction: number, decimals = 2): string {
  if (!Number.isFinite(fraction)) return String(fraction);
  return `${trimZeros((fraction * 100).toFixed(decimals))} %`;
}

/** A rate per second: `49.87/s`. */
export function formatRate(perSecond: number, decimals = 2): string {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  return `${trimZeros(perSecond.toFixed(decimals))}/s`;
}

/** A time since the run's start, to the millisecond: `5.012 s`. */
export function formatOffset(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(3)} s`;
}

/**
 * A duration or a time since the start in seconds, to the millisecond under 100 s and to the
 * tenth above, trailing zeros dropped: `12 s`, `4.25 s`, `0.003 s`, `612.4 s`. Every output
 * (screen, junit.xml, Markdown) writes run times and windows this way.
 */
export function formatSeconds(ms: number): string {
  return `${secondsValue(ms)} s`;
}

/** `formatSeconds` without the unit, for an XML `time` attribute (an xs:decimal): `12`, `4.25`. */
export function secondsValue(ms: number): string {
  if (!Number.isFinite(ms)) return '0';
  return trimZeros((Math.max(0, ms) / 1000).toFixed(Math.abs(ms) < 100_000 ? 3 : 1));
}

/** An SLO's window with where it fell in the run: `during joke-5xx (2.003–6.01 s)`, or `(never opened)`. */
export function formatWindow(slo: Pick<SloVerdict, 'window' | 'range'>): string {
  return `${slo.window} ${slo.range ? `(${secondsValue(slo.range[0])}–${formatSeconds(slo.range[1])})` : '(never opened)'}`;
}

/** A duration via the project's formatDuration, except that zero reads `0ms` rather than `0µs`. */
export function formatMs(ms: number): string {
  return ms === 0 ? '0ms' : formatDuration(ms);
}

/**
 * A value in an SLO's unit; `extra` adds decimals (used to tell apart a value and a threshold
 * that would otherwise print the same).
 */
export function formatUnitValue(value: number, unit: SloUnit, extra = 0): string {
  switch (unit) {
    case 'percent':
      return formatPercent(value, 2 + extra);
    case 'ratio':
      return Number.isFinite(value) ? trimZeros(value.toFixed(3 + extra)) : String(value);
    case 'ms':
      return extra === 0 ? formatMs(value) : `${trimZeros(value.toFixed(extra))}ms`;
    case 'count':
      return extra === 0 ? formatCount(value) : trimZeros(value.toFixed(extra));
    case 'per_second':
      return formatRate(value, 2 + extra);
  }
}

/**
 * Measured value and threshold as strings, with enough decimals that a value that differs from
 * the threshold never prints the same as it (99.996 % against a 100 % threshold).
 */
export function formatSloPair(slo: Pick<SloVerdict, 'value' | 'threshold' | 'unit'>): { value: string; threshold: string } {
  const threshold = formatUnitValue(slo.threshold, slo.unit);
  if (slo.value === null) return { value: '—', threshold };
  for (let extra = 0; extra <= 4; extra++) {
    const v = formatUnitValue(slo.value, slo.unit, extra);
    const t = formatUnitValue(slo.threshold, slo.unit, extra);
    if (v !== t || slo.value === slo.threshold) return { value: v, threshold: t };
  }
  return { value: formatUnitValue(slo.value, slo.unit, 4), threshold: formatUnitValue(slo.threshold, slo.unit, 4) };
}

/** The size of a difference in an SLO's unit: percentage points for percent, a duration for ms. */
function formatDifference(diff: number, unit: SloUnit): string {
  switch (unit) {
    case 'percent':
      return `${trimZeros((diff * 100).toFixed(2))} points`;
    case 'ms':
      return formatMs(diff);
    default:
      return formatUnitValue(diff, unit);
  }
}

/**
 * How far a failed SLO missed its threshold, in words: `over by 212ms`, `short by 0.48 points`.
 * Null for a passed SLO. A value-less SLO says why there is no value.
 */
export function sloMiss(slo: Pick<SloVerdict, 'passed' | 'value' | 'threshold' | 'unit' | 'comparator' | 'range'>): string | null {
  if (slo.passed) return null;
  if (slo.value === null) return slo.range === null ? 'window never opened' : 'no samples in the window';
  const diff = slo.value - slo.threshold;
  switch (slo.comparator) {
    case '<':
    case '<=':
      return diff === 0 ? 'at the limit' : `over by ${formatDifference(diff, slo.unit)}`;
    case '>':
    case '>=':
      return diff === 0 ? 'at the limit' : `short by ${formatDifference(-diff, slo.unit)}`;
    case '==':
      return `off by ${formatDifference(Math.abs(diff), slo.unit)}`;
    case '!=':
      return 'equal to the threshold';
  }
}

/** The load model in a few words: `open 50/s poisson`, `closed 20 connections`. */
export function describeLoadModel(load: RunResult['load']): string {
  if (load.model === 'open') {
    return ['open', load.rate !== undefined ? formatRate(load.rate) : null, load.arrival ?? null].filter((s) => s !== null).join(' ');
  }
  return load.connections !== undefined ? `closed, ${formatCount(load.connections)} connections` : 'closed';
}
