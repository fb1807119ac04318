/**
 * `--param path=values`: what a sweep parameter's values are.
 *
 *   param  := path "=" values
 *   values := list | range
 *   list   := item ("," item)*          none,full,equal,decorrelated   on,off   1,3,5
 *   range  := q ".." q [":" steps]      10ms..200ms   5%..50%:10   20/s..80/s:4   1..5
 *   steps  := N                         N values, evenly spaced, ends included (default 5)
 *           | "log" N                   N values, geometrically spaced (both ends > 0): 10ms..1s:log3 = 10ms, 100ms, 1s
 *           | "+" q                     every q from the low end while ≤ the high end: 10ms..50ms:+20ms = 10, 30, 50 ms
 *   q      := a number with the same unit at both ends: a duration (us, ms, s, m, h; two
 *             different duration units are both read in ms: 200ms..2s), a percentage (%), a
 *             rate (/s, /m, /h), or a plain number
 *
 * A list item is read as YAML reads a scalar (`3` a number, `true` a boolean, `full` a string);
 * `off` removes the setting, `on` keeps the document's own value. A range's values are written
 * in its unit, to 4 significant digits (`57.5ms`); a plain-number range with whole ends gives
 * whole numbers (`1..5` → 1, 2, 3, 4, 5; duplicates after rounding dropped). Under `--random` a
 * range is sampled anywhere between its ends (log-uniformly with `log`), not on the grid.
 *
 * Pure: every problem comes back in words, with the character position in the argument.
 */
import { parse as parseYamlScalar } from 'yaml';
import type { SweepParam, SweepValue } from '../model/sweep.ts';

export const DEFAULT_STEPS = 5;
/** A grid larger than this is refused (use --random): a typo like `:5000` should not start a day-long sweep. */
export const MAX_PARAM_VALUES = 1000;

/** ms per unit of a duration. */
const MS_PER: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const QUANTITY = /^(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|m|h|%|\/s|\/m|\/min|\/h)?$/;

export type ParamParse = { ok: true; param: Omit<SweepParam, 'side'> } | { ok: false; errors: { column: number; message: string }[] };

/** One `--param` argument (`path=values`). `column` in errors is 1-based within the argument. */
export function parseParam(arg: string): ParamParse {
  const eq = arg.indexOf('=');
  if (eq < 0) return fail(1, `expected path=values (e.g. retry.backoff.base=10ms..200ms:5), found ${JSON.stringify(arg)}`);
  const path = arg.slice(0, eq).trim();
  const spec = arg.slice(eq + 1).trim();
  const offset = arg.length - arg.slice(eq + 1).trimStart().length + 1;
  if (path === '') return fail(1, 'the path before = is empty');
  if (spec === '') return fail(eq + 2, `no values after \`${path}=\` (a list a,b,c or a range lo..hi)`);
  const dots = spec.indexOf('..');
  if (dots >= 0 && !/[,{}[\]]/.test(spec)) {
    const r = parseRange(spec, offset);
    return r.ok ? { ok: true, param: { path, spec, kind: 'range', values: r.values, range: r.range } } : r;
  }
  const items = splitList(spec);
  const errors: { column: number; message: string }[] = [];
  const values: SweepValue[] = [];
  for (const it of items) {
    if (it.text === '') {
      errors.push({ column: offset + it.at, message: 'an empty item in the list' });
      continue;
    }
    let v: unknown;
    try {
      v = parseYamlScalar(it.text);
    } catch {
      v = it.text;
    }
    if (v === null || (typeof v === 'object' && v !== null)) v = it.text;
    if (typeof v === 'number' && !Number.isFinite(v)) v = it.text;
    values.push(v as SweepValue);
  }
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (seen.has(it.text)) errors.push({ column: offset + it.at, message: `\`${it.text}\` is in the list twice` });
    seen.add(it.text);
    void i;
  });
  if (errors.length) return { ok: false, errors };
  return { ok: true, param: { path, spec, kind: 'list', values } };
}

function fail(column: number, message: string): ParamParse {
  return { ok: false, errors: [{ column, message }] };
}

/** Splits on commas outside braces and brackets, with each item's offset. */
function splitList(spec: string): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= spec.length; i++) {
    const c = spec[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    if (i === spec.length || (c === ',' && depth === 0)) {
      const raw = spec.slice(start, i);
      out.push({ text: raw.trim(), at: start + (raw.length - raw.trimStart().length) });
      start = i + 1;
    }
  }
  return out;
}

interface Quantity {
  n: number;
  unit: string;
}

function quantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] === 'µs' ? 'us' : m[2] === '/min' ? '/m' : (m[2] ?? '');
  return { n: Number(m[1]), unit };
}

function parseRange(spec: string, offset: number): { ok: true; values: SweepValue[]; range: NonNullable<SweepParam['range']> } | { ok: false; errors: { column: number; message: string }[] } {
  const errors: { column: number; message: string }[] = [];
  const dots = spec.indexOf('..');
  const colon = spec.indexOf(':', dots);
  const loText = spec.slice(0, dots);
  const hiText = colon < 0 ? spec.slice(dots + 2) : spec.slice(dots + 2, colon);
  const stepText = colon < 0 ? undefined : spec.slice(colon + 1).trim();
  let lo = quantity(loText);
  let hi = quantity(hiText);
  // Durations in two units (200ms..2s) are both read in ms.
  if (lo && hi && lo.unit !== hi.unit && lo.unit in MS_PER && hi.unit in MS_PER) {
    lo = { n: lo.n * MS_PER[lo.unit]!, unit: 'ms' };
    hi = { n: hi.n * MS_PER[hi.unit]!, unit: 'ms' };
  }
  const example = 'like 10ms, 5%, 20/s or 3';
  if (!lo) errors.push({ column: offset, message: `the low end ${JSON.stringify(loText)} is not a quantity ${example}` });
  if (!hi) errors.push({ column: offset + dots + 2, message: `the high end ${JSON.stringify(hiText)} is not a quantity ${example}` });
  if (lo && hi && lo.unit !== hi.unit) {
    errors.push({ column: offset + dots + 2, message: `both ends need the same unit: ${lo.unit || 'no unit'} at the low end, ${hi.unit || 'no unit'} at the high end` });
  }
  if (lo && hi && lo.unit === hi.unit && !(hi.n > lo.n)) errors.push({ column: offset + dots + 2, message: `the high end (${hiText.trim()}) must be above the low end (${loText.trim()})` });
  let spacing: 'linear' | 'log' = 'linear';
  let count = DEFAULT_STEPS;
  let step: Quantity | undefined;
  if (stepText !== undefined) {
    const at = offset + colon + 1;
    const m = /^(log)?(\d+)$/.exec(stepText);
    if (m) {
      spacing = m[1] ? 'log' : 'linear';
      count = Number(m[2]);
      if (count < 2) errors.push({ column: at, message: `${stepText}: a range needs at least 2 values` });
      if (count > MAX_PARAM_VALUES) errors.push({ column: at, message: `${stepText}: at most ${MAX_PARAM_VALUES} values per parameter (for more, sample with --random)` });
      if (spacing === 'log' && lo && !(lo.n > 0)) errors.push({ column: offset, message: 'a log range needs a low end above 0' });
    } else if (stepText.startsWith('+')) {
      step = quantity(stepText.slice(1));
      if (step && lo && step.unit !== lo.unit && step.unit in MS_PER && lo.unit === 'ms') step = { n: step.n * MS_PER[step.unit]!, unit: 'ms' };
      if (!step || !(step.n > 0)) errors.push({ column: at, message: `the step ${JSON.stringify(stepText)} is not a quantity above 0 ${example}` });
      else if (lo && step.unit !== lo.unit) errors.push({ column: at, message: `the step needs the range's unit (${lo.unit || 'no unit'}), found ${step.unit || 'no unit'}` });
      else if (lo && hi && (hi.n - lo.n) / step.n + 1 > MAX_PARAM_VALUES) errors.push({ column: at, message: `the step gives more than ${MAX_PARAM_VALUES} values (for more, sample with --random)` });
    } else {
      errors.push({ column: at, message: `after : expected a count (5), a log count (log5) or a step (+10ms), found ${JSON.stringify(stepText)}` });
    }
  }
  if (errors.length || !lo || !hi) return { ok: false, errors };
  const integer = lo.unit === '' && Number.isInteger(lo.n) && Number.isInteger(hi.n) && (step === undefined || Number.isInteger(step.n));
  const range = { lo: lo.n, hi: hi.n, unit: lo.unit, spacing, integer };
  let numbers: number[];
  if (step) {
    numbers = [];
    // A tolerance so 0.1-steps do not lose their last value to rounding.
    for (let x = lo.n; x <= hi.n + step.n * 1e-9; x += step.n) numbers.push(x);
  } else numbers = Array.from({ length: count }, (_, i) => rangeValue(range, i / (count - 1)));
  const values: SweepValue[] = [];
  for (const n of numbers) {
    const v = formatRangeValue(range, n);
    if (!values.includes(v)) values.push(v);
  }
  return { ok: true, values, range };
}

/** The value at fraction `u` ∈ [0, 1] of a range: linear, or geometric for `log`. */
export function rangeValue(range: NonNullable<SweepParam['range']>, u: number): number {
  if (u <= 0) return range.lo;
  if (u >= 1) return range.hi;
  return range.spacing === 'log' ? range.lo * Math.pow(range.hi / range.lo, u) : range.lo + (range.hi - range.lo) * u;
}

/** A range's number as it is written into the document: in the range's unit, 4 significant digits (whole for an integer range). */
export function formatRangeValue(range: NonNullable<SweepParam['range']>, n: number): SweepValue {
  if (range.integer) return Math.round(n);
  const x = Number(n.toPrecision(4));
  return range.unit === '' ? x : `${x}${range.unit}`;
}

/** A value as the screen and the CSV show it. */
export function showValue(v: SweepValue | undefined): string {
  if (v === undefined) return 'on';
  return typeof v === 'string' ? v : String(v);
}
