/**
 * `abortOnFail`: judging SLOs while the run is going, to stop it at the first breach (as k6's
 * thresholds with `abortOnFail` do). Pure: the run (src/run/run.ts) hands over the data so
 * far each second; this says whether an SLO marked `abortOnFail` is already breached.
 *
 * The rule, as k6's: an SLO is judged over the data so far in its window — the requests that
 * had finished by now (one still in flight is not counted yet, so a timeout only counts once
 * it happened: the live verdict is never harsher than the final one would be over the same
 * requests), the upstream calls and scrapes so far — and only
 * - once its window has opened (`during`: its fault has switched on; `recovery`: its fault
 *   has switched off; `run`: at t = 0), and
 * - once `grace` has passed since then (default 0), because a handful of early samples would
 *   otherwise stop a run on noise, and
 * - when it has a value: "nothing to judge yet" (no requests in the window) never stops a run.
 * `recovery_time(...)` is refused by the loader: "not recovered yet" is not "never recovered".
 */
import type { RunData } from '../model/run.ts';
import type { SloVerdict } from '../model/result.ts';
import { evaluateSlo, type SloSpec } from './evaluate.ts';
import { resolveWindow } from './window.ts';

/** An SLO with its `abortOnFail` setting, as the scenario carries it. */
export interface AbortableSlo extends SloSpec {
  abortOnFail?: { graceMs: number };
}

/** An abortOnFail SLO found breached while the run was going. */
export interface Breach {
  slo: string;
  /** When, ms since t = 0. */
  atMs: number;
  /** Its verdict over the data so far: what the result keeps for it. */
  verdict: SloVerdict;
  /** The result's `abortReason`: `SLO "availability" breached at 4.0 s: availability 61 % < 99 % …`. */
  reason: string;
}

/** The SLOs of a scenario that can stop its run. */
export function abortingSlos<S extends AbortableSlo>(slos: readonly S[]): S[] {
  return slos.filter((s) => s.abortOnFail !== undefined);
}

/**
 * The run's data as of `nowMs` (ms since t = 0): what had happened by then. The parts may
 * hold later records (a fault's off stamped after now is not yet an off).
 */
export function dataSoFar(parts: Omit<RunData, 'durationMs'>, nowMs: number): RunData {
  return {
    startedAt: parts.startedAt,
    durationMs: nowMs,
    requests: parts.requests.filter((r) => r.end <= nowMs),
    upstream: parts.upstream.filter((u) => u.t <= nowMs),
    faults: parts.faults.map((f) => ({
      ...f,
      on: f.on !== null && f.on <= nowMs ? f.on : null,
      off: f.off !== null && f.off <= nowMs && f.on !== null && f.on <= nowMs ? f.off : null,
    })),
    scrapes: parts.scrapes.filter((s) => s.t <= nowMs),
  };
}

/**
 * The first abortOnFail SLO (in the scenario's order) breached over `data` (the data so far,
 * `data.durationMs` being now), or undefined. See the module comment for when one is judged.
 *
 * @example
 *   const b = findBreach(abortingSlos(scenario.slos), dataSoFar(parts, now));
 *   if (b) stop.abort(b.reason);
 */
export function findBreach(slos: readonly AbortableSlo[], data: RunData): Breach | undefined {
  const now = data.durationMs;
  for (const spec of slos) {
    if (!spec.abortOnFail) continue;
    const range = resolveWindow(spec.window, data);
    if (!range || now < range[0] + spec.abortOnFail.graceMs) continue;
    const verdict = evaluateSlo(spec, data);
    if (verdict.passed || verdict.value === null) continue;
    return { slo: spec.name, atMs: now, verdict, reason: `SLO ${JSON.stringify(spec.name)} breached at ${(now / 1000).toFixed(1)} s: ${verdict.message}` };
  }
  return undefined;
}
