import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LabelMatcher, LatencyStat, NumberNode, SloExpr, ValueExpr } from './ast.ts';
import { printSlo, printValue } from './ast.ts';
import { parseSlo, parseSloSyntax } from './parse.ts';

function ok(text: string): SloExpr {
  const r = parseSlo(text);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${r.error.message} @${r.error.offset}`);
  return r.expr;
}

function err(text: string): { message: string; offset: number } {
  const r = parseSlo(text);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text)} to fail, got ${printSlo(r.expr)}`);
  return r.error;
}

/** The tree without source positions, for comparing shapes. */
function shape(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'span').map(([k, v]) => [k, shape(v)]));
  }
  return node;
}

/** Prints the tree fully parenthesised, so a test states grouping without relying on the printer. */
function grouping(node: ValueExpr): string {
  switch (node.kind) {
    case 'binary':
      return `(${grouping(node.left)} ${node.op} ${grouping(node.right)})`;
    case 'negate':
      return `(-${grouping(node.operand)})`;
    default:
      return printValue(node);
  }
}

describe('parseSlo: the examples of the scenario format', () => {
  it('reads availability >= 99.5% as a ratio against 0.995', () => {
    const e = ok('availability >= 99.5%');
    expect(shape(e)).toEqual({
      kind: 'compare',
      left: { kind: 'metric', name: 'availability', selector: [] },
      comparator: '>=',
      threshold: { kind: 'number', value: 0.995, unit: 'percent' },
    });
  });

  it('reads a latency statistic with a duration threshold in ms', () => {
    const e = ok('p99(latency) < 400ms');
    expect(shape(e.left)).toEqual({ kind: 'latency', stat: { kind: 'quantile', percentile: 99 }, selector: [] });
    expect(e.threshold).toMatchObject({ value: 400, unit: 'ms' });
  });

  it('reads a selector on upstream_requests divided by requests', () => {
    const e = ok('upstream_requests{provider="weather-backup"} / requests >= 90%');
    expect(shape(e.left)).toEqual({
      kind: 'binary',
      op: '/',
      left: { kind: 'metric', name: 'upstream_requests', selector: [{ label: 'provider', op: '=', value: 'weather-backup' }] },
      right: { kind: 'metric', name: 'requests', selector: [] },
    });
    expect(e.threshold.value).toBe(0.9);
  });

  it('takes any other name for a router metric, with any labels', () => {
    const e = ok('failover_invocations_total{from="weather-primary", to!="x"} <= 3');
    expect(shape(e.left)).toEqual({
      kind: 'router_metric',
      name: 'failover_invocations_total',
      selector: [
        { label: 'from', op: '=', value: 'weather-primary' },
        { label: 'to', op: '!=', value: 'x' },
      ],
    });
    expect(ok('job:requests:rate5m > 1').left).toMatchObject({ kind: 'router_metric', name: 'job:requests:rate5m' });
  });
});

describe('parseSlo: precedence and grouping', () => {
  const left = (text: string) => grouping(ok(`${text} > 0`).left);

  it('binds * and / tighter than + and -', () => {
    // Gauges (no _total) are plain numbers, so any arithmetic on them type-checks.
    expect(left('a + b * c - d / 2')).toBe('((a + (b * c)) - (d / 2))');
  });

  it('groups same-precedence operators from the left', () => {
    expect(left('a - b - c')).toBe('((a - b) - c)');
    expect(left('a / b / c')).toBe('((a / b) / c)');
  });

  it('lets parentheses override, and a span covers its parentheses', () => {
    const e = ok('(a_total + b_total) * 2 > 0');
    expect(grouping(e.left)).toBe('((a_total + b_total) * 2)');
    const l = e.left as ValueExpr & { kind: 'binary' };
    expect(l.left.span).toEqual({ start: 0, end: 19 });
  });

  it('reads unary minus, binding tighter than *', () => {
    expect(left('-a_total * 2')).toBe('((-a_total) * 2)');
    expect(left('b_total - -a_total')).toBe('(b_total - (-a_total))');
  });

  it('accepts every comparator, and ≤ ≥ ≠ as their ASCII forms', () => {
    for (const c of ['<', '<=', '>', '>=', '==', '!='] as const) expect(ok(`requests ${c} 5`).comparator).toBe(c);
    expect(ok('requests ≥ 5').comparator).toBe('>=');
    expect(ok('requests ≤ 5').comparator).toBe('<=');
    expect(ok('requests ≠ 5').comparator).toBe('!=');
  });

  it('needs no spaces, and allows them anywhere between tokens', () => {
    expect(shape(ok('upstream_requests/requests<=1.3'))).toEqual(shape(ok('  upstream_requests  /  requests  <=  1.3  ')));
  });
});

describe('parseSlo: literals and units', () => {
  const threshold = (text: string): NumberNode => ok(text).threshold;

  it('turns percentages into the same fractions arithmetic gives', () => {
    // 993 / 1000 is what availability computes for 7 failures in 1000; the threshold must equal it exactly.
    expect(threshold('availability >= 99.3%').value).toBe(993 / 1000);
    expect(threshold('availability >= 99.5 %').value).toBe(0.995);
    expect(threshold('availability >= 100%').value).toBe(1);
  });

  it('turns durations into milliseconds without binary noise', () => {
    const ms = (t: string) => threshold(`p99(latency) < ${t}`).value;
    expect(ms('400ms')).toBe(400);
    expect(ms('2s')).toBe(2000);
    expect(ms('0.1s')).toBe(100);
    expect(ms('1.1ms')).toBe(1.1);
    expect(ms('250us')).toBe(0.25);
    expect(ms('250µs')).toBe(0.25);
    expect(ms('1.5m')).toBe(90_000);
    expect(ms('1h')).toBe(3_600_000);
    expect(ms('400 ms')).toBe(400);
  });

  it('reads rates per second in a threshold', () => {
    expect(threshold('throughput >= 50/s')).toMatchObject({ value: 50, unit: 'per_second' });
    expect(threshold('throughput >= 600/m').value).toBe(10);
    expect(threshold('throughput >= 600 / min').value).toBe(10);
    expect(threshold('throughput >= 50').unit).toBe('number');
  });

  it('reads plain and negative numbers', () => {
    expect(threshold('upstream_requests / requests <= 1.3')).toMatchObject({ value: 1.3, unit: 'number' });
    expect(threshold('requests > .5').value).toBe(0.5);
    expect(threshold('requests - 10 > -5')).toMatchObject({ value: -5, span: { start: 16, end: 18 } });
  });

  it('allows units on the left too', () => {
    const e = ok('p99(latency) - 50ms < 1s');
    expect(grouping(e.left)).toBe('(p99(latency) - 50ms)');
  });
});

describe('parseSlo: latency statistics', () => {
  const stat = (fn: string): LatencyStat => (ok(`${fn}(latency) < 1s`).left as ValueExpr & { kind: 'latency' }).stat;

  it('knows the named percentiles and the field shorthand p999 = p99.9', () => {
    expect(stat('p50')).toEqual({ kind: 'quantile', percentile: 50 });
    expect(stat('p90')).toEqual({ kind: 'quantile', percentile: 90 });
    expect(stat('p95')).toEqual({ kind: 'quantile', percentile: 95 });
    expect(stat('p999')).toEqual({ kind: 'quantile', percentile: 99.9 });
    expect(stat('p9999')).toEqual({ kind: 'quantile', percentile: 99.99 });
  });

  it('reads any pNN, with a fraction too', () => {
    expect(stat('p75')).toEqual({ kind: 'quantile', percentile: 75 });
    expect(stat('p99.9')).toEqual({ kind: 'quantile', percentile: 99.9 });
    expect(stat('p5')).toEqual({ kind: 'quantile', percentile: 5 });
    expect(stat('p100')).toEqual({ kind: 'quantile', percentile: 100 });
  });

  it('knows min, max and mean', () => {
    expect(stat('min')).toEqual({ kind: 'min' });
    expect(stat('max')).toEqual({ kind: 'max' });
    expect(stat('mean')).toEqual({ kind: 'mean' });
  });

  it('selects latency by route and status', () => {
    const e = ok(`p99(latency{route="checkout", status="2xx",}) < 400ms`);
    expect((e.left as ValueExpr & { kind: 'latency' }).selector.map((m: LabelMatcher) => [m.label, m.op, m.value])).toEqual([
      ['route', '=', 'checkout'],
      ['status', '=', '2xx'],
    ]);
  });
});

describe('parseSlo: selectors', () => {
  it('reads single quotes, escapes, an empty selector and a trailing comma', () => {
    const e = ok(`x_total{a='it\\'s', b="say \\"hi\\"\\n", } + y_total{} > 0`);
    const l = e.left as ValueExpr & { kind: 'binary' };
    expect((l.left as ValueExpr & { kind: 'router_metric' }).selector.map((m) => m.value)).toEqual(["it's", 'say "hi"\n']);
    expect((l.right as ValueExpr & { kind: 'router_metric' }).selector).toEqual([]);
  });
});

describe('parseSlo: errors say what was expected, what was found, and where', () => {
  it.each([
    ['availability', 12, 'expected a comparison (<, <=, >, >=, ==, !=) after `availability`, found end of expression'],
    ['availability 99%', 13, 'expected a comparison (<, <=, >, >=, ==, !=) after `availability`, found the number `99`'],
    ['availability = 1', 13, 'write == to compare for equality'],
    ['availability >=', 15, 'expected a threshold after `>=` (a constant such as 99.5%, 400ms or 1.3), found end of expression'],
    ['requests > errors * 2', 11, 'the right-hand side must be a constant'],
    ['requests > 5 and errors < 3', 13, 'one comparison per SLO'],
    ['requests > 5 * 2', 13, 'the threshold must be a single constant'],
    ['requests + > 5', 11, 'expected a metric, a number or `(` after `+`, found `>`'],
    ['> 5', 0, 'expected a metric, a number or `(` at the start of the expression, found `>`'],
    ['', 0, 'expected a metric, a number or `(` at the start of the expression, found end of expression'],
    ['(requests + errors > 5', 19, 'expected `)` to close the `(` at offset 0, found `>`'],
    ['p99(latency < 1s', 12, 'expected `)` to close `p99(` at offset 3, found `<`'],
    ['p99(requests) < 1s', 4, 'p99() takes latency, the only distribution'],
    ['p99 < 1s', 4, 'expected `(` after `p99`, found `<`: write p99(latency)'],
    ['latency < 1s', 0, 'found bare `latency`'],
    ['p(99) < 300', 0, "k6's `p(99)`: write p99(latency)"],
    ['avg(latency) < 1s', 0, 'did you mean `mean`?'],
    ['p120(latency) < 1s', 0, 'expected a percentile between 0 and 100, found `p120`'],
    ['p101(latency) < 1s', 0, 'expected a percentile between 0 and 100'],
    ['requests{route=checkout} > 1', 15, 'expected a quoted value after `route=`, found `checkout`'],
    ['requests{route=~"a.*"} > 1', 14, 'regular-expression matchers are not supported'],
    ['requests{route=="a"} > 1', 14, 'a selector uses a single ='],
    ['requests{route="a" status="5xx"} > 1', 19, 'expected `,` or `}` after `route="a"`, found `status`'],
    ['requests{route="a} > 1', 15, 'expected a closing " for the string that starts here'],
    ['requests >= 400mss', 15, 'expected a unit (%, us, ms, s, m, h, or a rate such as /s) after `400`, found `mss`'],
    ['throughput > 5/sec', 15, 'expected a rate unit (s, m, min, h) after `5/`, found `sec`'],
    ['requests > 5.', 13, 'expected a digit after the decimal point'],
    ['requests # 5', 9, 'unexpected character `#`'],
  ])('%j fails at %i', (text, offset, message) => {
    const e = err(text);
    expect(e.message).toContain(message);
    expect(e.offset).toBe(offset);
  });

  it('suggests the closest metric name on a typo', () => {
    expect(err('availabilty >= 99.5%')).toEqual({
      message: 'expected a metric, found `availabilty`, which faultline does not measure; did you mean `availability`?',
      offset: 0,
    });
    expect(err('errors / reqeusts < 1%').message).toContain('did you mean `requests`?');
    expect(err('p99(latncy) < 1s')).toMatchObject({ offset: 4, message: expect.stringContaining('did you mean `latency`?') });
    expect(err('upstream_requests{provder="a"} > 0')).toMatchObject({ offset: 18, message: expect.stringContaining('did you mean `provider`?') });
  });

  it('does not take a router metric for a typo of a built-in', () => {
    // Far from every built-in name: open-ended router metrics must stay legal.
    for (const name of ['retry_attempts_total', 'circuit_breaker_state', 'requests_total', 'error_budget']) {
      expect(parseSlo(`${name} >= 0`).ok).toBe(true);
    }
  });
});

describe('parseSlo never throws', () => {
  it('returns a result with an offset inside the text for any input', () => {
    // Alphabet biased toward the language's own characters, so inputs get deep into the parser.
    const piece = fc.constantFrom('requests', 'p99', '(', ')', 'latency', '{', '}', 'route', '=', '"a"', ',', '<', '>=', '99.5', '%', 'ms', '/', 's', '*', '-', ' ', '.', "'", '\\', 'x_total');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(piece, { maxLength: 12 }).map((a) => a.join(''))), (text) => {
        const r = parseSlo(text);
        if (!r.ok) {
          expect(r.error.offset).toBeGreaterThanOrEqual(0);
          expect(r.error.offset).toBeLessThanOrEqual(text.length);
          expect(r.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500, seed: 42 },
    );
  });
});

describe('printSlo', () => {
  it('prints canonical text', () => {
    expect(printSlo(ok('p999(latency{route="a"})<2s'))).toBe('p99.9(latency{route="a"}) < 2000ms');
    expect(printSlo(ok('(a_total - b_total) - (c_total - d_total) > -1'))).toBe('a_total - b_total - (c_total - d_total) > -1');
  });

  it('round-trips: parsing the printed text gives back the same tree', () => {
    const span = { start: 0, end: 0 };
    const label = fc.constantFrom('route', 'status', 'provider', 'from');
    const matcher: fc.Arbitrary<LabelMatcher> = fc.record({
      label,
      op: fc.constantFrom('=' as const, '!=' as const),
      value: fc.string({ maxLength: 6 }),
      span: fc.constant(span),
    });
    const selector = fc.array(matcher, { maxLength: 2 });
    // Decimals of a few digits: the numbers people write, which print exactly.
    const decimalValue = fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 3 })).map(([n, d]) => n / 10 ** d);
    const number: fc.Arbitrary<ValueExpr> = fc.oneof(
      decimalValue.map((value) => ({ kind: 'number' as const, value, unit: 'number' as const, span })),
      decimalValue.map((v) => ({ kind: 'number' as const, value: Number(`${v}e-2`), unit: 'percent' as const, span })),
      decimalValue.map((value) => ({ kind: 'number' as const, value, unit: 'ms' as const, span })),
    );
    const leaf: fc.Arbitrary<ValueExpr> = fc.oneof(
      number,
      fc.record({ kind: fc.constant('metric' as const), name: fc.constantFrom('requests' as const, 'availability' as const, 'upstream_requests' as const), selector, span: fc.constant(span) }),
      fc.record({ kind: fc.constant('router_metric' as const), name: fc.constantFrom('retry_attempts_total', 'circuit_breaker_state'), selector, span: fc.constant(span) }),
      fc.record({
        kind: fc.constant('latency' as const),
        stat: fc.oneof(
          fc.constantFrom<LatencyStat>({ kind: 'min' }, { kind: 'max' }, { kind: 'mean' }),
          decimalValue.filter((p) => p <= 100).map((percentile): LatencyStat => ({ kind: 'quantile', percentile })),
        ),
        selector,
        span: fc.constant(span),
      }),
    );
    const tree = fc.letrec<{ expr: ValueExpr }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom('+' as const, '-' as const, '*' as const, '/' as const), left: tie('expr'), right: tie('expr'), span: fc.constant(span) }),
        fc.record({ kind: fc.constant('negate' as const), operand: tie('expr'), span: fc.constant(span) }),
      ),
    })).expr;
    const threshold = fc.tuple(decimalValue, fc.boolean(), fc.constantFrom('number' as const, 'percent' as const, 'ms' as const, 'per_second' as const)).map(
      ([v, neg, unit]): NumberNode => ({ kind: 'number', value: (neg && v !== 0 ? -1 : 1) * (unit === 'percent' ? Number(`${v}e-2`) : v), unit, span }),
    );
    const slo = fc.record({
      kind: fc.constant('compare' as const),
      left: tree,
      comparator: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const, '==' as const, '!=' as const),
      threshold,
      span: fc.constant(span),
    });
    fc.assert(
      fc.property(slo, (expr) => {
        const text = printSlo(expr);
        // The syntax alone: random trees are mostly ill-typed, and the printer must not care.
        const back = parseSloSyntax(text);
        expect(back.ok ? shape(back.expr) : back.error).toEqual(shape(expr));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
