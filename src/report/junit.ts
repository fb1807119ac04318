/**
 * junit.xml for CI pages: one `<testsuite>` per run, one `<testcase>` per SLO (classname the
 * scenario, name the SLO). A missed SLO is a `<failure>`; an aborted run adds a `run` testcase
 * with an `<error>`.
 *
 * A broken twin (`expected: fail`) is judged by its expectation, so a CI page stays green when
 * the twin fails as it should: its missed SLOs are passing testcases that say "failed as
 * expected" in `<system-out>`, and if every SLO held, a `verdict` testcase fails instead.
 */
import { formatSloPair, outcome } from './format.ts';
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
  return [
    `expected: ${slo.expression}, measured: ${pair.value}`,
    `window: ${slo.window}${slo.range ? ` (${slo.range[0]}–${slo.range[1]} ms)` : ' (never opened)'}`,
    `samples: ${slo.samples}`,
  ].join('\n');
}

interface Case {
  name: string;
  body: string;
  failed: boolean;
  errored: boolean;
}

/** The junit.xml document for a run. */
export function renderJunit(result: RunResult): string {
  const scenario = result.scenario.name;
  const twin = result.expected === 'fail';
  const cases: Case[] = result.slos.map((slo) => {
    if (slo.passed) return { name: slo.name, body: '', failed: false, errored: false };
    if (twin) {
      const out = `failed as expected (broken twin): ${slo.message}\n${detail(slo)}`;
      return { name: slo.name, body: `\n      <system-out>${escapeXmlText(out)}</system-out>\n    `, failed: false, errored: false };
    }
    const failure = `<failure${attrs({ message: slo.message, type: 'slo' })}>${escapeXmlText(detail(slo))}</failure>`;
    return { name: slo.name, body: `\n      ${failure}\n    `, failed: true, errored: false };
  });
  const verdict = outcome(result);
  if (verdict.kind === 'unexpected-pass') {
    const message = 'expected the run to fail (broken twin), but every SLO held';
    cases.push({
      name: 'verdict',
      body: `\n      <failure${attrs({ message, type: 'expected-fail' })}>${escapeXmlText(`${message}: the SLOs do not catch the fault this twin injects`)}</failure>\n    `,
      failed: true,
      errored: false,
    });
  }
  if (result.status === 'aborted') {
    const message = `run aborted: ${result.abortReason ?? 'no reason recorded'}`;
    const text = `${message}\nmeasured ${result.durationMs} ms before it stopped; the SLO results above cover only that part`;
    cases.push({ name: 'run', body: `\n      <error${attrs({ message, type: 'aborted' })}>${escapeXmlText(text)}</error>\n    `, failed: false, errored: true });
  }

  const seconds = (result.durationMs / 1000).toFixed(3);
  const counts = {
    tests: cases.length,
    failures: cases.filter((c) => c.failed).length,
    errors: cases.filter((c) => c.errored).length,
  };
  const properties = {
    runId: result.runId,
    scenarioFile: result.scenario.file,
    status: result.status,
    verdict: result.verdict,
    expected: result.expected,
    seed: String(result.environment.seed),
    node: result.environment.node,
    toxiproxy: result.environment.toxiproxy,
  };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'faultline', ...counts, time: seconds })}>`,
    `  <testsuite${attrs({ name: scenario, ...counts, skipped: 0, time: seconds, timestamp: result.startedAt, hostname: result.environment.host })}>`,
    '    <properties>',
    ...Object.entries(properties).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
    ...cases.map((c) => `    <testcase${attrs({ classname: scenario, name: c.name, time: 0 })}${c.body ? `>${c.body}</testcase>` : '/>'}`),
    '  </testsuite>',
    '</testsuites>',
    '',
  ];
  return lines.join('\n');
}
