import { describe, expect, it } from 'vitest';
import type { SloExpr } from './ast.ts';
import { kindOf, validateSlo, verdictUnit } from './check.ts';
import { parseSlo, parseSloSyntax } from './parse.ts';

function tree(text: string): SloExpr {
  const r = parseSloSyntax(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.expr;
}

describe('validateSlo: units must agree', () => {
  it.each([
    ['p99(latency) < 99%', 15, 'cannot compare `p99(latency)`, a duration, with a percentage'],
    ['availability < 400ms', 15, 'cannot compare `availability`, a ratio, with a duration'],
    ['p99(latency) < 400', 15, 'expected a duration threshold for `p99(latency)` (e.g. 400ms, 2s), found a number without unit'],
    ['errors < 1%', 9, 'did you mean `error_rate`?'],
    ['successes >= 99%', 13, 'did you mean `availability`?'],
    ['upstream_requests > 5%', 20, 'divide by requests for a fraction'],
    ['throughput > 50%', 13, 'cannot compare `throughput`, a rate per second, with a percentage'],
    ['requests > 5/s', 11, 'cannot compare `requests`, a count, with a rate per second'],
    ['retry_attempts_total > 1%', 23, 'a count, with a percentage'],
    ['p99(latency) + requests > 1', 0, 'cannot add a duration and a count'],
    ['p99(latency) + 5 < 1s', 0, 'write `5ms`'],
    ['requests * errors > 1', 0, 'cannot multiply a count and a count'],
    ['requests / p50(latency) > 1', 0, 'cannot divide a count and a duration'],
    ['2 * 3 > 1', 0, 'measures nothing'],
    ['requests{region="eu"} > 1', 9, '`region` is not a label of requests: expected one of route, status'],
    ['p99(latency{provider="a"}) < 1s', 12, 'not a label of latency'],
    ['upstream_requests{route="a"} > 1', 18, 'expected one of provider, region, endpoint, status'],
    ['requests{status="5xy"} > 1', 9, 'expected a status like "5xx", "503" or "error"'],
    ['requests{status="600"} > 1', 9, 'expected a status like'],
  ])('%j is refused at %i', (text, offset, message) => {
    const r = parseSlo(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(message);
    expect(r.error.offset).toBe(offset);
  });

  it.each([
    'availability >= 99.5%',
    'availability >= 0.995',
    'error_rate < 1%',
    'upstream_requests / requests <= 1.3',
    'upstream_requests{provider="weather-backup"} / requests >= 90%',
    'p99(latency) / p50(latency) < 5',
    'p99(latency) - p50(latency) < 100ms',
    '2 * p99(latency) < 1s',
    'p99(latency) / 2 < 1s',
    '1 - availability < 0.5%',
    'errors / requests < 1%',
    'throughput >= 50/s',
    'throughput >= 50',
    'throughput{status="2xx"} / throughput > 90%',
    'retry_attempts_total / requests <= 0.3',
    'circuit_breaker_state{provider="a"} == 0',
    'circuit_breaker_state < 50%',
    'requests{status="error"} == 0',
    'requests{status="503", route!="GET /"} >= 0',
    'upstream_requests{status="5XX"} >= 0',
    'availability{route="checkout"} >= 99%',
  ])('%j is accepted', (text) => {
    const r = parseSlo(text);
    expect(r.ok ? null : r.error).toBeNull();
  });
});

describe('kindOf', () => {
  it('knows the kind of each metric and the algebra of units', () => {
    const kind = (text: string) => {
      const k = kindOf(tree(`${text} > 0`).left);
      return k.ok ? k.kind : k.error.message;
    };
    expect(kind('requests')).toBe('count');
    expect(kind('availability')).toBe('ratio');
    expect(kind('throughput')).toBe('rate');
    expect(kind('mean(latency)')).toBe('duration');
    expect(kind('retry_attempts_total')).toBe('count');
    expect(kind('request_duration_seconds_count')).toBe('count');
    expect(kind('circuit_breaker_state')).toBe('number');
    expect(kind('upstream_requests / requests')).toBe('ratio');
    expect(kind('p99(latency) / p50(latency)')).toBe('ratio');
    expect(kind('availability * requests')).toBe('count');
    expect(kind('-p99(latency)')).toBe('duration');
    expect(kind('3 * 2')).toBe('number');
  });
});

describe('verdictUnit', () => {
  it('reads a ratio against a percentage as a percentage, and against a number as a ratio', () => {
    expect(verdictUnit(tree('availability >= 99.5%'))).toBe('percent');
    expect(verdictUnit(tree('upstream_requests / requests <= 1.3'))).toBe('ratio');
    expect(verdictUnit(tree('p99(latency) < 400ms'))).toBe('ms');
    expect(verdictUnit(tree('throughput > 5'))).toBe('per_second');
    expect(verdictUnit(tree('requests > 5'))).toBe('count');
    expect(verdictUnit(tree('circuit_breaker_state == 0'))).toBe('count');
  });
});

describe('validateSlo on trees built by hand', () => {
  it('checks labels that never went through the parser', () => {
    const span = { start: 7, end: 9 };
    const expr: SloExpr = {
      kind: 'compare',
      left: { kind: 'metric', name: 'requests', selector: [{ label: 'rout', op: '=', value: 'a', span }], span: { start: 0, end: 9 } },
      comparator: '>',
      threshold: { kind: 'number', value: 1, unit: 'number', span: { start: 12, end: 13 } },
      span: { start: 0, end: 13 },
    };
    expect(validateSlo(expr)).toEqual({ message: '`rout` is not a label of requests: expected one of route, status; did you mean `route`?', offset: 7 });
  });
});
