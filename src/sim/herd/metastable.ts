/**
 * The metastable case (Bronson, Aghayev, Charapko, Zhu, "Metastable Failures in Distributed
 * Systems", HotOS 2021, §2.1), run with its variants: the scenario as written
 * (scenarios/incidents/metastable.broken.yaml: a vulnerable system — 65 % load behind one
 * immediate retry — and a 2 s brown-out), the same at lower load, and the same behind each
 * router config beside its own (`VARIANTS`: the fix with a retry budget, a breaker, jitter).
 * Each run is judged by `analyzeRecovery` (src/slo/recovery.ts): recovered, and when, or stuck.
 *
 * The paper's finding, which the runs are checked against (metastable.test.ts):
 *  - in the vulnerable state a short trigger leaves the system stuck after it ends: work
 *    amplification (abandoned requests still served, each retried) holds the load above
 *    capacity with the trigger gone;
 *  - in the stable state (lower load: even doubled it fits the capacity) the same trigger
 *    is survived;
 *  - removing the sustaining effect — a retry budget, or a breaker that sheds load — lets
 *    the system recover. Jitter alone spreads the retries in time but keeps their number
 *    (one per failed request), so with a single retry it is not expected to help; it is
 *    run so the output shows which it is.
 */
import { dirname, basename, join } from 'node:path';
import type { Scenario } from '../../model/scenario.ts';
import { analyzeRecovery, type RecoveryOutcome } from '../../slo/index.ts';
import { cellScenario, MapInputError, triggerFault, type Simulate } from './map.ts';

/** The lower load: 60 % of the scenario's, so that even doubled by the retry it stays below capacity in the case as written (2 × 42/s < 107/s). */
export const LOWER_LOAD_FRACTION = 0.6;

/**
 * The variant router configs beside the case's own `<stem>.broken.yaml`: the fix, its twin
 * `<stem>.yaml` (a retry budget), then `<stem>.breaker.yaml` and `<stem>.jitter.yaml`.
 */
export const VARIANTS = [
  { name: 'budget', file: (stem: string) => `${stem}.yaml` },
  { name: 'breaker', file: (stem: string) => `${stem}.breaker.yaml` },
  { name: 'jitter', file: (stem: string) => `${stem}.jitter.yaml` },
] as const;

export interface MetastableCase {
  name: string;
  /** What it changes, in words. */
  change: string;
  scenario: Scenario;
}

export interface MetastableRun {
  name: string;
  change: string;
  rate: number;
  router: string;
  outcome: RecoveryOutcome;
}

/** A variant's router config, beside the case's `<stem>.broken.yaml`. */
export function variantRouter(config: string, variant: (typeof VARIANTS)[number]): string {
  const file = basename(config);
  if (!file.endsWith('.broken.yaml')) throw new MapInputError(`the case's router config ${file} is not a broken twin (<stem>.broken.yaml): its variants are found beside it as <stem>.yaml, <stem>.breaker.yaml, <stem>.jitter.yaml`);
  return join(dirname(config), variant.file(file.slice(0, -'.broken.yaml'.length)));
}

/** The case as written, at lower load, and behind each variant router config. */
export function metastableCases(scenario: Scenario): MetastableCase[] {
  if (scenario.target.kind !== 'router') throw new MapInputError(`${scenario.name}'s target is not the reference router: its variants are router configs`);
  if (scenario.load.model !== 'open') throw new MapInputError(`${scenario.name} has a closed load model: the case varies the offered load`);
  const f = triggerFault(scenario);
  const trigger = { triggerMs: f.toMs - f.fromMs };
  const rate = scenario.load.rate;
  const config = scenario.target.config;
  const lower = Math.round(rate * LOWER_LOAD_FRACTION * 100) / 100;
  return [
    { name: 'as written', change: `${rate}/s behind ${basename(config)}`, scenario },
    { name: 'lower load', change: `${lower}/s instead of ${rate}/s`, scenario: cellScenario(scenario, { ...trigger, load: lower, router: null }) },
    ...VARIANTS.map((v) => {
      const router = variantRouter(config, v);
      return { name: v.name, change: `router ${basename(router)}`, scenario: cellScenario(scenario, { ...trigger, load: rate, router }) };
    }),
  ];
}

/** Runs every case (one at a time) with the same seed and judges each. */
export async function runMetastable(scenario: Scenario, simulate: Simulate, options: { seed?: number } = {}): Promise<MetastableRun[]> {
  const runs: MetastableRun[] = [];
  const trigger = triggerFault(scenario).name;
  for (const c of metastableCases(scenario)) {
    const { result } = await simulate(c.scenario, options.seed === undefined ? {} : { seed: options.seed });
    const router = c.scenario.target.kind === 'router' ? c.scenario.target.config : '';
    runs.push({ name: c.name, change: c.change, rate: c.scenario.load.model === 'open' ? c.scenario.load.rate : 0, router, outcome: analyzeRecovery(result, { trigger }) });
  }
  return runs;
}

/** One line per run: recovered or stuck, when, peak amplification, goodput after the trigger. */
export function renderMetastable(runs: MetastableRun[], heading: string): string {
  const rows = runs.map((r) => [
    r.name,
    r.change,
    r.outcome.state === 'recovered' ? `recovered ${((r.outcome.recoveredAfterMs ?? 0) / 1000).toFixed(1)} s after` : r.outcome.state,
    r.outcome.peakAmplification === null ? 'n/a' : `${r.outcome.peakAmplification.toFixed(2)}×`,
    r.outcome.after.goodput === null ? 'n/a' : `${Math.round(r.outcome.after.goodput * 100)} %`,
  ]);
  const head = ['run', 'change', 'after the trigger', 'peak amplification', 'goodput after'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [heading, '', line(head), ...rows.map(line)].join('\n');
}
