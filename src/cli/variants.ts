/**
 * `--variants` on `run` and `sim`: the base, then each variant (all, or those named:
 * `--variants a,b`), one after the other, each in its own run folder; then one table on the
 * console (SLO × run, `≠` where a verdict differs from the base's) and, beside the runs,
 * reports/<scenario>/variants-<id>.html (the comparison page) and variants-<id>.json.
 *
 * Exit code: 0 only if every run met its expectation (completed, with the verdict it
 * expects — a variant may expect `fail`, as a broken twin does), 1 if any did not, 2 for an
 * unknown variant name, a scenario without variants, or an environment that would not start,
 * 130 when interrupted. The expectation, not the bare verdict, decides because a variant that
 * is there to show a failure (the broken twin as a variant) has done its job when it fails.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { closest } from '../core/suggest.ts';
import type { RunResult } from '../model/result.ts';
import type { Scenario, ScenarioVariant } from '../model/scenario.ts';
import { formatVariantTable, metExpectation, variantRows, type VariantRun } from '../report/variants.ts';
import { renderVariantsHtml } from '../report/variants-html.ts';
import { makeRunId } from '../run/run.ts';
import { EXIT } from './exit.ts';

/** One run's outcome as `--variants` needs it; undefined when it could not run (the reason already printed). */
export type RunOne = (scenario: Scenario) => Promise<{ result: RunResult; dir: string } | undefined>;

/**
 * `--variants a,b`'s value: variant names. A file there is the scenario read as names (the
 * value is optional, so `--variants x.yaml` takes the file): say where `--variants` goes.
 */
export function variantNamesFlag(v: string): string {
  if (!/^[a-z0-9][a-z0-9-]*(\s*,\s*[a-z0-9][a-z0-9-]*)*$/.test(v.trim())) {
    throw new InvalidArgumentError(`expected variant names like no-jitter,no-budget, found ${JSON.stringify(v)}; put --variants after the scenario file, or write --variants=a,b`);
  }
  return v;
}

/** The variants `--variants` names (`true`: all), or the reason it names none. */
export function pickVariants(scenario: Scenario, pick: true | string): ScenarioVariant[] | string {
  const all = scenario.variants ?? [];
  if (all.length === 0) return `${scenario.name}: the scenario has no variants: (see README, "Tuning: variants side by side")`;
  if (pick === true) return all;
  const names = pick.split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) return `--variants: name at least one variant, or none for all (${all.map((v) => v.name).join(', ')})`;
  const unknown = names.filter((n) => !all.some((v) => v.name === n));
  if (unknown.length) {
    return unknown
      .map((n) => {
        const hint = closest(n, all.map((v) => v.name));
        return `--variants: ${scenario.name} has no variant \`${n}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}; it has: ${all.map((v) => v.name).join(', ')}`;
      })
      .join('\n');
  }
  return all.filter((v) => names.includes(v.name));
}

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
};

/**
 * Runs the base and the picked variants with `runOne`, prints the table and writes the
 * comparison; returns the exit code. `aborted()` says whether to stop before the next run.
 */
export async function runVariants(
  scenario: Scenario,
  pick: true | string,
  opts: { reports: string; color: boolean; runOne: RunOne; aborted?: () => boolean; out?: (text: string) => void; err?: (text: string) => void },
): Promise<number> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  const err = opts.err ?? ((t: string) => process.stderr.write(t));
  const picked = pickVariants(scenario, pick);
  if (typeof picked === 'string') {
    err(`${picked}\n`);
    return EXIT.invalid;
  }
  const started = Date.now();
  const home = join(resolve(opts.reports), scenario.name);
  const runs: VariantRun[] = [];
  let failedToStart = false;
  const todo = [{ name: 'base', set: {}, scenario } as ScenarioVariant, ...picked];
  for (const v of todo) {
    if (opts.aborted?.()) break;
    const settings = Object.entries(v.set).map(([k, x]) => `${k}: ${typeof x === 'string' ? x : JSON.stringify(x)}`).join(', ');
    out(`▶ ${v.name}${settings ? ` (${settings})` : ''}${v.scenario.expect === 'fail' ? ', expected to fail' : ''}\n`);
    const r = await opts.runOne(v.scenario);
    if (!r) {
      failedToStart = true;
      continue;
    }
    const mark = metExpectation(r.result) ? '✓' : '✗';
    out(`  ${mark} ${r.result.status === 'aborted' ? 'aborted' : r.result.verdict} (expected ${r.result.expected})  ${shown(r.dir)}\n`);
    runs.push({
      name: v.name,
      ...(v.description !== undefined && { description: v.description }),
      set: v.set,
      result: r.result,
      resultJson: relative(home, join(r.dir, 'result.json')),
      reportHtml: relative(home, join(r.dir, 'report.html')),
    });
  }
  if (runs.length === 0 || runs[0]!.name !== 'base') {
    err(`${scenario.name}: the base did not run, so there is nothing to compare\n`);
    return failedToStart ? EXIT.invalid : EXIT.interrupted;
  }
  out(`\n${formatVariantTable(runs, { color: opts.color })}\n`);
  const id = makeRunId(started);
  await mkdir(home, { recursive: true });
  const html = join(home, `variants-${id}.html`);
  const json = join(home, `variants-${id}.json`);
  const text = await readFile(scenario.file, 'utf8').catch(() => '');
  await writeFile(html, renderVariantsHtml(runs, text));
  await writeFile(json, JSON.stringify(variantRows(runs), null, 2) + '\n');
  out(`  ${shown(html)}\n  ${shown(json)}\n`);
  if (opts.aborted?.()) return EXIT.interrupted;
  if (failedToStart) return EXIT.invalid;
  const ran = runs.length === todo.length;
  return ran && runs.every((r) => metExpectation(r.result)) ? EXIT.pass : EXIT.breached;
}
