/**
 * A parameter sweep's outcome as sweep.json holds it (`faultline sweep`, src/sweep): the
 * parameters and how their values were chosen, every point with every seed's run, the
 * aggregates over seeds, the Pareto front over the objectives among the feasible points, the
 * recommended point and why, and (with `--confirm`) whether a live run of it agreed.
 *
 * The report layer (src/report/sweep*.ts) reads only these types. Versioned on its own
 * (`SWEEP_FORMAT_VERSION`): a sweep file is not a result.json.
 */

/** 2: seeds in rounds — `seedRounds`, per point `seedsRun` and `stoppedEarly`, `timing.plannedRuns`. */
export const SWEEP_FORMAT_VERSION = 2;

/** A value a parameter takes, as it is written into the document: `50ms`, `20%`, `full`, `3`, or `off` (removed). */
export type SweepValue = string | number | boolean;

/** The value `on` in a list: the document's own value, no override (so `retry.budget=on,off` is "as written" vs removed). */
export const KEEP = 'on';

/** One `--param path=values`, parsed. */
export interface SweepParam {
  /** The doc-path (src/config/doc-path.ts), e.g. `retry.backoff.base`, `faults[brownout].to`. */
  path: string;
  /** As given on the command line after `=`. */
  spec: string;
  /** Which document the path is about (src/scenario/variants.ts `settingSide`). */
  side: 'scenario' | 'router';
  /**
   * `list`: the values as given. `range`: numbers from `lo` to `hi` in `unit` (`ms`, `s`, `%`,
   * `/s`, or '' for a plain number), `linear` or `log` spaced; `values` is the grid's.
   */
  kind: 'list' | 'range';
  values: SweepValue[];
  range?: { lo: number; hi: number; unit: string; spacing: 'linear' | 'log'; integer: boolean };
}

/** How the points were chosen. */
export type SweepMethod = { kind: 'grid' } | { kind: 'random'; n: number; seed: number; sampling: 'latin-hypercube' };

/** What the sweep optimises: a metric expression of the SLO language, evaluated over the whole run. */
export interface SweepObjective {
  /** As named: `p99(latency)`, `upstream_requests / requests`, `cost`. */
  name: string;
  /** The expression evaluated (`cost` is `provider_cost_total`). */
  expr: string;
  direction: 'min' | 'max';
  /** How its values read (the SLO language's units: `ms`, `ratio`, `count`, …). */
  unit: string;
}

/** min, median and max over a point's seeds (null: not measured on any seed). */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** One seed's run of one point. */
export interface SweepRun {
  seed: number;
  /** Every SLO met on this seed. */
  passed: boolean;
  /** Per SLO, in the scenario's order: met, the value measured, and the margin (positive: headroom; negative: short by). */
  slos: { passed: boolean; value: number | null; margin: number | null }[];
  /** Per objective, in `SweepReport.objectives` order. */
  objectives: (number | null)[];
  /** The standard figures: retry amplification, latency percentiles (ms), upstream calls, cost. */
  metrics: RunMetrics;
  /** Wall time of this run, ms (the simulator's, or the live run's). */
  wallMs: number;
}

export interface RunMetrics {
  amplification: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  upstream: number | null;
  cost: number | null;
}

/** An SLO over a point's seeds. */
export interface SloAcrossSeeds {
  /** Met on every seed. */
  passed: boolean;
  /** Seeds on which it failed. */
  failedSeeds: number;
  /** The worst seed's margin, in the verdict's unit (null: unmeasured on some seed — a failure). */
  worstMargin: number | null;
  /** The worst margin relative to the threshold (margin / |threshold|; null when the threshold is 0). */
  worstRelative: number | null;
  /** max − min of the value over seeds. */
  valueSpread: number | null;
}

export interface SweepPoint {
  /** 0-based, in generation order; the CSV's and the page's point number. */
  id: number;
  /** The value of each parameter, by path (a parameter at `on` is absent: the document's own). */
  settings: Record<string, SweepValue>;
  /** The seeds run, in seed order: all of `SweepReport.seeds` unless the point stopped early. */
  runs: SweepRun[];
  /** `runs.length`: fewer than the sweep's seeds when a seed settled the point infeasible. */
  seedsRun: number;
  /**
   * Why the later seeds were not run (seeds in rounds): `seed 42 breached herd-peak`. The
   * point's spreads and failed-seed counts are then over `seedsRun` seeds only.
   */
  stoppedEarly?: string;
  /** Why the point could not run at all (an invalid combination the router config rejects), if so. */
  error?: string;
  /** Every SLO met on every seed. */
  feasible: boolean;
  slos: SloAcrossSeeds[];
  /** Per objective: the spread over seeds. */
  objectives: (Spread | null)[];
  /**
   * Per objective: the value the front compares — the worst seed (the largest for a minimised
   * objective, the smallest for a maximised one): what the point guarantees over the seeds tried.
   */
  worst: (number | null)[];
  metrics: { [K in keyof RunMetrics]: Spread | null };
}

export interface SweepRecommendation {
  point: number;
  /** The rule, in words (the same for every sweep with this many objectives). */
  rule: string;
  /** Why this point, in words, with the figures. */
  reason: string;
}

/** A live run of the recommended point, against the simulation. */
export interface SweepConfirmation {
  point: number;
  seed: number;
  runDir: string;
  status: 'completed' | 'aborted';
  /** Every SLO's verdict and every objective agreed. */
  agreed: boolean;
  rule: string;
  slos: { name: string; sim: boolean; live: boolean; liveValue: number | null; agreed: boolean }[];
  objectives: { name: string; sim: Spread | null; live: number | null; tolerance: number | null; agreed: boolean }[];
}

export interface SweepReport {
  formatVersion: number;
  kind: 'faultline-sweep';
  id: string;
  scenario: { name: string; file: string };
  mode: 'sim' | 'live';
  startedAt: string;
  /** `aborted`: interrupted; the points that finished are here. */
  status: 'completed' | 'aborted';
  method: SweepMethod;
  seeds: number[];
  /**
   * `race`: seeds in rounds — a point's next seed only while every seed so far met every SLO
   * (an infeasible point stops at its first breach; the feasible ones, hence the front and the
   * recommendation, are as with every seed). `all` (`--all-seeds`): every seed of every point.
   */
  seedRounds: 'race' | 'all';
  params: SweepParam[];
  objectives: SweepObjective[];
  slos: { name: string; expression: string; window: string; threshold: number; unit: string }[];
  /** Points generated; `points` holds those that ran (all of them unless aborted). */
  planned: number;
  points: SweepPoint[];
  /** Ids of the feasible points on the Pareto front, best first by the first objective. */
  front: number[];
  recommended: SweepRecommendation | null;
  /** When no point is feasible: the one that came closest, and by how much it missed. */
  nearestMiss: { point: number; reason: string } | null;
  confirmation?: SweepConfirmation;
  /** `runs`: done; `plannedRuns`: points × seeds (more than `runs` when points stopped early). */
  timing: { wallMs: number; runs: number; plannedRuns: number; workers: number; msPerRun: number };
}
