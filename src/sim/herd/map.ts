/**
 * The metastability map: over a grid of offered load × trigger length, does the system
 * recover once the trigger ends, or stay stuck? Each cell is the scenario with two fields
 * changed on its model — `load.rate` and the trigger fault's window (`toMs` = `fromMs` +
 * the length) — run (in virtual time, by the `simulate` it is given) and judged by
 * `analyzeRecovery` (src/slo/recovery.ts). Bronson et al.'s stable / vulnerable / metastable states
 * read off it: at low load every trigger is survived (stable); above some load a long enough
 * trigger tips the system into a state it does not leave (vulnerable → metastable). The
 * edge between them is what a retry budget, a breaker or jitter should move; each router
 * config named as a variant gets a map of its own on the same grid.
 *
 * The map logic only; the tables, JSON rows and HTML are map-render.ts's.
 */
import type { Scenario } from '../../model/scenario.ts';
import type { FaultSpec } from '../../model/faults/index.ts';
import type { RunResult } from '../../model/result.ts';
import { analyzeRecovery, RECOVERY_DEFAULTS, type RecoveryCriteria, type RecoveryOutcome } from '../../slo/index.ts';

/** What the map needs of a simulator: `simulateScenario` (src/sim/index.ts) fits. */
export type Simulate = (scenario: Scenario, options?: { seed?: number }) => Promise<{ result: RunResult }>;

/** A router config the map is drawn for; `router` null: the scenario's own. */
export interface MapVariant {
  name: string;
  router: string | null;
}

export interface MapSpec {
  scenario: Scenario;
  /** The fault whose window is varied; absent: the scenario's only fault. */
  trigger?: string;
  /** Offered loads, requests per second. */
  loads: number[];
  /** Trigger lengths, ms. */
  triggersMs: number[];
  /** Absent: the scenario as written only. */
  variants?: MapVariant[];
  /** Absent: the scenario's. */
  seed?: number;
  criteria?: Partial<RecoveryCriteria>;
}

export interface MapCell {
  variant: string;
  load: number;
  triggerMs: number;
  state: RecoveryOutcome['state'];
  recoveredAfterMs: number | null;
  peakAmplification: number | null;
  /** Goodput over every second after the trigger. */
  afterGoodput: number | null;
  summary: string;
}

export interface MetastabilityMap {
  scenario: { name: string; file: string };
  trigger: string;
  /** When the trigger starts in every cell, ms since the run's start. */
  triggerFromMs: number;
  durationMs: number;
  seed: number;
  loads: number[];
  triggersMs: number[];
  variants: MapVariant[];
  criteria: RecoveryCriteria;
  /** Variant by variant, then load, then trigger length, in the order given. */
  cells: MapCell[];
}

export const AS_WRITTEN: MapVariant = { name: 'as written', router: null };

/** A problem with the map's input, said before any cell runs. */
export class MapInputError extends Error {}

/** The trigger fault: the one named, else the scenario's only fault. */
export function triggerFault(scenario: Scenario, name?: string): FaultSpec {
  if (name !== undefined) {
    const f = scenario.faults.find((x) => x.name === name);
    if (!f) throw new MapInputError(`no fault named \`${name}\` in ${scenario.name} (its faults: ${scenario.faults.map((x) => x.name).join(', ') || 'none'})`);
    return f;
  }
  if (scenario.faults.length === 1) return scenario.faults[0]!;
  if (scenario.faults.length === 0) throw new MapInputError(`${scenario.name} has no fault: a map needs a trigger`);
  throw new MapInputError(`${scenario.name} has ${scenario.faults.length} faults: name the trigger (--trigger ${scenario.faults.map((x) => x.name).join('|')})`);
}

/** The defaults: 50 %–150 % of the scenario's rate, and ¼× to 2× the trigger as written (those that fit the run). */
export function defaultGrid(scenario: Scenario, trigger?: string): { loads: number[]; triggersMs: number[] } {
  const f = triggerFault(scenario, trigger);
  const rate = scenario.load.model === 'open' ? scenario.load.rate : 0;
  const length = f.toMs - f.fromMs;
  const loads = [0.5, 0.75, 1, 1.25, 1.5].map((k) => round(rate * k));
  const triggersMs = [0.25, 0.5, 1, 2].map((k) => Math.round(length * k)).filter((ms) => ms > 0 && f.fromMs + ms <= scenario.load.durationMs);
  return { loads, triggersMs };
}

/** Every problem with a map's input at once: a closed model, a repeating trigger, cells that do not fit the run. */
export function checkMapSpec(spec: MapSpec): string[] {
  const problems: string[] = [];
  const s = spec.scenario;
  if (s.load.model !== 'open') problems.push(`${s.name} has a closed load model: a map varies the offered load, which needs an open model (load.model: open, a rate)`);
  let f: FaultSpec | undefined;
  try {
    f = triggerFault(s, spec.trigger);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (f?.repeat || f?.flap) problems.push(`the trigger \`${f.name}\` repeats or flaps: a map varies one window, so give it a single one`);
  if (f) {
    const tooLong = spec.triggersMs.filter((ms) => f.fromMs + ms > s.load.durationMs);
    if (tooLong.length) problems.push(`trigger length(s) ${tooLong.map((ms) => `${ms} ms`).join(', ')} end after the run (${s.load.durationMs} ms; the trigger starts at ${f.fromMs} ms)`);
  }
  if (spec.loads.length === 0 || spec.loads.some((l) => !(l > 0) || !Number.isFinite(l))) problems.push('loads must be positive numbers of requests per second, at least one');
  if (spec.triggersMs.length === 0 || spec.triggersMs.some((t) => !(t > 0) || !Number.isFinite(t))) problems.push('trigger lengths must be positive durations, at least one');
  const variants = spec.variants ?? [AS_WRITTEN];
  if (variants.some((v) => v.router !== null) && s.target.kind !== 'router') problems.push(`${s.name}'s target is not the reference router (target.router): a variant router config has nothing to replace`);
  const names = variants.map((v) => v.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) problems.push(`variant name(s) given twice: ${[...new Set(twice)].join(', ')}`);
  return problems;
}

/** One cell's scenario: the offered load, the trigger's length and the router config changed, nothing else. */
export function cellScenario(scenario: Scenario, cell: { load: number; triggerMs: number; router: string | null }, trigger?: string): Scenario {
  const f = triggerFault(scenario, trigger);
  if (scenario.load.model !== 'open') throw new MapInputError(`${scenario.name} has a closed load model`);
  const faults = scenario.faults.map((x) => (x === f ? { ...x, toMs: x.fromMs + cell.triggerMs } : x));
  const target = cell.router === null ? scenario.target : scenario.target.kind === 'router' ? { kind: 'router' as const, config: cell.router } : scenario.target;
  return { ...scenario, target, load: { ...scenario.load, rate: cell.load }, faults };
}

/** Runs every cell (in order, one at a time: the simulator is single-threaded) and judges it. */
export async function buildMap(spec: MapSpec, simulate: Simulate, onCell?: (cell: MapCell, done: number, total: number) => void): Promise<MetastabilityMap> {
  const problems = checkMapSpec(spec);
  if (problems.length) throw new MapInputError(problems.join('\n'));
  const s = spec.scenario;
  const f = triggerFault(s, spec.trigger);
  const variants = spec.variants ?? [AS_WRITTEN];
  const seed = spec.seed ?? s.seed;
  const criteria = { ...RECOVERY_DEFAULTS, ...spec.criteria };
  const cells: MapCell[] = [];
  const total = variants.length * spec.loads.length * spec.triggersMs.length;
  for (const variant of variants) {
    for (const load of spec.loads) {
      for (const triggerMs of spec.triggersMs) {
        const scenario = cellScenario(s, { load, triggerMs, router: variant.router }, f.name);
        const { result } = await simulate(scenario, { seed });
        const r = analyzeRecovery(result, { trigger: f.name, criteria });
        const cell: MapCell = {
          variant: variant.name,
          load,
          triggerMs,
          state: r.state,
          recoveredAfterMs: r.recoveredAfterMs,
          peakAmplification: r.peakAmplification,
          afterGoodput: r.after.goodput,
          summary: r.summary,
        };
        cells.push(cell);
        onCell?.(cell, cells.length, total);
      }
    }
  }
  return {
    scenario: { name: s.name, file: s.file },
    trigger: f.name,
    triggerFromMs: f.fromMs,
    durationMs: s.load.durationMs,
    seed,
    loads: [...spec.loads],
    triggersMs: [...spec.triggersMs],
    variants,
    criteria,
    cells,
  };
}

/** Share of a variant's cells that recovered: the region the edge encloses. */
export function recoveredShare(map: MetastabilityMap, variant: string): number {
  const cells = map.cells.filter((c) => c.variant === variant);
  if (cells.length === 0) throw new MapInputError(`no variant \`${variant}\` in this map (${map.variants.map((v) => v.name).join(', ')})`);
  return cells.filter((c) => c.state === 'recovered').length / cells.length;
}

/**
 * Per trigger length, the lowest load at which the variant got stuck (null: it recovered at
 * every load): the edge of the metastable region, column by column.
 */
export function stuckEdge(map: MetastabilityMap, variant: string): { triggerMs: number; lowestStuckLoad: number | null }[] {
  return map.triggersMs.map((triggerMs) => {
    const stuck = map.cells.filter((c) => c.variant === variant && c.triggerMs === triggerMs && c.state === 'stuck').map((c) => c.load);
    return { triggerMs, lowestStuckLoad: stuck.length ? Math.min(...stuck) : null };
  });
}

/**
 * Each load's row in Bronson et al.'s words: *stable* when the system recovered from every
 * trigger on the grid, *vulnerable* when some trigger left it stuck (it is healthy until
 * then: the stuck cells are its metastable states), *unknown* when a cell was undetermined
 * and none stuck.
 */
export function loadStates(map: MetastabilityMap, variant: string): { load: number; state: 'stable' | 'vulnerable' | 'unknown'; shortestStuckTriggerMs: number | null }[] {
  return map.loads.map((load) => {
    const row = map.cells.filter((c) => c.variant === variant && c.load === load);
    const stuck = row.filter((c) => c.state === 'stuck').map((c) => c.triggerMs);
    const state = stuck.length ? 'vulnerable' : row.every((c) => c.state === 'recovered') ? 'stable' : 'unknown';
    return { load, state, shortestStuckTriggerMs: stuck.length ? Math.min(...stuck) : null };
  });
}

const round = (x: number) => Math.round(x * 100) / 100;
