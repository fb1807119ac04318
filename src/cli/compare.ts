/**
 * `faultline compare <baseline> <candidate>`: is the candidate run worse than the baseline,
 * per metric, with statistical confidence (src/compare)? Prints a table, writes compare.json
 * and compare.html into the candidate's run folder, and exits 1 when any metric is worse at
 * the stated confidence, 0 when none is, 2 on bad input (a missing file, a result without
 * per-request samples, different scenarios without --force). `run --baseline` calls the same
 * code after its run (`compareWithBaseline`).
 *
 * A path is a result.json, a run folder holding one, or a scenario's folder of runs
 * (`reports/<scenario>`), which means its latest run (the result.json written last).
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { compareRuns, CompareInputError, DEFAULT_CONFIDENCE, formatP, formatPercent } from '../compare/index.ts';
import type { Comparison } from '../model/comparison.ts';
import type { RunResult } from '../model/result.ts';
import { SamplesFormatError } from '../model/samples.ts';
import { renderCompareHtml } from '../report/compare-html.ts';
import { EXIT, exit } from './exit.ts';
import { seed } from './flags.ts';

export interface CompareFlags {
  confidence: number;
  json?: boolean;
  force?: boolean;
  seed?: number;
}

/** `--confidence 0.99` or `99%`: strictly between 0 and 1. */
export const confidence = (v: string) => {
  const s = v.trim();
  const n = s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('a confidence between 0 and 1, e.g. 0.99 or 99%');
  return n;
};

/** Registers `compare` on the program. */
export function compareCommand(program: Command): void {
  program
    .command('compare')
    .description('is the candidate run worse than the baseline, per metric, with statistical confidence? (exit 0 not worse, 1 worse, 2 bad input)')
    .argument('<baseline>', 'result.json, a run folder, or reports/<scenario> (its latest run)')
    .argument('<candidate>', 'result.json, a run folder, or reports/<scenario> (its latest run)')
    .option('--confidence <level>', 'family-wise confidence of a "worse" verdict, e.g. 0.95 or 99%', confidence, DEFAULT_CONFIDENCE)
    .option('--json', 'print the comparison as JSON (compare.json) instead of the table')
    .option('--force', 'compare results of different scenarios (otherwise refused)')
    .option('--seed <n>', 'seed of the permutation and bootstrap draws', seed)
    .action(async (b: string, c: string, o: CompareFlags) => exit(await compareFiles(b, c, o)));
}

/** A result.json read from a path as the user gave it. */
export interface ReadResult {
  file: string;
  result: RunResult;
}

/** The result a path means; a CompareInputError (message names the path) when there is none. */
export async function readResult(path: string): Promise<ReadResult> {
  const abs = resolve(path);
  let file = abs;
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new CompareInputError(`${path}: no such file or folder`);
  if (info.isDirectory()) {
    const here = join(abs, 'result.json');
    if (await stat(here).catch(() => undefined)) file = here;
    else {
      // A scenario's folder of runs: the run whose result.json was written last. Not the
      // greatest name: simulated runs share one virtual start time (…-sim2 sorts after …-sim10).
      const runs = (await readdir(abs, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
      let found: { file: string; at: number; name: string } | undefined;
      for (const r of runs) {
        const f = join(abs, r, 'result.json');
        const s = await stat(f).catch(() => undefined);
        if (s && (!found || s.mtimeMs > found.at || (s.mtimeMs === found.at && r > found.name))) found = { file: f, at: s.mtimeMs, name: r };
      }
      if (!found) throw new CompareInputError(`${path}: no result.json here, nor in any run folder inside it`);
      file = found.file;
    }
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CompareInputError(`${shown(file)}: cannot be read (${(err as Error).message})`);
  }
  let result: RunResult;
  try {
    result = JSON.parse(text) as RunResult;
  } catch (err) {
    throw new CompareInputError(`${shown(file)}: not JSON (${(err as Error).message})`);
  }
  if (typeof result !== 'object' || result === null || typeof result.runId !== 'string' || !result.load || !result.scenario) throw new CompareInputError(`${shown(file)}: not a faultline result.json (no runId, scenario or load)`);
  return { file, result };
}

/** `faultline compare`: the exit code. */
export async function compareFiles(baselinePath: string, candidatePath: string, flags: CompareFlags): Promise<number> {
  let b: ReadResult;
  let c: ReadResult;
  try {
    b = await readResult(baselinePath);
    c = await readResult(candidatePath);
  } catch (err) {
    if (err instanceof CompareInputError) {
      console.error(`compare: ${err.message}`);
      return EXIT.invalid;
    }
    throw err;
  }
  const outcome = await compareAndWrite(b, c, flags);
  if (typeof outcome === 'number') return outcome;
  if (flags.json) process.stdout.write(`${JSON.stringify(outcome.comparison, null, 2)}\n`);
  else process.stdout.write(`${formatComparison(outcome.comparison, { color: useColor() })}\n  ${outcome.files.map(shown).join('\n  ')}\n`);
  return outcome.comparison.worse ? EXIT.breached : EXIT.pass;
}

/**
 * Compares and writes compare.json and compare.html beside the candidate's result; the exit
 * code instead when the input is unusable (the reason printed).
 */
export async function compareAndWrite(b: ReadResult, c: ReadResult, flags: CompareFlags): Promise<{ comparison: Comparison; files: string[] } | number> {
  if (b.result.scenario.name !== c.result.scenario.name && !flags.force) {
    console.error(`compare: different scenarios: baseline "${b.result.scenario.name}" (${shown(b.file)}), candidate "${c.result.scenario.name}" (${shown(c.file)}); use --force to compare them anyway`);
    return EXIT.invalid;
  }
  let comparison: Comparison;
  try {
    comparison = compareRuns(b.result, c.result, {
      confidence: flags.confidence,
      ...(flags.seed !== undefined && { seed: flags.seed }),
      sources: { baseline: shown(b.file), candidate: shown(c.file) },
    });
  } catch (err) {
    if (err instanceof CompareInputError || err instanceof SamplesFormatError) {
      console.error(`compare: ${err.message}`);
      return EXIT.invalid;
    }
    throw err;
  }
  for (const w of comparison.warnings) process.stderr.write(`warning: ${w}\n`);
  const dir = dirname(c.file);
  const links = { baseline: reportBeside(dir, b.file), candidate: basename(c.file) === 'result.json' ? 'report.html' : undefined };
  const files = await writeComparison(comparison, dir, links);
  return { comparison, files };
}

/** compare.json and compare.html into `dir`, each written beside its name and renamed over it. */
export async function writeComparison(c: Comparison, dir: string, links: { baseline?: string; candidate?: string } = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [name, content] of [
    ['compare.json', `${JSON.stringify(c, null, 2)}\n`],
    ['compare.html', renderCompareHtml(c, links)],
  ] as const) {
    const path = join(dir, name);
    await writeFile(`${path}.partial`, content, 'utf8');
    await rename(`${path}.partial`, path);
    out.push(path);
  }
  return out;
}

function reportBeside(fromDir: string, resultFile: string): string | undefined {
  if (basename(resultFile) !== 'result.json') return undefined;
  return relative(fromDir, join(dirname(resultFile), 'report.html'));
}

/** The screen table: one row per metric, then the assumptions in one line each. */
export function formatComparison(c: Comparison, opts: { color?: boolean } = {}): string {
  const paint = (code: string, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const level = formatPercent(c.confidence);
  const head = c.worse
    ? paint('31;1', `WORSE at ${level} confidence`)
    : paint('32;1', `not worse at ${level} confidence`);
  const lines = [`compare ${c.candidate.scenario}: ${head} (family-wise over ${c.metrics.length} metrics)`, `  baseline  ${c.baseline.runId} (${c.baseline.mode}, ${c.baseline.requests} requests)`, `  candidate ${c.candidate.runId} (${c.candidate.mode}, ${c.candidate.requests} requests)`, ''];
  const rows = c.metrics.map((m) => [m.label, m.verdict === 'not_worse' ? 'not worse' : m.verdict, `${m.n.baseline}/${m.n.candidate}`, formatP(m.p), formatP(m.pAdjusted), m.effect]);
  const header = ['metric', 'verdict', 'n (b/c)', 'p', 'p (Holm)', 'effect'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => `  ${r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ')}`;
  lines.push(fmt(header));
  for (const [i, r] of rows.entries()) {
    const m = c.metrics[i];
    const line = fmt(r);
    lines.push(m.verdict === 'worse' ? paint('31', line) : line);
    lines.push(paint('2', `    ${m.test}`));
    for (const n of m.notes) lines.push(paint('2', `    note: ${n}`));
  }
  lines.push('', ...c.assumptions.map((a) => paint('2', `  assumes: ${a}`)));
  return lines.join('\n');
}

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/**
 * `run --baseline <path>`: the run's result against the baseline, printed, compare.json and
 * compare.html written into the run's folder. Returns the exit code the comparison adds:
 * 1 when worse, 2 when the baseline is unusable, 0 otherwise.
 */
export async function compareWithBaseline(baseline: ReadResult, result: RunResult, runDir: string, flags: Omit<CompareFlags, 'json'>, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const outcome = await compareAndWrite(baseline, { file: join(runDir, 'result.json'), result }, flags);
  if (typeof outcome === 'number') return outcome;
  out.write(`${formatComparison(outcome.comparison, { color: useColor() })}\n  ${outcome.files.map(shown).join('\n  ')}\n`);
  return outcome.comparison.worse ? EXIT.breached : EXIT.pass;
}

/** `--baseline <path>` read before the run starts: a bad path ends the command (exit 2) before anything runs, and `reports/<scenario>` means the latest run before this one. */
export async function readBaseline(path: string): Promise<ReadResult | undefined> {
  try {
    const b = await readResult(path);
    if (!b.result.samples) throw new CompareInputError(`${shown(b.file)}: this result has no per-request samples (run ${b.result.runId}): it was written before faultline kept them. Re-run the baseline with this version of faultline.`);
    return b;
  } catch (err) {
    if (err instanceof CompareInputError) {
      console.error(`--baseline: ${err.message}`);
      return undefined;
    }
    throw err;
  }
}
