/**
 * The one-screen text summary printed to stdout after a run: verdict, each SLO with its
 * margin, the load in one line, and where the reports went.
 */
import { styleText } from 'node:util';
import { describeLoadModel, formatCount, formatMs, formatPercent, formatRate, formatSeconds, outcome } from './format.ts';
import type { RunResult } from '../model/result.ts';
import { sloVerdictLines } from './slo-lines.ts';

export interface SummaryOptions {
  /** ANSI colours; the caller decides (TTY, NO_COLOR, --no-color), so this function stays pure. */
  color: boolean;
  /** Report files to list at the end, e.g. what writeReports returned. */
  reports?: string[];
}

type Style = Parameters<typeof styleText>[0];

/**
 * @example
 *   process.stdout.write(formatSummary(result, { color: process.stdout.isTTY, reports: paths }));
 */
export function formatSummary(result: RunResult, opts: SummaryOptions): string {
  // validateStream: false because the caller already decided; styleText would otherwise look at stdout itself.
  const paint = (style: Style, text: string) => (opts.color ? styleText(style, text, { validateStream: false }) : text);
  const verdict = outcome(result);
  const lines: string[] = [];

  const mark = verdict.asExpected
    ? paint(['bold', 'green'], `✓ ${verdict.label}`)
    : paint(['bold', verdict.kind === 'aborted' ? 'yellow' : 'red'], `✗ ${verdict.label}`);
  const held = result.slos.filter((s) => s.passed).length;
  // An aborted run judged nothing in full: "3/3 SLOs held" would read as a pass.
  const slosHeld = verdict.kind === 'aborted' ? `SLOs not judged (${held}/${result.slos.length} held over the part that ran)` : `${held}/${result.slos.length} SLOs held`;
  const ran = verdict.kind === 'aborted' || verdict.stoppedEarly ? `stopped at ${formatSeconds(result.abortedOnFail?.atMs ?? result.durationMs)}` : formatSeconds(result.durationMs);
  lines.push(`${mark}  ${paint('bold', result.scenario.name)}  ${paint('dim', `${slosHeld} · ${ran} · run ${result.runId}`)}`);
  if (verdict.kind === 'expected-fail' || verdict.kind === 'unexpected-pass') lines.push(`   ${paint('dim', verdict.explanation)}`);
  if (verdict.kind === 'aborted') {
    lines.push(paint(['bold', 'yellow'], `⚠ ABORTED: ${result.abortReason ?? 'no reason recorded'}`) + paint('dim', ' (results cover the part that ran; neither a pass nor a breach)'));
  }
  if (verdict.stoppedEarly) lines.push(paint(['bold', 'red'], `⚠ STOPPED EARLY: ${verdict.stoppedEarly}`) + paint('dim', ' (abortOnFail; the other SLOs cover the part that ran)'));
  // Loud, above the SLOs: a miswired service can meet an SLO by accident, and it should not go unseen.
  for (const w of result.warnings) lines.push(paint(['bold', 'yellow'], `⚠ WARNING: ${w}`));
  lines.push('');

  lines.push(...sloVerdictLines(result.slos, { color: opts.color }));
  if (result.slos.length === 0) lines.push(paint('dim', '  (no SLOs declared)'));
  lines.push('');

  const load = result.load;
  const latency = load.latency
    ? `p50 ${formatMs(load.latency.p50)} p99 ${formatMs(load.latency.p99)} max ${formatMs(load.latency.max)}`
    : 'no latency (nothing completed)';
  const availability = load.availability === null ? 'availability —' : `availability ${formatPercent(load.availability)}`;
  lines.push(`  ${paint('bold', 'load')}    ${describeLoadModel(load)} · ${formatCount(load.requests)} requests · ${availability} · ${formatRate(load.throughput)} · ${latency}`);

  const reports = opts.reports ?? [];
  reports.forEach((path, i) => lines.push(`  ${i === 0 ? paint('bold', 'reports') : '       '} ${path}`));
  return `${lines.join('\n')}\n`;
}
