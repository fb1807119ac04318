/**
 * `faultline herd metastable` and `faultline herd map`, registered on the `herd` command by
 * `registerMetastableCommands`. Both run in virtual time (src/sim): the metastable case of
 * Bronson et al. (HotOS 2021, §2.1) with its variants, and the metastability map of any
 * open-model scenario over load × trigger length, for the scenario's router config and each
 * `--variant`. Exit codes as the rest of the CLI: 0 done, 2 invalid input or a scenario the
 * simulator cannot model (every problem is printed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { validateScenario } from '../api.ts';
import { formatIssues } from '../config/issues.ts';
import { parseDuration, parseRate } from '../core/units.ts';
import type { Scenario } from '../model/scenario.ts';
import { loadRouterConfig } from '../router/index.ts';
import { makeRunId } from '../run/run.ts';
import { simulateScenario, SimUnsupportedError } from '../sim/index.ts';
import { AS_WRITTEN, buildMap, defaultGrid, MapInputError, type MapVariant, type MetastabilityMap, type Simulate } from '../sim/herd/map.ts';
import { mapJsonRows, renderMapHtml, renderMapTable } from '../sim/herd/map-render.ts';
import { renderMetastable, runMetastable } from '../sim/herd/metastable.ts';
import { exit } from './exit.ts';

const EXIT_OK = 0;
const EXIT_INVALID = 2;

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
};

const seedOf = (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('a seed is a whole number');
  return n;
};
const collect = (v: string, all: string[]) => [...all, v];
/** `20,40,60` or `20/s,1200/m`: requests per second. */
const loadsOf = (v: string) =>
  v.split(',').map((x) => {
    const s = x.trim();
    const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : /\//.test(s) ? safe(() => parseRate(s)) : NaN;
    if (!(n > 0)) throw new InvalidArgumentError(`\`${s}\` is not a load: a number per second such as 40, or a rate such as 40/s`);
    return n;
  });
/** `500ms,1s,2s`. */
const lengthsOf = (v: string) =>
  v.split(',').map((x) => {
    const n = safe(() => parseDuration(x.trim()));
    if (!(n > 0)) throw new InvalidArgumentError(`\`${x.trim()}\` is not a trigger length: a duration such as 500ms or 2s`);
    return n;
  });
const safe = (f: () => number) => {
  try {
    return f();
  } catch {
    return NaN;
  }
};

const simulate: Simulate = (scenario, options) => simulateScenario(scenario, options);

async function load(file: string): Promise<Scenario | null> {
  const loaded = await validateScenario(resolve(file), { env: process.env });
  if (loaded.ok) return loaded.scenario;
  process.stderr.write(formatIssues(loaded.issues.map((i) => ({ ...i, file: shown(i.file) }))) + '\n');
  return null;
}

/** What the simulator or the map refused, said in full, and the exit code for it. */
function refused(err: unknown): number {
  if (err instanceof SimUnsupportedError) process.stderr.write(`the simulator cannot run this scenario:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  else if (err instanceof MapInputError) process.stderr.write(`${err.message}\n`);
  else throw err;
  return EXIT_INVALID;
}

export interface MetastableFlags {
  scenario: string;
  seed?: number;
  json?: boolean;
}

export async function metastableCommand(flags: MetastableFlags): Promise<number> {
  const scenario = await load(flags.scenario);
  if (!scenario) return EXIT_INVALID;
  try {
    const runs = await runMetastable(scenario, simulate, flags.seed === undefined ? {} : { seed: flags.seed });
    const seed = flags.seed ?? scenario.seed;
    if (flags.json) {
      process.stdout.write(JSON.stringify({ scenario: scenario.name, file: scenario.file, seed, runs }, null, 2) + '\n');
    } else {
      const f = scenario.faults[0]!;
      const heading = `${scenario.name} in virtual time (seed ${seed}, ${scenario.load.durationMs / 1000} s): trigger \`${f.name}\` ${f.fromMs / 1000}–${f.toMs / 1000} s`;
      process.stdout.write(renderMetastable(runs, heading) + '\n');
    }
    return EXIT_OK;
  } catch (err) {
    return refused(err);
  }
}

export interface MapFlags {
  variant: string[];
  loads?: number[];
  triggers?: number[];
  trigger?: string;
  seed?: number;
  json?: boolean;
  reports: string;
}

export async function mapCommand(file: string, flags: MapFlags): Promise<number> {
  const scenario = await load(file);
  if (!scenario) return EXIT_INVALID;
  const variants: MapVariant[] = [AS_WRITTEN];
  for (const v of flags.variant) {
    const path = resolve(v);
    const loaded = await loadRouterConfig(path);
    if (!loaded.ok) {
      process.stderr.write(formatIssues(loaded.issues.map((i) => ({ ...i, file: shown(i.file) }))) + '\n');
      return EXIT_INVALID;
    }
    variants.push({ name: shown(path), router: path });
  }
  try {
    const grid = defaultGrid(scenario, flags.trigger);
    const map = await buildMap(
      {
        scenario,
        ...(flags.trigger !== undefined && { trigger: flags.trigger }),
        loads: flags.loads ?? grid.loads,
        triggersMs: flags.triggers ?? grid.triggersMs,
        variants,
        ...(flags.seed !== undefined && { seed: flags.seed }),
      },
      simulate,
      (_cell, done, total) => {
        if (process.stderr.isTTY) process.stderr.write(`\r  ${done}/${total} cells${done === total ? '\n' : ''}`);
      },
    );
    const html = await writeMap(map, flags.reports);
    if (flags.json) process.stdout.write(JSON.stringify(mapJsonRows(map)) + '\n');
    else process.stdout.write(`${renderMapTable(map)}\n\nmap: ${shown(html)}\n`);
    return EXIT_OK;
  } catch (err) {
    return refused(err);
  }
}

/** reports/<scenario>/map-<id>.html, next to the scenario's run reports. */
async function writeMap(map: MetastabilityMap, reports: string): Promise<string> {
  const dir = join(resolve(reports), map.scenario.name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `map-${makeRunId(Date.now())}.html`);
  await writeFile(file, renderMapHtml(map));
  return file;
}

/** Adds `metastable` and `map` to the `herd` command. */
export function registerMetastableCommands(herd: Command): void {
  herd
    .command('metastable')
    .description('the metastable failure of Bronson et al. (HotOS 2021, §2.1) in virtual time, with its variants: lower load, a retry budget, a breaker, jitter; per run: recovered or stuck, when, peak amplification')
    .option('--scenario <file>', 'the case', 'scenarios/incidents/metastable.broken.yaml')
    .option('--seed <n>', "seed instead of the scenario's", seedOf)
    .option('--json', 'print the runs as JSON')
    .action(async (o: MetastableFlags) => exit(await metastableCommand(o)));
  herd
    .command('map')
    .description('the metastability map of a scenario in virtual time: over offered load × trigger length, does the system recover after the trigger, and when; for its router config and each --variant')
    .argument('<scenario>', 'an open-model scenario file with one trigger fault (or name it with --trigger)')
    .option('--variant <router.yaml>', 'another router config to map the same grid for, repeatable', collect, [])
    .option('--loads <list>', 'offered loads, per second, e.g. 20,40,60 (default: 50 %–150 % of the scenario’s rate)', loadsOf)
    .option('--triggers <list>', 'trigger lengths, e.g. 0.5s,1s,2s (default: ¼× to 2× the trigger as written)', lengthsOf)
    .option('--trigger <fault>', 'the fault whose window is varied (default: the only one)')
    .option('--seed <n>', "seed instead of the scenario's", seedOf)
    .option('--json', 'print one JSON row per cell instead of the table')
    .option('-o, --reports <dir>', 'where reports/<scenario>/map-<id>.html goes', 'reports')
    .action(async (file: string, o: MapFlags) => exit(await mapCommand(file, o)));
}
