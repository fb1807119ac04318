/**
 * Did a run recover after its trigger ended, and when? The test Bronson et al. ("Metastable
 * Failures in Distributed Systems", HotOS 2021) put to a system: a trigger (a brown-out, an
 * outage) pushes it into overload; a system in the *vulnerable* state that a sustaining
 * effect (here: retries of requests whose client already left) keeps overloaded after the
 * trigger has gone is in the *metastable* state — stuck. Pure: it reads a run's per-second
 * series and fault switches (a live run's result or a simulated one's), nothing else; from a
 * run's raw data, `perSecond` buckets them the way src/collect/series.ts does, so the SLO
 * metric `recovery_time(<fault>)` and the metastable study (src/sim/herd) share this one
 * definition.
 *
 * The definition, per one-second bucket of the series (requests by when they were due,
 * upstream calls by when the provider received them):
 *  - offered  = requests due in the bucket (ok + 4xx + 5xx + errors);
 *  - goodput  = requests due in it that succeeded (`ok`), as a share of offered;
 *  - amplification = calls every provider received in the bucket / offered.
 * A bucket is *healthy* when it has requests, goodput ≥ `minGoodput` and amplification
 * ≤ `maxAmplification`. The run *recovered* at the first bucket start s at or after the
 * trigger's end from which every bucket to the end of the run is healthy, with at least
 * `holdMs` of them; `recoveredAfterMs` = s − the trigger's end. No such s with at least
 * `holdMs` of buckets after the trigger: *stuck*. Fewer than `holdMs` after the trigger:
 * *undetermined* (the run is too short to tell), never a guess.
 *
 * The defaults, and why (`RECOVERY_DEFAULTS`):
 *  - minGoodput 90 %: a healthy system at these loads serves ~100 % of each second's
 *    requests, a stuck one ~0 %; 90 % leaves room for Poisson bursts (a 70-request second
 *    may lose 7) while no stuck second comes near it.
 *  - maxAmplification 1.5: with nothing failing the backend receives 1.0× the offered load;
 *    stuck behind one retry it receives ~2×, behind five ~3–5×. 1.5 splits them with room
 *    for the few retries a healthy second still sends.
 *  - holdMs 5 s: to the end of the run *and* at least five seconds, so one lucky second in
 *    which the queue happened to drain does not count as recovery.
 */
import type { RunResult, RunSeries } from '../model/result.ts';
import type { FaultSwitch, RunData } from '../model/run.ts';

/** The parts of a run's per-second series the analysis reads. */
export type RecoverySeries = Pick<RunSeries, 't' | 'ok' | 'status4xx' | 'status5xx' | 'errors' | 'upstream'>;

export interface RecoveryCriteria {
  /** Least share of a second's offered requests that must succeed (0–1). */
  minGoodput: number;
  /** Most upstream calls per offered request in a second. */
  maxAmplification: number;
  /** Least time, ms, the healthy stretch to the end of the run must last. */
  holdMs: number;
}

export const RECOVERY_DEFAULTS: RecoveryCriteria = { minGoodput: 0.9, maxAmplification: 1.5, holdMs: 5000 };

/** One second of the run as the analysis sees it. */
export interface SecondStats {
  /** Bucket start, ms since the run's start. */
  t: number;
  offered: number;
  /** Share of `offered` that succeeded; null without requests. */
  goodput: number | null;
  /** Upstream calls / offered; null without requests. */
  amplification: number | null;
  healthy: boolean;
}

export interface RecoveryOutcome {
  state: 'recovered' | 'stuck' | 'undetermined';
  /** When the trigger ended (its last switch-off), ms since the run's start. */
  triggerEndMs: number;
  /** State `recovered`: bucket start from which the run stayed healthy, ms since the run's start. */
  recoveredAtMs: number | null;
  /** recoveredAtMs − triggerEndMs. */
  recoveredAfterMs: number | null;
  /** Highest amplification of any second of the run with requests. */
  peakAmplification: number | null;
  /** Goodput and amplification over all seconds after the trigger together (null: none). */
  after: { goodput: number | null; amplification: number | null; seconds: number };
  /** Seconds during or after the trigger that were unhealthy: 0 says the trigger did no visible harm. */
  unhealthySeconds: number;
  /** The one line a person reads: `recovered 1.0 s after the trigger` / `stuck: goodput 3 % …`. */
  summary: string;
  criteria: RecoveryCriteria;
}

/** Options: which faults are the trigger (absent: every fault of the run), and the criteria. */
export interface RecoveryOptions {
  trigger?: string | string[];
  criteria?: Partial<RecoveryCriteria>;
}

/** Per-second goodput and amplification, as defined above. */
export function secondStats(series: RecoverySeries, durationMs: number, criteria: RecoveryCriteria = RECOVERY_DEFAULTS): SecondStats[] {
  const out: SecondStats[] = [];
  const upstreams = Object.values(series.upstream);
  for (let i = 0; i < series.t.length; i++) {
    const t = series.t[i]! * 1000;
    // Only whole seconds: a last partial bucket holds fewer requests and would read as a dip.
    if (t + 1000 > durationMs) break;
    const offered = (series.ok[i] ?? 0) + (series.status4xx[i] ?? 0) + (series.status5xx[i] ?? 0) + (series.errors[i] ?? 0);
    const calls = upstreams.reduce((sum, s) => sum + (s[i] ?? 0), 0);
    const goodput = offered > 0 ? (series.ok[i] ?? 0) / offered : null;
    const amplification = offered > 0 ? calls / offered : null;
    const healthy = goodput !== null && amplification !== null && goodput >= criteria.minGoodput && amplification <= criteria.maxAmplification;
    out.push({ t, offered, goodput, amplification, healthy });
  }
  return out;
}

/**
 * A run's raw data in one-second buckets, as `buildSeries` (src/collect/series.ts) makes them
 * for result.json: requests by due time, classed by status (1xx–3xx ok, 4xx, 5xx, 0 errors),
 * upstream calls by arrival per `provider` or `provider@region`; records before t = 0 left out.
 * The SLO layer may not import the collector, so the few lines are here; recovery.test.ts
 * checks they agree with `buildSeries`.
 */
export function perSecond(data: Pick<RunData, 'requests' | 'upstream' | 'durationMs'>): RecoverySeries {
  let last = Math.ceil(Math.max(0, data.durationMs) / 1000) - 1;
  for (const r of data.requests) if (r.due >= 0) last = Math.max(last, Math.floor(r.due / 1000));
  for (const u of data.upstream) if (u.t >= 0) last = Math.max(last, Math.floor(u.t / 1000));
  const n = last + 1;
  const zeros = () => new Array<number>(n).fill(0);
  const series: RecoverySeries = { t: Array.from({ length: n }, (_, i) => i), ok: zeros(), status4xx: zeros(), status5xx: zeros(), errors: zeros(), upstream: {} };
  for (const r of data.requests) {
    if (r.due < 0) continue;
    const i = Math.floor(r.due / 1000);
    if (r.status === 0) series.errors[i]!++;
    else if (r.status >= 500) series.status5xx[i]!++;
    else if (r.status >= 400) series.status4xx[i]!++;
    else series.ok[i]!++;
  }
  for (const u of data.upstream) {
    if (u.t < 0) continue;
    const key = u.region ? `${u.provider}@${u.region}` : u.provider;
    (series.upstream[key] ??= zeros())[Math.floor(u.t / 1000)]!++;
  }
  return series;
}

/** When the trigger last switched off: its `off`, or when it was due to if it never did. */
export function triggerWindow(faults: FaultSwitch[], trigger?: string | string[]): { startMs: number; endMs: number } {
  const names = trigger === undefined ? undefined : new Set(Array.isArray(trigger) ? trigger : [trigger]);
  const chosen = faults.filter((f) => !names || names.has(f.fault));
  if (chosen.length === 0) {
    const known = [...new Set(faults.map((f) => f.fault))];
    throw new Error(
      names ? `no fault named ${[...names].map((n) => `\`${n}\``).join(', ')} in this run (its faults: ${known.join(', ') || 'none'})` : 'this run has no fault: there is no trigger to recover from',
    );
  }
  return {
    startMs: Math.min(...chosen.map((f) => f.on ?? f.scheduledOn)),
    endMs: Math.max(...chosen.map((f) => f.off ?? f.scheduledOff)),
  };
}

/** The recovery test on a run's result (its series, duration and fault switches). */
export function analyzeRecovery(result: Pick<RunResult, 'durationMs' | 'faults'> & { series: RecoverySeries }, options: RecoveryOptions = {}): RecoveryOutcome {
  const criteria = { ...RECOVERY_DEFAULTS, ...options.criteria };
  const { startMs, endMs } = triggerWindow(result.faults, options.trigger);
  const seconds = secondStats(result.series, result.durationMs, criteria);
  const after = seconds.filter((s) => s.t >= endMs);
  const withLoad = seconds.filter((s) => s.amplification !== null);
  const peakAmplification = withLoad.length ? Math.max(...withLoad.map((s) => s.amplification!)) : null;
  const unhealthySeconds = seconds.filter((s) => s.t + 1000 > startMs && !s.healthy).length;
  const offeredAfter = after.reduce((n, s) => n + s.offered, 0);
  const afterSummary = {
    goodput: offeredAfter ? after.reduce((n, s) => n + (s.goodput ?? 0) * s.offered, 0) / offeredAfter : null,
    amplification: offeredAfter ? after.reduce((n, s) => n + (s.amplification ?? 0) * s.offered, 0) / offeredAfter : null,
    seconds: after.length,
  };
  // Walk back from the end: the healthy stretch that reaches the end of the run.
  let from = after.length;
  while (from > 0 && after[from - 1]!.healthy) from--;
  const stretchMs = (after.length - from) * 1000;
  const base = { triggerEndMs: endMs, peakAmplification, after: afterSummary, unhealthySeconds, criteria };
  if (after.length * 1000 < criteria.holdMs) {
    return {
      ...base,
      state: 'undetermined',
      recoveredAtMs: null,
      recoveredAfterMs: null,
      summary: `undetermined: only ${after.length} whole second(s) after the trigger ended at ${fmtS(endMs)}, ${fmtS(criteria.holdMs)} needed`,
    };
  }
  if (from < after.length && stretchMs >= criteria.holdMs) {
    const at = after[from]!.t;
    return { ...base, state: 'recovered', recoveredAtMs: at, recoveredAfterMs: at - endMs, summary: `recovered ${fmtS(at - endMs)} after the trigger ended` };
  }
  return {
    ...base,
    state: 'stuck',
    recoveredAtMs: null,
    recoveredAfterMs: null,
    summary: `stuck: after the trigger ended at ${fmtS(endMs)}, goodput ${pct(afterSummary.goodput)}, amplification ${ratio(afterSummary.amplification)} to the end of the run`,
  };
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (f: number | null) => (f === null ? 'n/a' : `${Math.round(f * 100)} %`);
const ratio = (f: number | null) => (f === null ? 'n/a' : `${f.toFixed(2)}×`);
