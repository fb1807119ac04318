/**
 * faultline's programmatic API: what the CLI does, callable from a test or a script.
 *
 * @example
 *   import { runScenario } from 'faultline';
 *   import 'faultline/vitest';
 *   test('checkout survives a payments outage', async () => {
 *     expect(await runScenario('chaos/checkout.yaml')).toMeetSLOs();
 *   }, 60_000);
 */
export { runScenario, loadScenario, validateScenario, ScenarioError } from './api.ts';
export type { LoadOptions, RunScenarioOptions, ScenarioInput, ScenarioOverrides, SimulateScenarioOptions, Validation } from './api.ts';
export { simulateScenario } from './api.ts';
export { SimUnsupportedError } from './sim/index.ts';
export type { SimOptions, SimOutcome } from './sim/index.ts';
export { EnvironmentError } from './run/environment.ts';
export { formatIssues, type ConfigIssue } from './config/issues.ts';
export { formatSummary } from './report/summary.ts';
export type { RunResult, SloVerdict, LatencySummary, RunSeries, ProviderEndpoint } from './model/result.ts';
export type { Scenario } from './model/scenario.ts';
export type { SweepReport, SweepPoint, SweepRun, SweepParam, SweepObjective, SweepConfirmation } from './model/sweep.ts';
export type { HandlerModuleContext, HandlerModuleExport } from './providers/user-handlers.ts';
