/**
 * Reporters are plugins behind one small interface, found by name (as vitest's are) in
 * `reporters`. Every run writes the `DEFAULT_REPORTERS`; no command line flag chooses among
 * them yet (a `--reporter` option would look names up here).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import type { RunResult } from '../model/result.ts';

export interface Reporter {
  name: string;
  /** Writes this reporter's file for `result` into `dir` (which must exist) and returns its path. */
  write(result: RunResult, dir: string): Promise<string>;
}

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
export function fileReporter(name: string, fileName: string, render: (result: RunResult) => string): Reporter {
  return {
    name,
    async write(result, dir) {
      const path = join(dir, fileName);
      await writeAtomically(path, render(result));
      return path;
    },
  };
}

/** The built-in reporters by name. */
export const reporters: Record<string, Reporter> = {
  json: fileReporter('json', 'result.json', (result) => `${JSON.stringify(result, null, 2)}\n`),
  html: fileReporter('html', 'report.html', renderHtml),
  junit: fileReporter('junit', 'junit.xml', renderJunit),
};

/** The names `writeReports` uses when none are given. */
export const DEFAULT_REPORTERS = ['json', 'html', 'junit'] as const;

export class UnknownReporterError extends Error {
  readonly code = 'FAULTLINE_UNKNOWN_REPORTER';
  constructor(name: string) {
    super(`unknown reporter "${name}": use one of ${Object.keys(reporters).join(', ')}`);
    this.name = 'UnknownReporterError';
  }
}

/**
 * Writes each named report into `dir` (created if missing) and returns the paths, in the
 * order of `names`. Every name is checked before anything is written.
 *
 * @example
 *   const paths = await writeReports(result, 'reports/payments-eu-outage/20250314T101500Z-7f3a9c');
 */
export async function writeReports(result: RunResult, dir: string, names: readonly string[] = DEFAULT_REPORTERS): Promise<string[]> {
  const chosen = names.map((name) => {
    const reporter = Object.hasOwn(reporters, name) ? reporters[name] : undefined;
    if (!reporter) throw new UnknownReporterError(name);
    return reporter;
  });
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  // One after another: the reports are small, and the order of `paths` should be the order asked for.
  for (const reporter of chosen) paths.push(await reporter.write(result, dir));
  return paths;
}
