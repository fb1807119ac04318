/**
 * One point × seed in virtual time: what a pool worker does per task, and what the
 * benchmark's one-thread baseline calls directly. A worker gets the scenarios once
 * (`SimInit`, at its start) and then only small tasks: which scenario, the point's router
 * settings, the seed. It sends back the run as the sweep keeps it (`SweepRun`), never the
 * RunResult or RunData, which are hundreds of kB per run.
 */
import type { RouterSetting, Scenario } from '../model/scenario.ts';
import type { SweepRun } from '../model/sweep.ts';
import { simulateScenario, SimUnsupportedError } from '../sim/index.ts';
import { summarizeRun } from './measure.ts';

/** What every worker holds for the whole sweep. */
export interface SimInit {
  /** The base scenario and one per distinct combination of scenario-side settings, validated. */
  scenarios: Scenario[];
  /** The objectives as measurable SLOs (`measurable`). */
  objectives: string[];
  binMs?: number;
}

export interface SimTask {
  scenario: number;
  set: RouterSetting[];
  seed: number;
}

export type TaskReply = { ok: true; run: SweepRun } | { ok: false; error: string };

/** A scenario with a point's router settings (after any it already has) and a seed. */
export function pointScenario(s: Scenario, set: readonly RouterSetting[], seed: number): Scenario {
  if (set.length === 0) return { ...s, seed };
  if (s.target.kind !== 'router') throw new Error(`${s.name}: router settings need a router target`);
  return { ...s, seed, target: { ...s.target, set: [...(s.target.set ?? []), ...set] } };
}

export async function runSimTask(init: SimInit, task: SimTask): Promise<TaskReply> {
  const base = init.scenarios[task.scenario];
  if (!base) return { ok: false, error: `no scenario ${task.scenario}` };
  try {
    const o = await simulateScenario(pointScenario(base, task.set, task.seed), { ...(init.binMs !== undefined && { binMs: init.binMs }) });
    return { ok: true, run: summarizeRun(o.result, o.data, init.objectives, o.stats.wallMs) };
  } catch (err) {
    // A combination the router config rejects (base above cap, say) is that point's error, not the sweep's.
    if (err instanceof SimUnsupportedError) return { ok: false, error: err.problems.join('; ') };
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
