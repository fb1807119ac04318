/**
 * `import 'faultline/vitest'` adds `toMeetSLOs()` to Vitest's `expect`: a run's result passes
 * when the run completed and every SLO it declares held. On failure it prints each failing
 * SLO with what was measured, the threshold, the margin and the window — the lines the CLI
 * prints — so a CI log says what broke without opening the report.
 *
 * @example
 *   import { runScenario } from 'faultline';
 *   import 'faultline/vitest';
 *   test('checkout survives a payments outage', async () => {
 *     expect(await runScenario('chaos/checkout.yaml')).toMeetSLOs();
 *   }, 60_000);
 *   test('the broken twin is caught', async () => {
 *     expect(await runScenario('chaos/checkout.broken.yaml')).not.toMeetSLOs();
 *   }, 60_000);
 */
import { expect } from 'vitest';
import type { RunResult } from './model/result.ts';
import { sloVerdictLines } from './report/slo-lines.ts';

declare module 'vitest' {
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> {
    /** The run completed and every SLO it declares held (a run declaring none does not pass). */
    toMeetSLOs(): R;
  }
}

function isRunResult(v: unknown): v is RunResult {
  return v !== null && typeof v === 'object' && Array.isArray((v as RunResult).slos) && typeof (v as RunResult).runId === 'string';
}

expect.extend({
  toMeetSLOs(received: unknown) {
    if (received instanceof Promise) {
      return { pass: false, message: () => 'toMeetSLOs() received a Promise: await runScenario(...) first' };
    }
    if (!isRunResult(received)) {
      return { pass: false, message: () => `toMeetSLOs() expects the result of runScenario(), got ${this.utils.stringify(received)}` };
    }
    const r = received;
    const failing = r.slos.filter((s) => !s.passed);
    const held = r.slos.length - failing.length;
    const pass = r.status === 'completed' && r.slos.length > 0 && failing.length === 0;
    const head = `scenario ${r.scenario.name} (run ${r.runId}): ${held}/${r.slos.length} SLOs held`;
    const why: string[] = [];
    if (r.status === 'aborted') why.push(`the run was aborted (${r.abortReason ?? 'no reason recorded'}): its SLOs cover only the part that ran`);
    if (r.slos.length === 0) why.push('the scenario declares no SLOs, so there is nothing to meet');
    // A result.json written before `warnings` existed has none.
    for (const w of r.warnings ?? []) why.push(`warning: ${w}`);
    const lines = sloVerdictLines(r.slos);
    return {
      pass,
      message: () =>
        pass
          ? `expected scenario ${r.scenario.name} to breach an SLO, but every one held (run ${r.runId}):\n${lines.join('\n')}`
          : `expected scenario ${r.scenario.name} to meet its SLOs — ${head}\n${[...why, ...lines].join('\n')}`,
    };
  },
});
