/**
 * Numbers in verdict messages, in the unit the SLO was written in: `97.12 %`, `512ms`,
 * `1,204`, `1.24`, `42.5/s`.
 */
import type { Comparator } from './ast.ts';
import type { SloVerdict } from '../model/result.ts';
import { formatDuration } from '../core/units.ts';

type Unit = SloVerdict['unit'];

const MAX_DECIMALS = 6;

function decimal(v: number, decimals: number, grouping: boolean): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: decimals, useGrouping: grouping });
}

/** A value in its unit with a given number of decimals (durations choose their own scale). */
export function formatQuantity(v: number, unit: Unit, decimals = 2): string {
  switch (unit) {
    case 'percent':
      return `${decimal(v * 100, decimals, false)} %`;
    case 'ms':
      return decimals <= 2 ? formatDuration(v) : `${decimal(v, decimals, true)}ms`;
    case 'per_second':
      return `${decimal(v, decimals, true)}/s`;
    case 'ratio':
      return decimal(v, Math.max(decimals, 3), true);
    case 'count':
      return decimal(v, decimals, true);
  }
}

/**
 * Value and threshold side by side, with just enough decimals that two different numbers
 * never print alike: a failing 99.996 % must not read as "100 % < 100 %".
 */
export function formatPair(value: number, threshold: number, unit: Unit): [string, string] {
  // Start from as many decimals as the threshold was written with, so `99.995 %` never shows as `100 %`.
  const written = unit === 'ms' ? 0 : fractionDigits(unit === 'percent' ? threshold * 100 : threshold);
  for (let d = Math.min(MAX_DECIMALS, Math.max(2, written)); d <= MAX_DECIMALS; d++) {
    const pair: [string, string] = [formatQuantity(value, unit, d), formatQuantity(threshold, unit, d)];
    if (pair[0] !== pair[1] || value === threshold) return pair;
  }
  return [formatQuantity(value, unit, MAX_DECIMALS), formatQuantity(threshold, unit, MAX_DECIMALS)];
}

/** Decimals of a number as a person wrote it, ignoring binary noise (99.995 × 100 = 99.99499…). */
function fractionDigits(v: number): number {
  const s = String(+v.toPrecision(12));
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

/** A difference between value and threshold: percentages differ by points, not by percent. */
export function formatMargin(diff: number, unit: Unit): string {
  if (unit === 'percent') {
    const points = decimal(diff * 100, diff * 100 < 0.01 ? 4 : 2, false);
    return `${points} ${points === '1' ? 'point' : 'points'}`;
  }
  return formatQuantity(diff, unit, unit === 'ms' && diff < 0.01 ? 3 : 2);
}

/** `1,204 requests`, `1 request`. */
export function formatCount(n: number, singular: string, plural = `${singular}s`): string {
  return `${decimal(n, 0, true)} ${n === 1 ? singular : plural}`;
}

/** Seconds since the run's start, as a window edge: `10s`, `12.5s`. */
export function formatOffset(ms: number): string {
  return `${decimal(ms / 1000, 3, false)}s`;
}

/** How each comparator reads when it holds. */
export const HOLDS: Record<Comparator, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': '=', '!=': '≠' };
/** How the relation actually stood when the comparator did not hold. */
export const BROKE: Record<Comparator, string> = { '<': '≥', '<=': '>', '>': '≤', '>=': '<', '==': '≠', '!=': '=' };

/** Whether `value comparator threshold` holds. */
export function holds(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/**
 * The tail of a verdict message: how far the value was from the threshold, and on which side.
 *
 * @example margin(0.9712, '>=', 0.99, 'percent', false) // 'short by 1.88 points'
 */
export function margin(value: number, comparator: Comparator, threshold: number, unit: Unit, passed: boolean): string {
  const diff = Math.abs(value - threshold);
  const d = formatMargin(diff, unit);
  if (comparator === '==') return passed ? 'on target exactly' : `off by ${d}`;
  if (comparator === '!=') return passed ? `${d} from the excluded value` : 'equal to the excluded value';
  const upper = comparator === '<' || comparator === '<=';
  if (passed) return diff === 0 ? 'at the limit exactly' : `${d} of headroom`;
  if (diff === 0) return upper ? 'at the limit, which it must stay below' : 'at the threshold, which it must exceed';
  return upper ? `${d} over the limit` : `short by ${d}`;
}
