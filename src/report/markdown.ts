/**
 * A GitHub-flavoured Markdown summary of a run (markdown.md; `--reporter markdown`, also
 * appended to `$GITHUB_STEP_SUMMARY` by the CLI): the verdict, the SLO table, the faults as
 * they switched, the load in one line and links to the other reports. A suite gets one table
 * of its scenarios (`renderSuiteMarkdown`). The verdict is `outcome`'s, as on the screen and
 * in junit.xml.
 *
 * Scenario text is untrusted: GitHub renders inline HTML and Markdown in a step summary, so
 * every name, message and path goes through `mdText` (no tag, link, emphasis or table break
 * gets through).
 */
import type { RunResult } from '../model/result.ts';
import { comparatorSymbol, describeLoadModel, formatCount, formatMs, formatPercent, formatRate, formatSeconds, formatSloPair, formatWindow, outcome, sloMiss, type Outcome } from './format.ts';

/** A link to another report: its label and where it is, relative to the Markdown file (or as the reader should type it). */
export interface MarkdownLink {
  label: string;
  href: string;
}

export interface MarkdownOptions {
  /** The other reports of the run; none: no links line. */
  links?: MarkdownLink[];
  /** Links as code spans rather than links (for `$GITHUB_STEP_SUMMARY`, where a relative link leads nowhere). */
  plainLinks?: boolean;
}

// Characters Markdown or GitHub's HTML would act on inside a line (the text never starts one:
// a prefix or a cell's pipe comes first); each is written as a numeric character reference,
// which renders as the character and can start neither a tag, an entity, emphasis, a link,
// code nor a table cell. The rest stays as typed, so the raw file still reads.
const ACTIVE = /[\\`*_[\]<>|&~]/g;

/**
 * Text for a Markdown cell or paragraph, inert: markup characters become character
 * references, line breaks spaces, and characters no document should carry U+FFFD.
 *
 * @example mdText('a | <b>') === 'a &#124; &#60;b&#62;'
 */
export function mdText(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/\r\n?|\n/g, ' ')
    .replace(ACTIVE, (c) => `&#${c.charCodeAt(0)};`);
}

const ICON: Record<Outcome['kind'], string> = {
  pass: '✅',
  'expected-fail': '✅',
  fail: '❌',
  'unexpected-pass': '❌',
  aborted: '⚠️',
};

function linksLine(opts: MarkdownOptions): string[] {
  const links = opts.links ?? [];
  if (links.length === 0) return [];
  const items = links.map((l) => (opts.plainLinks ? `${mdText(l.label)}: \`${l.href.replace(/`/g, "'")}\`` : `[${mdText(l.label)}](${encodeURI(l.href).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)})`));
  return [`**Reports:** ${items.join(' · ')}`, ''];
}

/** The run's Markdown summary. */
export function renderMarkdown(result: RunResult, opts: MarkdownOptions = {}): string {
  const verdict = outcome(result);
  const held = result.slos.filter((s) => s.passed).length;
  const lines: string[] = [];
  lines.push(`## ${ICON[verdict.kind]} ${verdict.label}: ${mdText(result.scenario.name)}`, '');
  if (result.scenario.description) lines.push(`> ${mdText(result.scenario.description)}`, '');
  const slos = verdict.kind === 'aborted' ? `SLOs not judged (${held}/${result.slos.length} held over the part that ran)` : `${held}/${result.slos.length} SLOs held`;
  const ran = verdict.kind === 'aborted' || verdict.stoppedEarly ? `stopped at ${formatSeconds(result.abortedOnFail?.atMs ?? result.durationMs)}` : formatSeconds(result.durationMs);
  lines.push(`**${slos}** · ${ran} · ${result.mode} · run \`${result.runId}\` · seed ${result.environment.seed}`, '');
  lines.push(mdText(verdict.explanation), '');
  if (verdict.kind === 'aborted') lines.push(`**Aborted:** ${mdText(result.abortReason ?? 'no reason recorded')}`, '');
  if (verdict.stoppedEarly) lines.push(`**Stopped early (abortOnFail):** ${mdText(verdict.stoppedEarly)}`, '');
  for (const w of result.warnings) lines.push(`> **Warning:** ${mdText(w)}`, '');

  if (result.slos.length) {
    lines.push('| | SLO | measured | threshold | window | samples |', '|---|---|---|---|---|---|');
    for (const slo of result.slos) {
      const pair = formatSloPair(slo);
      const miss = sloMiss(slo);
      const mark = slo.passed ? '✅' : verdict.kind === 'aborted' ? '⚠️' : '❌';
      lines.push(
        `| ${mark} | ${mdText(slo.name)} | ${mdText(pair.value)}${miss ? ` (${mdText(miss)})` : ''} | ${mdText(`${comparatorSymbol(slo.comparator)} ${pair.threshold}`)} | ${mdText(formatWindow(slo))} | ${formatCount(slo.samples)} |`,
      );
    }
    lines.push('');
  }

  if (result.faults.length) {
    lines.push('| fault | kind | on | off | |', '|---|---|---|---|---|');
    for (const f of result.faults) {
      const name = `${f.fault}${f.occurrence !== undefined ? ` #${f.occurrence}` : ''}`;
      // The label says what it did to whom (`stripe@eu 503`), as the HTML report's fault bands do.
      const kind = `${f.layer} ${f.kind}${f.shape ? ` ${f.shape}` : ''}${f.ramp ? `, ramp ${f.ramp.param}` : ''}${f.label ? ` (${f.label})` : ''}`;
      const at = (t: number | null, due: number) => (t === null ? `never (due ${formatSeconds(due)})` : formatSeconds(t));
      const note = f.on === null ? 'never switched on' : f.endedEarly ? 'cut short' : '';
      lines.push(`| ${mdText(name)} | ${mdText(kind)} | ${at(f.on, f.scheduledOn)} | ${f.on === null ? '—' : at(f.off, f.scheduledOff)} | ${note} |`);
    }
    lines.push('');
  }

  const load = result.load;
  const latency = load.latency ? `p50 ${formatMs(load.latency.p50)} · p99 ${formatMs(load.latency.p99)} · max ${formatMs(load.latency.max)}` : 'no latency (nothing completed)';
  const availability = load.availability === null ? 'availability —' : `availability ${formatPercent(load.availability)}`;
  lines.push(`**Load:** ${mdText(describeLoadModel(load))} · ${formatCount(load.requests)} requests · ${availability} · ${formatRate(load.throughput)} · ${latency}`, '');
  lines.push(...linksLine(opts));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** One scenario of a suite, as its Markdown table shows it. */
export interface SuiteMarkdownRow {
  scenario: string;
  /** The run's result; absent when its environment did not start. */
  result?: RunResult;
  error?: string;
  /** Its report, as the reader should find it. */
  report?: string;
}

/** The suite's Markdown summary: one row per scenario, the tally, and the suite's own files. */
export function renderSuiteMarkdown(rows: readonly SuiteMarkdownRow[], opts: MarkdownOptions & { wallMs: number }): string {
  const met = rows.filter((r) => r.result && outcome(r.result).asExpected).length;
  const all = met === rows.length;
  const lines = [`## ${all ? '✅' : '❌'} faultline suite: ${met} of ${rows.length} scenarios met their expectation in ${formatSeconds(opts.wallMs)}`, ''];
  lines.push('| | scenario | expected | outcome | SLOs held | ran | report |', '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (!r.result) {
      lines.push(`| ❌ | ${mdText(r.scenario)} | | environment did not start: ${mdText(r.error ?? '')} | | | |`);
      continue;
    }
    const o = outcome(r.result);
    const held = `${r.result.slos.filter((s) => s.passed).length}/${r.result.slos.length}`;
    const report = r.report ? `\`${r.report.replace(/`/g, "'")}\`` : '';
    lines.push(`| ${ICON[o.kind]} | ${mdText(r.scenario)} | ${r.result.expected} | ${o.label}${o.stoppedEarly ? ' (stopped early)' : ''} | ${held} | ${formatSeconds(r.result.durationMs)} | ${report} |`);
  }
  lines.push('');
  lines.push(...linksLine(opts));
  return `${lines.join('\n').trimEnd()}\n`;
}
