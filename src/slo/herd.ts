/**
 * The herd signature in the SLO language: the numerics are the model's (src/model/herd.ts,
 * where the report reads them too); here, which bin a scenario's SLOs ask for.
 */
import type { SloExpr, ValueExpr } from './ast.ts';
import { parseSlo } from './parse.ts';
export { binArrivals, MAX_PERIODICITY_WORK, MIN_PERIODICITY_BINS, peakToMean, periodicity, type Periodicity } from '../model/herd.ts';

/**
 * The finest bin any of these SLOs' `peak_to_mean`/`periodicity` names; undefined when none
 * reads the herd. The result keeps its fine bins at this width, so the report draws what the
 * SLOs judged.
 */
export function finestHerdBin(specs: readonly { expr: string | SloExpr }[]): number | undefined {
  let finest: number | undefined;
  const walk = (n: ValueExpr): void => {
    if (n.kind === 'arrivals') finest = Math.min(finest ?? Infinity, n.binMs);
    else if (n.kind === 'negate') walk(n.operand);
    else if (n.kind === 'binary') {
      walk(n.left);
      walk(n.right);
    }
  };
  for (const spec of specs) {
    const parsed = typeof spec.expr === 'string' ? parseSlo(spec.expr) : { ok: true as const, expr: spec.expr };
    if (parsed.ok) walk(parsed.expr.left);
  }
  return finest;
}
