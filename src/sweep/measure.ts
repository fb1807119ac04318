/**
 * One run of a point, measured: its SLO verdicts (as the run judged them) with their margins,
 * the objectives and the standard figures, each an expression of the SLO language evaluated
 * by src/slo's own evaluator over the whole run — the same code that judges the SLOs, so
 * `p99(latency)` as an objective is what `p99(latency) < 400ms` would have measured. Pure.
 */
import type { RunData } from '../model/run.ts';
import type { RunResult } from '../model/result.ts';
import type { SweepRun } from '../model/sweep.ts';
import { evaluateSlo, kindOf, parseSlo, parseSloSyntax, verdictUnit } from '../slo/index.ts';
import { sloMargin } from './aggregate.ts';

/** The standard figures, as expressions (`cost`: what answered requests cost, `provider_cost_total`). */
export const STANDARD_MEASURES = {
  amplification: 'upstream_requests / requests',
  p50: 'p50(latency)',
  p95: 'p95(latency)',
  p99: 'p99(latency)',
  upstream: 'upstream_requests',
  cost: 'provider_cost_total',
} as const;

/** Objective names that stand for an expression. */
export const OBJECTIVE_ALIASES: Readonly<Record<string, string>> = {
  cost: 'provider_cost_total',
  amplification: 'upstream_requests / requests',
  latency: 'p99(latency)',
  upstream: 'upstream_requests',
};

/**
 * A metric expression made into an SLO the evaluator takes: the expression `>=` a zero of its
 * kind (`0ms` for a duration). Only the measured value is used; the comparison is not. The
 * parse error in words when the expression is not one.
 */
export function measurable(expr: string): { ok: true; slo: string; unit: string } | { ok: false; error: string } {
  const syntax = parseSloSyntax(`${expr} >= 0`);
  let zero = '0';
  if (syntax.ok) {
    const k = kindOf(syntax.expr.left);
    const kind = k.ok ? k.kind : undefined;
    if (kind === 'duration') zero = '0ms';
    else if (kind === 'rate') zero = '0/s';
  }
  const slo = `${expr} >= ${zero}`;
  const parsed = parseSlo(slo);
  if (!parsed.ok) {
    const e = parsed.error;
    // Offsets past the expression point at the zero we added: the expression is incomplete.
    return { ok: false, error: e.offset < expr.length ? `${e.message} (at character ${e.offset + 1})` : e.message };
  }
  return { ok: true, slo, unit: verdictUnit(parsed.expr) };
}

/** The value of a measurable SLO (from `measurable`) over the whole run; null when nothing to measure. */
export function measure(slo: string, data: RunData): number | null {
  return evaluateSlo({ name: 'objective', expr: slo, window: { kind: 'run' } }, data).value;
}

/** A run as a sweep keeps it. `objectives`: measurable SLOs (from `measurable`). */
export function summarizeRun(result: RunResult, data: RunData, objectives: readonly string[], wallMs: number): SweepRun {
  const m = (e: string) => measure(measurableOrThrow(e), data);
  return {
    seed: result.environment.seed,
    passed: result.slos.every((s) => s.passed) && result.status === 'completed',
    slos: result.slos.map((s) => ({ passed: s.passed, value: s.value, margin: sloMargin(s) })),
    objectives: objectives.map((o) => measure(o, data)),
    metrics: {
      amplification: m(STANDARD_MEASURES.amplification),
      p50: m(STANDARD_MEASURES.p50),
      p95: m(STANDARD_MEASURES.p95),
      p99: m(STANDARD_MEASURES.p99),
      upstream: m(STANDARD_MEASURES.upstream),
      // A router without costs exports no cost counter: no cost, rather than "unknown metric".
      cost: hasMetric(data, 'provider_cost_total') ? m(STANDARD_MEASURES.cost) : null,
    },
    wallMs,
  };
}

const cache = new Map<string, string>();
function measurableOrThrow(expr: string): string {
  let slo = cache.get(expr);
  if (slo === undefined) {
    const r = measurable(expr);
    if (!r.ok) throw new Error(`${expr}: ${r.error}`);
    slo = r.slo;
    cache.set(expr, slo);
  }
  return slo;
}

function hasMetric(data: RunData, name: string): boolean {
  return data.scrapes.some((s) => s.samples.some((x) => x.name === name));
}
