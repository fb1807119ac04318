/**
 * Timelines in whole runs over real sockets: a flapping outage, a ramped error rate and a
 * repeated latency toxic, run to the end and interrupted midway. What result.json records
 * — one switch per occurrence, every ramp step with its actual time, and on an aborted run
 * every fault switched off and marked — is the ground truth the report and the SLOs read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultSwitch } from '../../src/model/run.ts';
import { readScenarioFile } from '../../src/scenario/load.ts';
import { executeRun } from '../../src/run/run.ts';
import type { RunResult } from '../../src/model/result.ts';
import { childrenOf } from '../support/processes.ts';

const scenarioFile = new URL('../fixtures/e2e/weather-timelines.yaml', import.meta.url).pathname;
/**
 * Here only that what is recorded tracks the schedule, generously enough for a 2-core machine
 * shared with other test files; test/e2e/fault-fidelity.test.ts holds the 50 ms bound.
 */
const LAG_MS = 400;

async function load() {
  const loaded = await readScenarioFile(scenarioFile);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.scenario;
}

const of = (faults: FaultSwitch[], name: string) => faults.filter((f) => f.fault === name);

describe('timelines in a whole run', () => {
  let reports: string;

  beforeAll(async () => {
    reports = await mkdtemp(join(tmpdir(), 'faultline-timelines-'));
  });

  afterAll(async () => {
    await rm(reports, { recursive: true, force: true });
  });

  describe('run to the end', () => {
    let result: RunResult;
    let html: string;

    beforeAll(async () => {
      const outcome = await executeRun(await load(), { reportsDir: reports, runId: 'full' });
      result = JSON.parse(await readFile(join(outcome.dir, 'result.json'), 'utf8'));
      html = await readFile(join(outcome.dir, 'report.html'), 'utf8');
    }, 60_000);

    it('records each occurrence of the flapping outage and the repeat as its own switch, near its time', () => {
      expect(result.status).toBe('completed');
      const flaps = of(result.faults, 'primary-flaps');
      expect(flaps.map((f) => [f.occurrence, f.shape, f.scheduledOn, f.scheduledOff])).toEqual([
        [1, 'flapping', 500, 1_000],
        [2, 'flapping', 2_000, 2_500],
        [3, 'flapping', 3_500, 4_000],
      ]);
      const lags = of(result.faults, 'backup-lag');
      expect(lags.map((f) => [f.occurrence, f.scheduledOn, f.scheduledOff])).toEqual([
        [1, 200, 600],
        [2, 1_700, 2_100],
      ]);
      for (const f of result.faults) {
        expect(Math.abs(f.on! - f.scheduledOn), `${f.fault}#${f.occurrence} on`).toBeLessThan(LAG_MS);
        expect(Math.abs(f.off! - f.scheduledOff), `${f.fault}#${f.occurrence} off`).toBeLessThan(LAG_MS);
        expect(f.endedEarly).toBeUndefined();
      }
    });

    it('records every ramp step with when it was due, when it took effect and its value', () => {
      const [ramp] = of(result.faults, 'backup-errors');
      expect(ramp!.ramp!.param).toBe('rate');
      expect(ramp!.ramp!.steps.map((s) => [s.scheduled, s.value])).toEqual([
        [1_000, 0],
        [1_500, 0.05],
        [2_000, 0.1],
        [2_500, 0.15],
        [3_000, 0.2],
      ]);
      expect(ramp!.ramp!.steps[0]!.at).toBe(ramp!.on);
      for (const s of ramp!.ramp!.steps) expect(Math.abs(s.at! - s.scheduled), `step at ${s.scheduled}`).toBeLessThan(LAG_MS);
    });

    it('judges `during` a flapping fault from its first switch-on to its last switch-off', () => {
      const flaps = of(result.faults, 'primary-flaps');
      const slo = result.slos.find((s) => s.name === 'the router answers through the flapping')!;
      expect(slo.range).toEqual([flaps[0]!.on, flaps.at(-1)!.off]);
      expect(result.slos.every((s) => s.passed)).toBe(true);
    });

    it('lists every occurrence in the report, each shaded as its own band', () => {
      expect(html.match(/data-fault="primary-flaps"/g)).toHaveLength(3);
      expect(html.match(/data-fault="backup-lag"/g)).toHaveLength(2);
      expect(html).toContain('outage flapping · #2');
      expect(html).toContain('error · ramp rate');
    });
  });

  describe('interrupted midway', () => {
    let result: RunResult;

    beforeAll(async () => {
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      // t = 0 is 250 ms after onStart; abort at about t = 2.2 s, inside the second flap (2–2.5 s).
      const outcome = await executeRun(await load(), {
        reportsDir: reports,
        runId: 'aborted',
        signal: abort.signal,
        onStart: () => (timer = setTimeout(() => abort.abort('test interrupt'), 2_450)),
      });
      clearTimeout(timer);
      result = JSON.parse(await readFile(join(outcome.dir, 'result.json'), 'utf8'));
    }, 60_000);

    it('switches off what was on, records when and marks it ended early', () => {
      expect(result.status).toBe('aborted');
      const flaps = of(result.faults, 'primary-flaps');
      // The third occurrence was never reached: not listed.
      expect(flaps.map((f) => f.occurrence)).toEqual([1, 2]);
      expect(flaps[0]!.endedEarly).toBeUndefined();
      // The abort lands at about 2.2 s, in the second flap (2–2.5 s): it is cut short, unless a
      // very busy machine let its scheduled off come first (the timeline tests pin this down).
      expect(flaps[1]!.endedEarly === true || flaps[1]!.off! >= 2_500).toBe(true);
      const [ramp] = of(result.faults, 'backup-errors');
      expect(ramp).toMatchObject({ endedEarly: true });
      expect(ramp!.off!).toBeLessThan(4_000);
      // Steps due after the switch-off never applied.
      for (const s of ramp!.ramp!.steps) {
        if (s.scheduled > ramp!.off!) expect(s.at, `step at ${s.scheduled}`).toBeNull();
        else if (s.scheduled < ramp!.off! - LAG_MS) expect(s.at, `step at ${s.scheduled}`).not.toBeNull();
      }
      // Nothing is left on: every switch that went on went off again.
      for (const f of result.faults) if (f.on !== null) expect(f.off, `${f.fault}#${f.occurrence}`).not.toBeNull();
    });

    it('leaves no worker process behind', () => {
      expect(childrenOf(process.pid)).toEqual([]);
    });
  });
});
