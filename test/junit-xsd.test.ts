/**
 * faultline's junit.xml against the JUnit XML schema CI systems read (test/fixtures/junit/,
 * see its README), with a real validator: libxml2's, as xmllint-wasm (WebAssembly, offline).
 * Every shape the reporter makes is checked: pass, failures, a broken twin either way, an
 * aborted run (skipped + error), a run stopped by abortOnFail, a suite's aggregate with an
 * environment error, and hostile names (<, &, ", control characters).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { renderJunit, renderSuiteJunit } from '../src/report/junit.ts';
import { abortedRun, completedRun } from '../src/report/testing.ts';
import type { RunResult } from '../src/model/result.ts';

const root = new URL('..', import.meta.url).pathname;
const schemas = [join(root, 'test/fixtures/junit/junit.xsd'), ...(process.env.FAULTLINE_JUNIT_XSD ? [process.env.FAULTLINE_JUNIT_XSD] : [])];

async function validate(xml: string): Promise<string[]> {
  const problems: string[] = [];
  for (const path of schemas) {
    const schema = await readFile(path, 'utf8');
    const r = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: schema }] });
    problems.push(...r.errors.map((e) => `${path}: ${e.rawMessage}`));
  }
  return problems;
}

function hostile(): RunResult {
  const run = completedRun();
  run.scenario.name = `pay <&"> 'eu' \u0001\u001f ]]> <![CDATA[`;
  run.slos[0]!.name = '</testcase><testcase name="injected">';
  run.slos[1]!.name = 'p99 <400ms & "fast"\ttab';
  run.slos[1]!.message = 'p99 612ms > 400ms\nsecond line \u0001\u0008 with control chars & <tag> \uFFFF \uD800 end';
  run.environment.host = 'host"&<';
  return run;
}

function twin(passed: boolean): RunResult {
  const run = completedRun();
  run.expected = 'fail';
  if (passed) {
    run.verdict = 'pass';
    run.slos = run.slos.map((s) => ({ ...s, passed: true }));
  }
  return run;
}

function stoppedOnFail(): RunResult {
  const run = abortedRun();
  const slo = run.slos.find((s) => !s.passed) ?? run.slos[0]!;
  slo.passed = false;
  run.abortedOnFail = { slo: slo.name, atMs: 6000 };
  run.abortReason = `SLO "${slo.name}" breached at 6 s: ${slo.message}`;
  return run;
}

describe('junit.xml validates against the JUnit schema', () => {
  const cases: [string, () => string][] = [
    ['a run with a failure', () => renderJunit(completedRun())],
    ['a run where every SLO held', () => renderJunit({ ...completedRun(), verdict: 'pass', slos: completedRun().slos.map((s) => ({ ...s, passed: true })) })],
    ['a broken twin that failed as expected', () => renderJunit(twin(false))],
    ['a broken twin that passed', () => renderJunit(twin(true))],
    ['an aborted run', () => renderJunit(abortedRun())],
    ['a run stopped by abortOnFail', () => renderJunit(stoppedOnFail())],
    ['hostile names and messages', () => renderJunit(hostile())],
    ['a suite aggregate with an environment error', () => renderSuiteJunit([completedRun(), abortedRun(), twin(false), hostile()], [{ scenario: 'no <env> & "x"', message: 'port 8080 taken \u0007' }], 93_500)],
  ];
  for (const [name, render] of cases) {
    it(name, async () => {
      expect(await validate(render())).toEqual([]);
    });
  }

  it('the validator does reject what the schema forbids (so the checks above can fail)', async () => {
    const good = renderJunit(completedRun());
    expect(await validate(good.replace('<testsuites ', '<testsuites skipped="1" '))).not.toEqual([]);
    expect(await validate(good.replace(/ tests="\d+"/, ' tests="many"'))).not.toEqual([]);
    expect(await validate(good.replace('<testcase ', '<testcase status="x" '))).not.toEqual([]);
    expect(await validate(good.replace(/<testcase classname="[^"]*" name="[^"]*"/, '<testcase'))).not.toEqual([]);
  });

  it('keeps hostile names as data: the injected testcase is not a testcase', () => {
    const xml = renderJunit(hostile());
    expect(xml.match(/<testcase /g)).toHaveLength(hostile().slos.length);
    expect(xml).not.toContain('<testcase name="injected">');
  });
});
