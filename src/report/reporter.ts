/**
 * Reporters are plugins behind one small interface, found by name (as vitest's are) in
 * `reporters`; `--reporter` (src/cli/flags.ts) chooses among them, repeatable and
 * comma-separated, each optionally `name=path`:
 *
 * - `summary`: the screen summary (src/report/summary.ts); the CLI prints it, no file.
 * - `json` (result.json), `html` (report.html), `junit` (junit.xml), `markdown` (markdown.md):
 *   files in the run's folder, or at `path`; `path` `-` is standard output (then the screen
 *   summary goes to standard error, so stdout stays one parsable document).
 *
 * `DEFAULT_REPORTERS` is what a run writes when none are chosen: the screen, json, html and junit.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown, type MarkdownLink } from './markdown.ts';
import type { RunResult } from '../model/result.ts';

/** What a file reporter is told besides the result: the other reports of the run, for links. */
export interface ReportContext {
  /** The files the run's other reporters wrote before this one, absolute. */
  others: readonly string[];
  /** Where this report goes, absolute. */
  path: string;
}

export interface Reporter {
  name: string;
  /** The file it writes in the run's folder by default. */
  fileName: string;
  /** The report's text for `result`. */
  render(result: RunResult, context: ReportContext): string;
}

/** One `--reporter` choice: a reporter's name and, optionally, where its output goes (`-`: stdout). */
export interface ReporterChoice {
  name: string;
  path?: string;
}

/** The screen summary's name: chosen like the others, printed by the CLI. */
export const SCREEN_REPORTER = 'summary';

/**
 * Written beside the final name, then renamed over it, so a run interrupted mid-write never
 * leaves a truncated report that a CI job would then try to parse.
 */
async function writeAtomically(path: string, content: string): Promise<void> {
  const partial = `${path}.partial`;
  await writeFile(partial, content, 'utf8');
  await rename(partial, path);
}

/** A reporter that renders the whole result to one file. */
export function fileReporter(name: string, fileName: string, render: (result: RunResult, context: ReportContext) => string): Reporter {
  return { name, fileName, render };
}

const linkLabels: Record<string, string> = { 'report.html': 'HTML report', 'result.json': 'result.json', 'junit.xml': 'junit.xml' };

/** The other reports, as links relative to the Markdown file. */
function markdownLinks(context: ReportContext): MarkdownLink[] {
  return context.others.map((p) => ({ label: linkLabels[basename(p)] ?? basename(p), href: relative(dirname(context.path), p) || basename(p) }));
}

/** The built-in file reporters by name. */
export const reporters: Record<string, Reporter> = {
  json: fileReporter('json', 'result.json', (result) => `${JSON.stringify(result, null, 2)}\n`),
  html: fileReporter('html', 'report.html', renderHtml),
  junit: fileReporter('junit', 'junit.xml', renderJunit),
  // Last of the defaults' order when chosen with them, so its links name files that exist.
  markdown: fileReporter('markdown', 'markdown.md', (result, context) => renderMarkdown(result, { links: markdownLinks(context) })),
};

/** Every name `--reporter` takes. */
export const REPORTER_NAMES: readonly string[] = [SCREEN_REPORTER, ...Object.keys(reporters)];

/** The names `writeReports` uses when none are given (the screen summary is the CLI's). */
export const DEFAULT_REPORTERS = ['json', 'html', 'junit'] as const;

/** What a run reports when `--reporter` is not given: the screen and the default files. */
export const DEFAULT_CHOICES: readonly ReporterChoice[] = [{ name: SCREEN_REPORTER }, ...DEFAULT_REPORTERS.map((name) => ({ name }))];

export class UnknownReporterError extends Error {
  readonly code = 'FAULTLINE_UNKNOWN_REPORTER';
  constructor(name: string) {
    super(`unknown reporter "${name}": use one of ${REPORTER_NAMES.join(', ')}`);
    this.name = 'UnknownReporterError';
  }
}

const isKnown = (name: string) => name === SCREEN_REPORTER || Object.hasOwn(reporters, name);

/**
 * `--reporter` values: comma-separated, each `name` or `name=path`. Throws
 * UnknownReporterError for a name that is not a reporter, and Error for a malformed entry.
 *
 * @example parseReporters('json=-,html') // [{ name: 'json', path: '-' }, { name: 'html' }]
 */
export function parseReporters(value: string): ReporterChoice[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      const path = eq < 0 ? undefined : part.slice(eq + 1).trim();
      if (!isKnown(name)) throw new UnknownReporterError(name);
      if (path === '') throw new Error(`reporter "${name}=": give a path after =, or - for standard output`);
      if (path !== undefined && name === SCREEN_REPORTER) throw new Error(`reporter "${SCREEN_REPORTER}" is the screen: it takes no path`);
      return path === undefined ? { name } : { name, path };
    });
}

/** The report `name` of `result` as text (for `name=-`, standard output). */
export function renderReport(name: string, result: RunResult, context: ReportContext = { others: [], path: '' }): string {
  const reporter = Object.hasOwn(reporters, name) ? reporters[name] : undefined;
  if (!reporter) throw new UnknownReporterError(name);
  return reporter.render(result, context);
}

/**
 * Writes each chosen file report into `dir` (created if missing), or at its `path` (absolute,
 * or relative to `dir`), and returns the paths, in the order chosen. The screen summary and
 * `-` (standard output) are the caller's and are skipped here. Every name is checked before
 * anything is written.
 *
 * @example
 *   const paths = await writeReports(result, 'reports/payments-eu-outage/20250314T101500Z-7f3a9c');
 *   await writeReports(result, dir, [{ name: 'junit', path: '/ci/junit.xml' }, 'markdown']);
 */
export async function writeReports(result: RunResult, dir: string, choices: readonly (string | ReporterChoice)[] = DEFAULT_REPORTERS): Promise<string[]> {
  const chosen = choices.map((c) => (typeof c === 'string' ? { name: c } : c));
  for (const c of chosen) if (!isKnown(c.name)) throw new UnknownReporterError(c.name);
  const files = chosen.filter((c) => c.name !== SCREEN_REPORTER && c.path !== '-');
  // Markdown links the others, so it goes after them whatever the order asked for.
  const order = [...files.filter((c) => c.name !== 'markdown'), ...files.filter((c) => c.name === 'markdown')];
  await mkdir(dir, { recursive: true });
  const written = new Map<ReporterChoice, string>();
  // One after another: the reports are small, and the order of the paths should be the order asked for.
  for (const c of order) {
    const reporter = reporters[c.name]!;
    const path = c.path === undefined ? join(dir, reporter.fileName) : isAbsolute(c.path) ? c.path : join(dir, c.path);
    if (c.path !== undefined) await mkdir(dirname(path), { recursive: true });
    await writeAtomically(path, reporter.render(result, { others: [...written.values()], path }));
    written.set(c, path);
  }
  return files.map((c) => written.get(c)!);
}
