import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { abortedRun, completedRun } from './testing.ts';
import { formatSummary } from './summary.ts';

const ANSI = /\u001b\[/;

describe('formatSummary', () => {
  const reports = ['reports/payments-eu-outage/r1/result.json', 'reports/payments-eu-outage/r1/report.html'];

  it('prints the verdict, each SLO with its margin, the load and the report paths', () => {
    const text = formatSummary(completedRun(), { color: false, reports });
    expect(text).not.toMatch(ANSI);
    const lines = text.split('\n');
    expect(lines[0]).toBe('✗ FAIL  payments-eu-outage  5/6 SLOs held · 20 s · run 20250314T101500Z-7f3a9c');
    expect(text).toContain('✓ availability               99.6 % ≥ 99.5 %');
    expect(text).toContain('✗ p99 latency during outage  612.4ms < 400ms (over by 212.4ms)  during stripe-eu-down · 497 samples');
    expect(text).toMatch(/load {4}open 50\/s poisson · 998 requests · availability 99.6 % · 49.9\/s · p50 19.2ms p99 240.5ms max 1.2s/);
    expect(text).toContain(`  reports ${reports[0]}\n          ${reports[1]}\n`);
    expect(lines.length).toBeLessThan(25);
  });

  it('with colour, says the same under the escape codes', () => {
    const plain = formatSummary(completedRun(), { color: false, reports });
    const coloured = formatSummary(completedRun(), { color: true, reports });
    expect(coloured).toMatch(ANSI);
    expect(stripVTControlCharacters(coloured)).toBe(plain);
  });

  it('flags an aborted run with its reason', () => {
    const text = formatSummary(abortedRun(), { color: false });
    expect(text).toContain('⚠ ABORTED: interrupted by SIGINT (Ctrl-C) at 12.4 s');
    // The header says ABORTED, not FAIL, and does not count SLOs over part of the run as held.
    expect(text.split('\n')[0]).toMatch(/^✗ ABORTED {2}payments-eu-outage {2}SLOs not judged \(\d\/6 held over the part that ran\) · stopped at 12.4 s · run /);
    expect(text).not.toMatch(/SLOs held ·/);
  });

  it('puts the warnings at the top, right under the verdict, and keeps the verdict', () => {
    const run = completedRun();
    run.warnings = ['provider `quotes` received no request at all: the target is not calling it through its proxy at http://127.0.0.1:40002'];
    const lines = formatSummary(run, { color: false }).split('\n');
    expect(lines[0]).toMatch(/^✗ FAIL {2}payments-eu-outage/);
    expect(lines[1]).toBe(`⚠ WARNING: ${run.warnings[0]}`);
  });

  it('reads a broken twin against its expectation', () => {
    const twin = completedRun();
    twin.expected = 'fail';
    expect(formatSummary(twin, { color: false })).toMatch(/^✓ EXPECTED FAIL {2}payments-eu-outage/);
    twin.verdict = 'pass';
    expect(formatSummary(twin, { color: false })).toMatch(/^✗ UNEXPECTED PASS/);
  });
});
