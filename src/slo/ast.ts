/**
 * The typed form of an SLO expression, as `parseSlo` returns it, and a printer that turns
 * it back into text (`printSlo(parseSlo(s).expr)` parses to the same tree).
 *
 * Every value is held in canonical units: percentages as fractions (99.5% → 0.995),
 * durations in milliseconds, rates per second.
 */

/** The six comparisons an SLO may make. `≤ ≥ ≠` in the source are read as `<= >= !=`. */
export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** Where a node sits in the source: `text.slice(start, end)`. 0-based character offsets. */
export interface Span {
  start: number;
  end: number;
}

/** One `label="value"` or `label!="value"` inside `{...}`; a label the record lacks reads as "". */
export interface LabelMatcher {
  label: string;
  op: '=' | '!=';
  value: string;
  span: Span;
}

/** How a number was written: plain, `99.5%`, `400ms` (any duration unit), or `50/s` (any rate unit; thresholds only). */
export type LiteralUnit = 'number' | 'percent' | 'ms' | 'per_second';

/** A constant, in canonical units (see the module comment). */
export interface NumberNode {
  kind: 'number';
  value: number;
  unit: LiteralUnit;
  span: Span;
}

/** Metrics over the load driver's requests, due in the window. */
export type RequestMetricName = 'requests' | 'successes' | 'errors' | 'availability' | 'error_rate' | 'throughput';
/** Metrics faultline measures itself (as opposed to the router's own /metrics). */
export type BuiltinMetricName = RequestMetricName | 'upstream_requests';

/** A metric faultline measures: `requests`, `availability{route="checkout"}`, `upstream_requests{provider="adyen"}`. */
export interface MetricNode {
  kind: 'metric';
  name: BuiltinMetricName;
  selector: LabelMatcher[];
  span: Span;
}

/** Any other name: a counter or gauge from the router's /metrics, e.g. `retry_attempts_total{provider="a"}`. */
export interface RouterMetricNode {
  kind: 'router_metric';
  name: string;
  selector: LabelMatcher[];
  span: Span;
}

/** A statistic of the latency distribution. `percentile` is on the 0–100 scale: p99.9 → 99.9. */
export type LatencyStat = { kind: 'quantile'; percentile: number } | { kind: 'min' } | { kind: 'max' } | { kind: 'mean' };

/** `p99(latency{route="checkout"})`: latency only exists inside a statistic, so the tree has no bare `latency`. */
export interface LatencyNode {
  kind: 'latency';
  stat: LatencyStat;
  selector: LabelMatcher[];
  span: Span;
}

/**
 * The herd signature, from the providers' arrivals in fine bins of `binMs` over the window:
 * `peak_to_mean(upstream_requests{provider="backend"}, 10ms)`, `periodicity(upstream_requests, 10ms)`.
 * Definitions in herd.ts.
 */
export type ArrivalStat = 'peak_to_mean' | 'periodicity';
export interface ArrivalsNode {
  kind: 'arrivals';
  stat: ArrivalStat;
  selector: LabelMatcher[];
  binMs: number;
  span: Span;
}

/** `recovery_time(brownout)`: how long after the fault's last switch-off the run recovered (recovery.ts); `fault` null: every fault of the run. */
export interface RecoveryNode {
  kind: 'recovery';
  fault: string | null;
  span: Span;
}

export interface BinaryNode {
  kind: 'binary';
  op: '+' | '-' | '*' | '/';
  left: ValueExpr;
  right: ValueExpr;
  span: Span;
}

export interface NegateNode {
  kind: 'negate';
  operand: ValueExpr;
  span: Span;
}

/** The measured side of an SLO. */
export type ValueExpr = NumberNode | MetricNode | RouterMetricNode | LatencyNode | ArrivalsNode | RecoveryNode | BinaryNode | NegateNode;

/**
 * A whole SLO: `left comparator threshold`. The threshold is a constant, so a verdict can
 * report it as one number.
 *
 * @example parseSlo('availability >= 99.5%') // { kind: 'compare', left: { kind: 'metric', name: 'availability', ... }, comparator: '>=', threshold: { value: 0.995, unit: 'percent', ... } }
 */
export interface SloExpr {
  kind: 'compare';
  left: ValueExpr;
  comparator: Comparator;
  threshold: NumberNode;
  span: Span;
}

/** Every value node of an SLO's measured side, outermost first: what checks of the names it uses walk. */
export function valueNodes(expr: SloExpr): ValueExpr[] {
  const out: ValueExpr[] = [];
  const walk = (n: ValueExpr): void => {
    out.push(n);
    if (n.kind === 'negate') walk(n.operand);
    else if (n.kind === 'binary') {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(expr.left);
  return out;
}

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const;
const NEGATE_PRECEDENCE = 3;

/**
 * Prints an SLO in canonical form: one space around operators, durations in ms, rates per
 * second, percentiles as `p99.9`.
 *
 * @example printSlo(parseSlo('p999(latency)<2s').expr) // 'p99.9(latency) < 2000ms'
 */
export function printSlo(expr: SloExpr): string {
  return `${printValue(expr.left)} ${expr.comparator} ${printNumber(expr.threshold)}`;
}

/** Prints the measured side alone, e.g. for a verdict's message. */
export function printValue(node: ValueExpr): string {
  return print(node, 0, false);
}

function print(node: ValueExpr, parent: number, rightOperand: boolean): string {
  switch (node.kind) {
    case 'number':
      return printNumber(node);
    case 'metric':
    case 'router_metric':
      return node.name + printSelector(node.selector);
    case 'latency':
      return `${printStat(node.stat)}(latency${printSelector(node.selector)})`;
    case 'arrivals':
      return `${node.stat}(upstream_requests${printSelector(node.selector)}, ${plainNumber(node.binMs)}ms)`;
    case 'recovery':
      return `recovery_time(${node.fault === null ? '' : /^[A-Za-z_][A-Za-z0-9_]*$/.test(node.fault) ? node.fault : quote(node.fault)})`;
    case 'negate':
      return `-${print(node.operand, NEGATE_PRECEDENCE, false)}`;
    case 'binary': {
      const p = PRECEDENCE[node.op];
      const s = `${print(node.left, p, false)} ${node.op} ${print(node.right, p, true)}`;
      // Parenthesise exactly where the grammar's left associativity would otherwise regroup
      // the tree, so printing then parsing gives back the same shape.
      return p < parent || (p === parent && rightOperand) ? `(${s})` : s;
    }
  }
}

/** `p99`, `p99.9`, `min`, `max`, `mean`. */
export function printStat(stat: LatencyStat): string {
  return stat.kind === 'quantile' ? `p${plainNumber(stat.percentile)}` : stat.kind;
}

function printSelector(selector: readonly LabelMatcher[]): string {
  if (selector.length === 0) return '';
  return `{${selector.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(', ')}}`;
}

function quote(s: string): string {
  return `"${s.replace(/[\\"\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\${c}`))}"`;
}

function printNumber(n: NumberNode): string {
  const sign = n.value < 0 ? '-' : '';
  const v = Math.abs(n.value);
  switch (n.unit) {
    case 'number':
      return sign + plainNumber(v);
    case 'percent':
      // Round away the binary noise of ×100 (0.995 × 100 = 99.49999…) so 99.5% prints as written.
      return `${sign}${plainNumber(+(v * 100).toPrecision(15))}%`;
    case 'ms':
      return `${sign}${plainNumber(v)}ms`;
    case 'per_second':
      return `${sign}${plainNumber(v)}/s`;
  }
}

/** A decimal without exponent notation, which the SLO grammar does not read. */
export function plainNumber(v: number): string {
  const s = String(v);
  if (!/e/i.test(s)) return s;
  return v.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}
