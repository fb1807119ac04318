/**
 * Parameter sweeps (`faultline sweep`): the front door of src/sweep for the API and the CLI.
 * Pure parts: values.ts (the `--param` language), points.ts (grid, Latin hypercube),
 * aggregate.ts (a point over its seeds), front.ts (Pareto front, recommendation, nearest
 * miss), measure.ts (objectives through src/slo's evaluator), race.ts (seeds in rounds). The shell: plan.ts (checks
 * against the scenario through the variants loader), sweep.ts (runs, confirmation, files),
 * pool.ts and sim-worker.ts (worker threads).
 */
export { parseParam, showValue, DEFAULT_STEPS } from './values.ts';
export { gridPoints, gridSize, randomPoints } from './points.ts';
export { aggregatePoint, spread, sloMargin } from './aggregate.ts';
export { dominates, paretoFront, paretoIndices, recommend, nearestMiss, KNEE_RULE } from './front.ts';
export { measurable, summarizeRun } from './measure.ts';
export { raceSeeds, breachOf, type RaceOptions, type RacedPoint } from './race.ts';
export { planSweep, parseObjective, DEFAULT_OBJECTIVES, type SweepPlan, type PlanInput } from './plan.ts';
export { runSweep, confirmSweep, writeSweepReports, agreement, AGREEMENT_RULE, type SweepRunOptions } from './sweep.ts';
export { runSimTask, type SimInit, type SimTask } from './sim-task.ts';
