import { describe, expect, it } from 'vitest';
import './vitest.ts';
import { abortedRun, completedRun } from './report/testing.ts';
import type { RunResult } from './model/result.ts';

const passing = (): RunResult => {
  const r = completedRun();
  return { ...r, verdict: 'pass', slos: r.slos.map((s) => ({ ...s, passed: true })) };
};

/** The message a failing assertion throws. */
const failure = (assert: () => void): string => {
  try {
    assert();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion did not fail');
};

describe('toMeetSLOs()', () => {
  it('passes a completed run whose SLOs all held, and .not fails it with the SLOs listed', () => {
    expect(passing()).toMeetSLOs();
    const msg = failure(() => expect(passing()).not.toMeetSLOs());
    expect(msg).toContain('expected scenario payments-eu-outage to breach an SLO');
    expect(msg).toMatch(/✓ availability/);
  });

  it('fails a breached run, naming each failing SLO with value, threshold and margin', () => {
    const run = completedRun();
    const failed = run.slos.find((s) => !s.passed)!;
    const msg = failure(() => expect(run).toMeetSLOs());
    expect(msg).toContain(`${run.slos.length - 1}/${run.slos.length} SLOs held`);
    expect(msg).toMatch(new RegExp(`✗ ${failed.name.slice(0, 20)}.*(over|short) by`));
    expect(msg).toContain(failed.window);
    expect(() => expect(run).not.toMeetSLOs()).not.toThrow();
  });

  it('fails an aborted run even where the SLOs measured so far held, and says why', () => {
    const r = abortedRun();
    const run: RunResult = { ...r, slos: r.slos.map((s) => ({ ...s, passed: true })) };
    expect(failure(() => expect(run).toMeetSLOs())).toMatch(/aborted \(.+\): its SLOs cover only the part that ran/);
  });

  it('fails a run that declares no SLOs: there would be nothing to meet', () => {
    expect(failure(() => expect({ ...passing(), slos: [] }).toMeetSLOs())).toContain('declares no SLOs');
  });

  it('carries the run warnings into the message', () => {
    const run = { ...completedRun(), warnings: ['provider quotes received no request: is the service calling its proxy?'] };
    expect(failure(() => expect(run).toMeetSLOs())).toContain('warning: provider quotes received no request');
  });

  it('says what to do when given a promise or something else', () => {
    expect(failure(() => expect(Promise.resolve(passing())).toMeetSLOs())).toContain('await runScenario');
    expect(failure(() => expect({ not: 'a result' }).toMeetSLOs())).toContain('expects the result of runScenario()');
  });
});
