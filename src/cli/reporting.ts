/**
 * What `--reporter` means on the command line (run, suite, sim): where the screen summary and
 * the other human text go, which files each run writes, the report that takes standard
 * output (`json=-`), `$GITHUB_STEP_SUMMARY`, and the exit code — all from the one CI gate
 * (`outcome`/`gate`, src/report/format.ts), so the exit code, the screen, junit.xml,
 * markdown and result.json agree.
 */
import { appendFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { RunResult } from '../model/result.ts';
import { gate, outcome } from '../report/format.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { DEFAULT_CHOICES, renderReport, SCREEN_REPORTER, type ReporterChoice } from '../report/reporter.ts';
import { formatSummary } from '../report/summary.ts';
import { EXIT } from './exit.ts';

export interface Reporting {
  /** Every choice, paths made absolute (against the working folder). */
  choices: ReporterChoice[];
  /** The file reports each run writes (the screen and `-` left out). */
  files: ReporterChoice[];
  /** Where the screen summary goes; undefined: not chosen. */
  screen: NodeJS.WritableStream | undefined;
  /** Where progress and other words for people go: stderr when a report takes stdout. */
  human: NodeJS.WritableStream;
  /** The reporter that writes to standard output (`name=-`), if any. */
  toStdout: string | undefined;
  has(name: string): boolean;
  /** The path chosen for `name` (`name=path`), absolute, or '-'. */
  pathOf(name: string): string | undefined;
}

/**
 * The plan for `choices` (default: the screen, json, html, junit), or the reason it cannot
 * work, for exit 2. `single`: whether the command makes exactly one run, so a path
 * (`json=out.json`, `json=-`) cannot be overwritten by the next run.
 */
export function planReporting(choices: readonly ReporterChoice[] | undefined, opts: { single: boolean; command: string }): Reporting | string {
  const all = (choices?.length ? choices : DEFAULT_CHOICES).map((c) => (c.path === undefined || c.path === '-' ? c : { ...c, path: resolve(c.path) }));
  const stdout = all.filter((c) => c.path === '-');
  if (stdout.length > 1) return `--reporter: only one report can go to standard output (${stdout.map((c) => `${c.name}=-`).join(', ')})`;
  const pathed = all.filter((c) => c.path !== undefined);
  if (pathed.length && !opts.single) {
    return `--reporter ${pathed.map((c) => `${c.name}=${c.path === '-' ? '-' : shown(c.path!)}`).join(',')}: ${opts.command} makes several runs here, and each would overwrite that file; choose the reporter without a path (each run's folder gets its own)`;
  }
  const toStdout = stdout[0]?.name;
  const human = toStdout ? process.stderr : process.stdout;
  return {
    choices: all,
    files: all.filter((c) => c.name !== SCREEN_REPORTER && c.path !== '-'),
    screen: all.some((c) => c.name === SCREEN_REPORTER) ? human : undefined,
    human,
    toStdout,
    has: (name) => all.some((c) => c.name === name),
    pathOf: (name) => all.find((c) => c.name === name)?.path,
  };
}

/** A path as the user would type it from here: relative inside the working folder, absolute outside it. */
export function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

const useColor = (stream: NodeJS.WritableStream) => (stream as NodeJS.WriteStream).isTTY === true && !process.env.NO_COLOR;

/**
 * After one run: the screen summary, the report that takes stdout, the Markdown appended to
 * `$GITHUB_STEP_SUMMARY` (append: other steps' summaries stay), as chosen.
 */
export async function reportRun(result: RunResult, files: readonly string[], reporting: Reporting): Promise<void> {
  if (reporting.screen) reporting.screen.write(formatSummary(result, { color: useColor(reporting.screen), reports: files.map(shown) }) + '\n');
  if (reporting.toStdout) process.stdout.write(renderReport(reporting.toStdout, result));
  if (reporting.has('markdown')) {
    await appendStepSummary(renderMarkdown(result, { links: files.map((f) => ({ label: f.split('/').at(-1)!, href: shown(f) })), plainLinks: true }));
  }
}

/** Appends to the file GitHub Actions names in `$GITHUB_STEP_SUMMARY`, when it is set. */
export async function appendStepSummary(markdown: string): Promise<void> {
  const path = process.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  await appendFile(path, `${markdown}\n`, 'utf8');
}

/**
 * The exit code of one run, from its CI gate: 0 it met its expectation (a broken twin that
 * failed included), 1 it did not, 130 interrupted, 2 aborted otherwise (a crash).
 */
export function exitCodeOf(result: RunResult, interrupted: boolean): number {
  switch (gate(outcome(result))) {
    case 'pass':
      return EXIT.pass;
    case 'fail':
      return EXIT.breached;
    case 'aborted':
      return interrupted ? EXIT.interrupted : EXIT.invalid;
  }
}
