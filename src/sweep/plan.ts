/**
 * A sweep planned before anything runs: the parameters parsed, their paths and values checked
 * against the scenario and its router config, the points generated, the objectives parsed.
 * Every problem comes back at once (exit 2), each naming the `--param`/`--objective` by its
 * position.
 *
 * The check reuses the variants machinery (src/scenario/variants.ts): the scenario document
 * is read once more with synthetic variants — one per distinct combination of the points'
 * scenario-side settings (`load.rate`, `faults[brownout].to`; each becomes a validated
 * `Scenario` the workers run), and one per value of each router-side parameter (a list's every
 * value, a range's two ends) — so a path that names nothing gets doc-path's did-you-mean, and a
 * value the schema refuses gets the schema's message, exactly as a variant would. Router-side
 * settings then travel per point as `target.set`; a combination only the router config's
 * cross-checks refuse (a base above the cap) fails that point alone, in the simulator's load
 * of the config, and is reported as the point's error.
 */
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import type { ConfigIssue } from '../config/issues.ts';
import type { RouterSetting, Scenario } from '../model/scenario.ts';
import type { SweepMethod, SweepObjective, SweepParam, SweepValue } from '../model/sweep.ts';
import { fileContext, parseScenario, type ScenarioLoadOptions } from '../scenario/load.ts';
import { settingSide } from '../scenario/variants.ts';
import { measurable, OBJECTIVE_ALIASES, STANDARD_MEASURES } from './measure.ts';
import { gridPoints, gridSize, randomPoints, type Settings } from './points.ts';
import { parseParam, showValue } from './values.ts';

/** A grid larger than this needs --random or --max-points: a product of ranges grows fast. */
export const MAX_GRID = 20_000;

export interface PlannedPoint {
  settings: Settings;
  /** Index into `SweepPlan.scenarios`. */
  scenario: number;
  set: RouterSetting[];
}

export interface SweepPlan {
  base: Scenario;
  params: SweepParam[];
  method: SweepMethod;
  seeds: number[];
  objectives: SweepObjective[];
  /** The objectives as measurable SLOs, in order. */
  objectiveSlos: string[];
  scenarios: Scenario[];
  points: PlannedPoint[];
  /** No --objective was named: the defaults, and cost joins them if the router charged anything. */
  defaultObjectives: boolean;
}

export interface PlanInput {
  base: Scenario;
  params: string[];
  objectives: string[];
  method: SweepMethod;
  seeds: number;
  load: ScenarioLoadOptions;
}

/** The objectives when none are named: p99 latency and amplification (cost is added after the runs if the router charges any). */
export const DEFAULT_OBJECTIVES = ['p99(latency)', 'upstream_requests / requests'];

export function parseObjective(text: string): { ok: true; objective: SweepObjective; slo: string } | { ok: false; error: string } {
  let t = text.trim();
  let direction: 'min' | 'max' = 'min';
  const m = /^(min|max):\s*/.exec(t);
  if (m) {
    direction = m[1] as 'min' | 'max';
    t = t.slice(m[0].length);
  }
  if (t === '') return { ok: false, error: 'empty objective (e.g. p99(latency), upstream_requests / requests, cost, max:availability)' };
  const expr = OBJECTIVE_ALIASES[t] ?? t;
  const r = measurable(expr);
  if (!r.ok) return { ok: false, error: r.error };
  return { ok: true, objective: { name: t, expr, direction, unit: r.unit }, slo: r.slo };
}

/** Plans the sweep; every problem, positioned by flag. */
export async function planSweep(input: PlanInput): Promise<{ ok: true; plan: SweepPlan } | { ok: false; errors: string[] }> {
  const errors: string[] = [];
  const params: SweepParam[] = [];
  /** Each parsed parameter's position on the command line (1-based), for its messages. */
  const argNo = new Map<string, number>();
  input.params.forEach((arg, i) => {
    const r = parseParam(arg);
    if (!r.ok) for (const e of r.errors) errors.push(`--param ${i + 1} (${arg}), character ${e.column}: ${e.message}`);
    else {
      const side = settingSide(r.param.path).side;
      if (params.some((p) => p.path === r.param.path)) errors.push(`--param ${i + 1} (${arg}): \`${r.param.path}\` is swept twice`);
      else {
        params.push({ ...r.param, side });
        argNo.set(r.param.path, i + 1);
      }
    }
  });
  if (input.params.length === 0) errors.push('name at least one --param path=values (e.g. --param retry.backoff.jitter=none,full)');
  const objectives: SweepObjective[] = [];
  const objectiveSlos: string[] = [];
  for (const [i, text] of (input.objectives.length ? input.objectives : DEFAULT_OBJECTIVES).entries()) {
    const r = parseObjective(text);
    if (!r.ok) errors.push(`--objective ${i + 1} (${text}): ${r.error}`);
    else {
      objectives.push(r.objective);
      objectiveSlos.push(r.slo);
    }
  }
  if (!(Number.isInteger(input.seeds) && input.seeds >= 1)) errors.push(`--seeds: expected a whole number ≥ 1, found ${input.seeds}`);
  if (input.method.kind === 'random' && !(Number.isInteger(input.method.n) && input.method.n >= 1)) errors.push(`--random: expected a whole number of points ≥ 1, found ${input.method.n}`);
  const base = input.base;
  const router = base.target.kind === 'router';
  params.forEach((p) => {
    if (p.side === 'router' && !router) errors.push(`--param ${p.path}: a router setting, but the scenario's target is not the reference router (target.router)`);
  });
  if (input.method.kind === 'grid' && errors.length === 0 && gridSize(params) > MAX_GRID) {
    errors.push(`the grid has ${gridSize(params).toLocaleString('en')} points (more than ${MAX_GRID.toLocaleString('en')}); fewer steps, or sample it with --random N`);
  }
  if (errors.length) {
    // Still check the parameters that parsed against the scenario, so every problem comes at once.
    const parsed = params.filter((p) => p.side === 'scenario' || router);
    if (parsed.length) errors.push(...(await probeParams(base, parsed, input, argNo)));
    return { ok: false, errors };
  }

  const settingsList = input.method.kind === 'grid' ? gridPoints(params) : randomPoints(params, input.method.n, input.method.seed);
  const scenarioPaths = params.filter((p) => p.side === 'scenario').map((p) => p.path);
  const routerParams = params.filter((p) => p.side === 'router');
  const comboKey = (s: Settings) => JSON.stringify(scenarioPaths.map((k) => (k in s ? s[k] : null)));
  const combos = new Map<string, Settings>();
  for (const s of settingsList) {
    const k = comboKey(s);
    if (!combos.has(k)) combos.set(k, Object.fromEntries(scenarioPaths.filter((p) => p in s).map((p) => [p, s[p]!])));
  }
  // Probes: each router-side parameter's values one at a time (a range's ends).
  const probes: { param: SweepParam; value: SweepValue }[] = routerParams.flatMap((p) => {
    const vs = p.kind === 'range' ? [p.values[0]!, p.values[p.values.length - 1]!] : p.values.filter((v) => v !== 'on');
    return [...new Set(vs)].map((value) => ({ param: p, value }));
  });
  const comboList = [...combos.entries()];
  const needsLoad = probes.length > 0 || comboList.some(([, s]) => Object.keys(s).length > 0);
  const scenarios: Scenario[] = [base];
  const comboIndex = new Map<string, number>();
  if (needsLoad) {
    const text = await readFile(base.file, 'utf8');
    const doc = parse(text) as Record<string, unknown>;
    const variants: { name: string; set: Record<string, unknown> }[] = [];
    const tags: ({ kind: 'combo'; key: string; settings: Settings } | { kind: 'probe'; param: SweepParam; value: SweepValue })[] = [];
    for (const [key, settings] of comboList) {
      if (Object.keys(settings).length === 0) {
        comboIndex.set(key, 0);
        continue;
      }
      variants.push({ name: `sweep-combo-${variants.length}`, set: { ...settings } });
      tags.push({ kind: 'combo', key, settings });
    }
    for (const pr of probes) {
      variants.push({ name: `sweep-probe-${variants.length}`, set: { [pr.param.path]: pr.value } });
      tags.push({ kind: 'probe', ...pr });
    }
    doc.variants = variants;
    const loaded = parseScenario(stringify(doc), base.file, fileContext, input.load);
    if (!loaded.ok) return { ok: false, errors: describeIssues(loaded.issues, tags, params, argNo) };
    const byName = new Map((loaded.scenario.variants ?? []).map((v) => [v.name, v.scenario]));
    variants.forEach((v, i) => {
      const tag = tags[i]!;
      if (tag.kind !== 'combo') return;
      const s = byName.get(v.name)!;
      comboIndex.set(tag.key, scenarios.length);
      // The point's own name in reports is the base's; the variant name is the sweep's bookkeeping.
      scenarios.push({ ...s, name: base.name, variants: [] });
    });
  } else comboIndex.set(comboKey({}), 0);
  const routerPathIndex = new Map(params.map((p, i) => [p.path, i]));
  const points: PlannedPoint[] = settingsList.map((settings) => ({
    settings,
    scenario: comboIndex.get(comboKey(settings)) ?? 0,
    set: routerParams
      .filter((p) => p.path in settings)
      .map((p) => ({
        path: p.path,
        value: settings[p.path],
        at: { file: 'the command line', line: routerPathIndex.get(p.path)! + 1, column: 1, path: `--param ${p.path}=${showValue(settings[p.path])}` },
      })),
  }));
  const seeds = Array.from({ length: input.seeds }, (_, i) => base.seed + i);
  return { ok: true, plan: { base: { ...base, variants: [] }, params, method: input.method, seeds, objectives, objectiveSlos, scenarios, points, defaultObjectives: input.objectives.length === 0 } };
}

/** Each parameter's values one at a time against the scenario: the problems only. */
async function probeParams(base: Scenario, params: SweepParam[], input: PlanInput, argNo: Map<string, number>): Promise<string[]> {
  const probes = params.flatMap((p) => {
    const vs = p.kind === 'range' ? [p.values[0]!, p.values[p.values.length - 1]!] : p.values.filter((v) => v !== 'on');
    return [...new Set(vs)].map((value) => ({ kind: 'probe' as const, param: p, value }));
  });
  const doc = parse(await readFile(base.file, 'utf8')) as Record<string, unknown>;
  doc.variants = probes.map((pr, i) => ({ name: `sweep-probe-${i}`, set: { [pr.param.path]: pr.value } }));
  const loaded = parseScenario(stringify(doc), base.file, fileContext, input.load);
  return loaded.ok ? [] : describeIssues(loaded.issues, probes, params, argNo);
}

/** The loader's issues as the command line's: the `--param` (and value) that caused each. */
function describeIssues(
  issues: ConfigIssue[],
  tags: ({ kind: 'combo'; settings: Settings } | { kind: 'probe'; param: SweepParam; value: SweepValue })[],
  params: SweepParam[],
  argNo: Map<string, number>,
): string[] {
  const out = new Set<string>();
  const grouped = new Map<string, { n: number; param: SweepParam; values: string[]; message: string; expected: string | undefined }>();
  const order: string[] = [];
  for (const i of issues) {
    const m = /^variants\[(\d+)\]\.set\["?(.*?)"?\]/.exec(i.path);
    const tag = m ? tags[Number(m[1])] : undefined;
    const path = m?.[2];
    const param = params.find((p) => p.path === path) ?? (tag?.kind === 'probe' ? tag.param : undefined);
    const message = i.message.replace(/^`[^`]*`: /, '');
    if (!param) {
      out.add(`${message}${tag?.kind === 'combo' ? ` (with ${Object.entries(tag.settings).map(([k, v]) => `${k}=${showValue(v)}`).join(', ')})` : ''}`);
      continue;
    }
    const n = argNo.get(param.path) ?? params.indexOf(param) + 1;
    const value = tag?.kind === 'probe' ? tag.value : tag?.kind === 'combo' ? tag.settings[param.path] : undefined;
    // One line per parameter and problem: the same problem for several values lists the values.
    const shape = value === undefined ? message : message.split(`${param.path}: ${showValue(value)}`).join(`${param.path}: …`);
    const key = `${n}\u0000${shape}\u0000${i.expected ?? ''}`;
    const seen = grouped.get(key);
    if (seen) {
      if (value !== undefined) seen.values.push(showValue(value));
      continue;
    }
    grouped.set(key, { n, param, values: value === undefined ? [] : [showValue(value)], message: value === undefined || seen ? message : shape, expected: i.expected });
    order.push(key);
  }
  for (const key of order) {
    const g = grouped.get(key)!;
    const values = g.values.length ? `, value${g.values.length > 1 ? 's' : ''} ${g.values.join(', ')}` : '';
    const message = g.values.length === 1 ? g.message.split(`${g.param.path}: …`).join(`${g.param.path}: ${g.values[0]}`) : g.message;
    out.add(`--param ${g.n} (${g.param.path}=${g.param.spec})${values}: ${message}${g.expected ? ` (expected ${g.expected})` : ''}`);
  }
  return [...out];
}

/** The standard figures every run measures, for the screen and the files (re-exported for the CLI). */
export { STANDARD_MEASURES };
