/**
 * junit.xml for CI pages: one `<testsuite>` per run (classname the scenario), one
 * `<testcase>` per SLO. A suite writes one file with a `<testsuite>` per scenario
 * (`renderSuiteJunit`). The file says what the exit code says (`outcome`/`gate` in
 * format.ts): the gate holds exactly when the file has no failure and no error.
 *
 * - A missed SLO is a `<failure>` with its message, expression, measured value and window.
 * - A broken twin (`expect: fail`) is judged by its expectation, as vitest's `test.fails`:
 *   its missed SLOs are passing testcases that say "failed as expected" in `<system-out>`
 *   (the run exits 0, alone or in a suite), and if every SLO held, a `verdict` testcase fails
 *   (exit 1).
 * - An aborted run (Ctrl-C, a crash) judged nothing in full: every SLO is `<skipped>` with
 *   what the part that ran showed, and a `run` testcase carries the `<error>` (exit 130 or 2).
 * - A run stopped by an `abortOnFail` SLO: that SLO is the `<failure>` (or, for a twin, the
 *   expected failure), the SLOs it cut short are `<skipped>`; no error, since the stop was asked for.
 *
 * Times (`time=`) are seconds, to the millisecond.
 */
import { formatSeconds, formatSloPair, formatWindow, outcome, secondsValue } from './format.ts';
import type { RunResult, SloVerdict } from '../model/result.ts';

// XML 1.0 forbids these outright (even escaped): C0 controls other than tab/LF/CR, lone
// surrogates, U+FFFE and U+FFFF. A stray one from a provider's error text would make the file unparseable.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for an XML element's content; characters XML cannot carry become U+FFFD. */
export function escapeXmlText(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes text for a double- or single-quoted attribute value. Tab and line breaks become
 * character references, since a parser would otherwise normalise them to spaces.
 */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(pairs: Record<string, string | number | undefined>): string {
  return Object.entries(pairs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function detail(slo: SloVerdict): string {
  const pair = formatSloPair(slo);
  return [`expected: ${slo.expression}, measured: ${pair.value}`, `window: ${formatWindow(slo)}`, `samples: ${slo.samples}`].join('\n');
}

interface Case {
  name: string;
  body: string;
  failed: boolean;
  errored: boolean;
  skipped: boolean;
}

const element = (tag: string, message: string, type: string, text: string) =>
  `\n      <${tag}${attrs({ message, type })}>${escapeXmlText(text)}</${tag}>\n    `;

/** The testcases of one run, as the module comment maps them. */
function cases(result: RunResult): Case[] {
  const verdict = outcome(result);
  const twin = result.expected === 'fail';
  const stopper = result.abortedOnFail?.slo;
  const unjudged = verdict.kind === 'aborted' || stopper !== undefined;
  const stoppedAt = formatSeconds(result.abortedOnFail?.atMs ?? result.durationMs);
  const list: Case[] = result.slos.map((slo) => {
    const none = { name: slo.name, body: '', failed: false, errored: false, skipped: false };
    if (unjudged && slo.name !== stopper) {
      const why = stopper !== undefined ? `the run stopped at ${stoppedAt} when SLO "${stopper}" breached (abortOnFail)` : `the run was aborted at ${stoppedAt}`;
      const message = `not judged: ${why}`;
      return { ...none, skipped: true, body: element('skipped', message, 'aborted', `${message}; over the part that ran: ${slo.message}\n${detail(slo)}`) };
    }
    if (slo.passed) return none;
    if (twin) {
      const out = `failed as expected (broken twin): ${slo.message}\n${detail(slo)}`;
      return { ...none, body: `\n      <system-out>${escapeXmlText(out)}</system-out>\n    ` };
    }
    const message = slo.name === stopper ? `${slo.message} (breached at ${stoppedAt}; abortOnFail stopped the run)` : slo.message;
    return { ...none, failed: true, body: element('failure', message, 'slo', detail(slo)) };
  });
  const none = { body: '', failed: false, errored: false, skipped: false };
  if (verdict.kind === 'unexpected-pass') {
    const message = 'expected the run to fail (broken twin), but every SLO held';
    list.push({ ...none, name: 'verdict', failed: true, body: element('failure', message, 'expected-fail', `${message}: the SLOs do not catch the fault this twin injects`) });
  }
  if (verdict.kind === 'aborted') {
    const message = `run aborted: ${result.abortReason ?? 'no reason recorded'}`;
    const text = `${message}\nmeasured ${formatSeconds(result.durationMs)} before it stopped; the SLOs are not judged (skipped), what the part that ran showed is in their messages`;
    list.push({ ...none, name: 'run', errored: true, body: element('error', message, 'aborted', text) });
  }
  return list;
}

export interface SuiteCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function count(list: Case[]): SuiteCounts {
  return {
    tests: list.length,
    failures: list.filter((c) => c.failed).length,
    errors: list.filter((c) => c.errored).length,
    skipped: list.filter((c) => c.skipped).length,
  };
}

/** One run's `<testsuite>` element (indented for a `<testsuites>`), and its counts. */
function testsuite(result: RunResult): { lines: string[]; counts: SuiteCounts } {
  const scenario = result.scenario.name;
  const list = cases(result);
  const counts = count(list);
  const properties = {
    runId: result.runId,
    scenarioFile: result.scenario.file,
    status: result.status,
    verdict: result.verdict,
    expected: result.expected,
    outcome: outcome(result).kind,
    ...(result.abortReason !== undefined && { abortReason: result.abortReason }),
    seed: String(result.environment.seed),
    node: result.environment.node,
    toxiproxy: result.environment.toxiproxy,
  };
  const lines = [
    `  <testsuite${attrs({ name: scenario, ...counts, time: secondsValue(result.durationMs), timestamp: result.startedAt, hostname: result.environment.host })}>`,
    '    <properties>',
    ...Object.entries(properties).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
    ...list.map((c) => `    <testcase${attrs({ classname: scenario, name: c.name, time: 0 })}${c.body ? `>${c.body}</testcase>` : '/>'}`),
    '  </testsuite>',
  ];
  return { lines, counts };
}

/** A scenario of a suite that produced no result (its environment did not start): one errored testcase. */
export interface SuiteError {
  scenario: string;
  message: string;
}

function errorSuite(e: SuiteError): { lines: string[]; counts: SuiteCounts } {
  const message = `the environment did not start: ${e.message}`;
  return {
    counts: { tests: 1, failures: 0, errors: 1, skipped: 0 },
    lines: [
      `  <testsuite${attrs({ name: e.scenario, tests: 1, failures: 0, errors: 1, skipped: 0, time: 0 })}>`,
      `    <testcase${attrs({ classname: e.scenario, name: 'environment', time: 0 })}>${element('error', message, 'environment', message)}</testcase>`,
      '  </testsuite>',
    ],
  };
}

function document(suites: { lines: string[]; counts: SuiteCounts }[], seconds: string): string {
  const total = { tests: 0, failures: 0, errors: 0 };
  for (const s of suites) {
    total.tests += s.counts.tests;
    total.failures += s.counts.failures;
    total.errors += s.counts.errors;
  }
  // `<testsuites>` takes no `skipped` in the JUnit schema CI systems read (Jenkins' junit-10.xsd): it stays on each `<testsuite>`.
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attrs({ name: 'faultline', ...total, time: seconds })}>`, ...suites.flatMap((s) => s.lines), '</testsuites>', ''].join('\n');
}

/** The junit.xml document for a run. */
export function renderJunit(result: RunResult): string {
  return document([testsuite(result)], secondsValue(result.durationMs));
}

/**
 * The suite's one junit.xml: a `<testsuite>` per scenario run, in order, and one per
 * scenario whose environment did not start. `wallMs`: the suite's wall time.
 */
export function renderSuiteJunit(results: readonly RunResult[], errors: readonly SuiteError[] = [], wallMs?: number): string {
  const seconds = secondsValue(wallMs ?? results.reduce((a, r) => a + r.durationMs, 0));
  return document([...results.map(testsuite), ...errors.map(errorSuite)], seconds);
}
