/**
 * The type checker: after the grammar, the units. It rejects SLOs that parse but cannot
 * mean anything (`p99(latency) < 99%`, `availability < 400ms`, `requests{provder="x"}`),
 * and tells the evaluator which unit a verdict reads in.
 */
import type { LabelMatcher, LiteralUnit, SloExpr, ValueExpr } from './ast.ts';
import { printValue } from './ast.ts';
import type { QuantityKind } from './metrics.ts';
import { BUILTIN_METRICS, FUNCTION_METRICS, LATENCY_LABELS, STATUS_PATTERN, routerMetricKind } from './metrics.ts';
import { closest } from '../core/suggest.ts';
import type { SloVerdict } from '../model/result.ts';

/** A problem with an SLO, at a 0-based character offset into its text. */
export interface SloError {
  message: string;
  offset: number;
}

type KindResult = { ok: true; kind: QuantityKind } | { ok: false; error: SloError };

/**
 * Checks labels, status selectors and units of a parsed SLO; null when it is sound.
 * `parseSlo` runs this already; call it yourself only for trees built by hand.
 *
 * @example validateSlo(parseSloSyntax('p99(latency) < 99%').expr) // { message: 'cannot compare p99(latency), a duration, with 99%, a percentage…', offset: 15 }
 */
export function validateSlo(expr: SloExpr): SloError | null {
  const left = kindOf(expr.left);
  if (!left.ok) return left.error;
  if (!measuresSomething(expr.left)) {
    return { message: `\`${printValue(expr.left)}\` measures nothing: an SLO needs a metric on the left, e.g. availability >= 99.5%`, offset: expr.left.span.start };
  }
  return compatible(expr.left, left.kind, expr.threshold.unit, expr.threshold.span.start);
}

/** The kind of quantity a value expression has, or why it has none. */
export function kindOf(node: ValueExpr): KindResult {
  switch (node.kind) {
    case 'number':
      return ok(literalKind(node.unit));
    case 'metric': {
      const meta = BUILTIN_METRICS[node.name];
      const bad = checkSelector(node.name, node.selector, meta.labels);
      return bad ? { ok: false, error: bad } : ok(meta.kind);
    }
    case 'latency': {
      const bad = checkSelector('latency', node.selector, LATENCY_LABELS);
      return bad ? { ok: false, error: bad } : ok('duration');
    }
    case 'arrivals': {
      const meta = FUNCTION_METRICS[node.stat];
      const bad = checkSelector(`${node.stat}(upstream_requests)`, node.selector, meta.labels);
      return bad ? { ok: false, error: bad } : ok(meta.kind);
    }
    case 'recovery':
      return ok(FUNCTION_METRICS.recovery_time.kind);
    case 'router_metric':
      // Router metrics are open-ended: any labels may be real, so none are checked.
      return ok(routerMetricKind(node.name));
    case 'negate':
      return kindOf(node.operand);
    case 'binary': {
      const l = kindOf(node.left);
      if (!l.ok) return l;
      const r = kindOf(node.right);
      if (!r.ok) return r;
      const k = combine(node.op, l.kind, r.kind);
      if (k) return ok(k);
      return { ok: false, error: { message: combineError(node, l.kind, r.kind), offset: node.span.start } };
    }
  }
}

/**
 * The unit a verdict reports in. A ratio compared with `99.5%` reads as a percentage; a
 * ratio compared with `1.3` reads as a plain ratio.
 */
export function verdictUnit(expr: SloExpr): SloVerdict['unit'] {
  const k = kindOf(expr.left);
  const kind = k.ok ? k.kind : 'number';
  if (kind === 'duration' || expr.threshold.unit === 'ms') return 'ms';
  if (kind === 'rate' || expr.threshold.unit === 'per_second') return 'per_second';
  if (expr.threshold.unit === 'percent') return 'percent';
  if (kind === 'ratio') return 'ratio';
  return 'count';
}

function ok(kind: QuantityKind): KindResult {
  return { ok: true, kind };
}

function literalKind(unit: LiteralUnit): QuantityKind {
  switch (unit) {
    case 'number':
      return 'number';
    case 'percent':
      return 'ratio';
    case 'ms':
      return 'duration';
    case 'per_second':
      return 'rate';
  }
}

function measuresSomething(node: ValueExpr): boolean {
  switch (node.kind) {
    case 'number':
      return false;
    case 'negate':
      return measuresSomething(node.operand);
    case 'binary':
      return measuresSomething(node.left) || measuresSomething(node.right);
    default:
      return true;
  }
}

function checkSelector(metric: string, selector: readonly LabelMatcher[], labels: readonly string[]): SloError | null {
  for (const m of selector) {
    if (!labels.includes(m.label)) {
      const guess = closest(m.label, labels);
      const hint = guess ? `; did you mean \`${guess}\`?` : '';
      return {
        message: `\`${m.label}\` is not a label of ${metric}: expected one of ${labels.join(', ')}${hint}`,
        offset: m.span.start,
      };
    }
    if (m.label === 'status' && !STATUS_PATTERN.test(m.value)) {
      return {
        message: `expected a status like "5xx", "503" or "error" (no answer at all) in ${metric}{status…}, found ${JSON.stringify(m.value)}`,
        offset: m.span.start,
      };
    }
  }
  return null;
}

const dimensionless = (k: QuantityKind) => k === 'number' || k === 'ratio';
const scalar = (l: QuantityKind, r: QuantityKind): QuantityKind => (l === 'ratio' || r === 'ratio' ? 'ratio' : 'number');

/** Unit algebra, kept to what SLOs need; anything else (a count times a duration…) is refused rather than guessed at. */
function combine(op: '+' | '-' | '*' | '/', l: QuantityKind, r: QuantityKind): QuantityKind | null {
  switch (op) {
    case '+':
    case '-':
      if (l === r) return l;
      // A bare number takes the other side's unit, except a duration: `p99(latency) + 5` is ambiguous.
      if (l === 'number' && r !== 'duration') return r;
      if (r === 'number' && l !== 'duration') return l;
      if (dimensionless(l) && dimensionless(r)) return 'ratio';
      return null;
    case '*':
      if (dimensionless(l) && dimensionless(r)) return scalar(l, r);
      if (dimensionless(l)) return r;
      if (dimensionless(r)) return l;
      return null;
    case '/':
      if (dimensionless(r)) return dimensionless(l) ? scalar(l, r) : l;
      if (l === r) return 'ratio';
      return null;
  }
}

const KIND_NAMES: Record<QuantityKind, string> = {
  count: 'a count',
  ratio: 'a ratio',
  duration: 'a duration',
  rate: 'a rate per second',
  number: 'a plain number',
};

function combineError(node: ValueExpr & { kind: 'binary' }, l: QuantityKind, r: QuantityKind): string {
  const text = printValue(node);
  if ((l === 'duration' && r === 'number') || (r === 'duration' && l === 'number')) {
    const bare = l === 'number' ? node.left : node.right;
    return `cannot combine a duration with a number without unit in \`${text}\`: write \`${printValue(bare)}ms\` (or s, m)`;
  }
  const verb = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide' }[node.op];
  return `cannot ${verb} ${KIND_NAMES[l]} and ${KIND_NAMES[r]} in \`${text}\`: units must agree (a count divided by a count is a ratio)`;
}

const LITERAL_NAMES: Record<LiteralUnit, string> = {
  number: 'a plain number',
  percent: 'a percentage',
  ms: 'a duration',
  per_second: 'a rate per second',
};

/** Hints for counts compared with percentages: the fraction the writer most likely meant. */
const FRACTION_OF: Record<string, string> = { errors: 'error_rate', successes: 'availability' };

function compatible(left: ValueExpr, kind: QuantityKind, unit: LiteralUnit, offset: number): SloError | null {
  const fits: Record<QuantityKind, readonly LiteralUnit[]> = {
    duration: ['ms'],
    ratio: ['number', 'percent'],
    count: ['number'],
    rate: ['number', 'per_second'],
    number: ['number', 'percent', 'per_second'],
  };
  if (fits[kind].includes(unit)) return null;
  const text = printValue(left);
  if (kind === 'duration' && unit === 'number') {
    return { message: `expected a duration threshold for \`${text}\` (e.g. 400ms, 2s), found a number without unit`, offset };
  }
  let hint = '';
  if (kind === 'count' && unit === 'percent') {
    const frac = left.kind === 'metric' ? FRACTION_OF[left.name] : undefined;
    hint = frac ? `; did you mean \`${frac}\`?` : ': divide by requests for a fraction, e.g. errors / requests < 1%';
  }
  return {
    message: `cannot compare \`${text}\`, ${KIND_NAMES[kind]}, with ${LITERAL_NAMES[unit]}${hint || ': units must agree'}`,
    offset,
  };
}
