/**
 * Scenario file → normalised `Scenario`, or every issue at once: YAML syntax, schema, and
 * the checks a schema cannot express (unique names, references between sections, time
 * windows inside the run, SLO expressions that parse, a router config that exists).
 *
 * The semantic checks run on the document even when it fails the schema — written
 * defensively, each skipping what it cannot read — so one pass shows a typo in a field
 * and a fault naming an unknown provider together. Normalisation runs only on a clean file.
 *
 * @example
 *   const r = await readScenarioFile('scenarios/joke-api-flaky.yaml');
 *   if (!r.ok) { console.error(formatIssues(r.issues)); process.exitCode = 2; }
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inspectYaml, inspectYamlFile, type InspectOptions, type Loaded, type YamlInspection } from '../config/load.ts';
import { issueAt, sortIssues, type ConfigIssue, type Locate } from '../config/issues.ts';
import { closest } from '../core/suggest.ts';
import { lookupIn } from '../config/interpolate.ts';
import { localFiles, parseRouterConfig, routerMetricNames, type RouterConfig, type RouterLoadOptions } from '../router/index.ts';
import { applyOverridesToDocument, explainOverrides, hasOverrides, type ScenarioOverrides } from './overrides.ts';
import { checkReportMetrics, checkRouterProviders, checkSloMetrics, type Exported } from './target-checks.ts';
import { DURATION_PATTERN, formatDuration, parseDuration, parseRate, RATE_PATTERN } from '../core/units.ts';
import { parseSlo, valueNodes } from '../slo/index.ts';
import type { LoadSpec, RequestSpec, Scenario } from '../model/scenario.ts';
import type { SloWindow } from '../model/window.ts';
import { checkCapacity, normalizeCapacity } from '../model/capacity.ts';
import { checkFault, normalizeFault as normalizeKind, type FaultSpec } from '../model/faults/index.ts';
import { normalizeMatch } from '../model/match.ts';
import { ScenarioSchema, type ScenarioFile } from './schema.ts';
import { checkFaultTiming, inferRampParam, withTiming } from './timelines.ts';
import { checkRunnable } from './runnable.ts';
import { withVariants } from './variants.ts';
import { checkProviderSource, checkTarget, normalizeProviderSource, normalizeTarget } from './targets.ts';

export type ScenarioLoaded = { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] };

export interface ScenarioContext {
  /** Whether a file exists at this absolute path (the router config check). */
  fileExists(absPath: string): boolean;
  /** Whether a folder exists at this absolute path (a command target's `cwd`); not checked when absent. */
  dirExists?(absPath: string): boolean;
  /** The reference router's config at this absolute path, loaded (the cross-checks with it), with a variant's settings; not checked when absent. */
  routerConfig?(absPath: string, options?: RouterLoadOptions): Loaded<RouterConfig>;
}

/** How a scenario file is read: variables for `${VAR}`, and values that replace the file's own. */
export interface ScenarioLoadOptions {
  /** Variables for `${VAR}` in values, first (e.g. `-e KEY=VALUE`). */
  vars?: Readonly<Record<string, string>>;
  /** Variables looked up after `vars`. `readScenarioFile` defaults to the process environment; `parseScenario` to none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `--duration`, `--rate`, `--seed`: applied before validation, so every check sees the run as it will be. */
  overrides?: ScenarioOverrides;
}

/**
 * Reads, validates and normalises a scenario file. Issues name `file` as given; the scenario
 * holds its absolute path. `${VAR}` is looked up in `options.vars`, then `options.env`
 * (default: the process environment).
 *
 * @example
 *   await readScenarioFile('chaos/checkout.yaml', { vars: { PAYMENTS_URL: 'http://127.0.0.1:12111' }, overrides: { duration: '5s' } })
 */
export async function readScenarioFile(file: string, options: ScenarioLoadOptions = {}): Promise<ScenarioLoaded> {
  const opts = { ...options, env: options.env ?? process.env };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // The config loader words a file that cannot be read.
    return settle(await inspectYamlFile(file, ScenarioSchema, inspectOptions(file, opts)), file, fileContext, opts);
  }
  return parseScenario(text, file, fileContext, opts);
}

/** The local file system as `parseScenario` sees it: what `readScenarioFile` uses (router config cross-checks included). */
export const fileContext: ScenarioContext = { fileExists: isFile, dirExists: isDir, routerConfig: readRouterConfig };

/** The pure core of `readScenarioFile`: the file's text in, the file system seen only through `ctx`, variables only from `options`. */
export function parseScenario(text: string, file: string, ctx: ScenarioContext, options: ScenarioLoadOptions = {}): ScenarioLoaded {
  const first = inspectYaml(text, file, ScenarioSchema, inspectOptions(file, options));
  const base = settle(first, file, ctx, options);
  if (!first.wellFormed || !Array.isArray(rec(first.value)?.variants)) return withSource(base, text, options);
  // Each variant: the file read again, its settings applied after the overrides, then every check.
  return withSource(
    withVariants(base, first, file, {
      inspect: (prepare) => inspectYaml(text, file, ScenarioSchema, inspectOptions(file, options, prepare)),
      settle: (r, router) => settle(r, file, ctx.routerConfig ? { ...ctx, routerConfig: (abs) => ctx.routerConfig!(abs, router) } : ctx, options),
    }),
    text,
    options,
  );
}

/** The scenario as run, for the report: the text as written and what changed it (variables by name only: their values may be secrets). */
function withSource(loaded: ScenarioLoaded, text: string, options: ScenarioLoadOptions): ScenarioLoaded {
  if (!loaded.ok) return loaded;
  const o = options.overrides;
  const overrides = hasOverrides(o) ? { ...(o.duration !== undefined && { duration: o.duration }), ...(o.rate !== undefined && { rate: o.rate }), ...(o.seed !== undefined && { seed: o.seed }) } : undefined;
  const vars = Object.keys(options.vars ?? {});
  const source = { text, ...(overrides && { overrides }), ...(vars.length > 0 && { vars }) };
  const s = loaded.scenario;
  return {
    ok: true,
    scenario: {
      ...s,
      source,
      ...(s.variants && { variants: s.variants.map((v) => ({ ...v, scenario: { ...v.scenario, source: { ...source, variant: { name: v.name, set: v.set } } } })) }),
    },
  };
}

function inspectOptions(file: string, options: ScenarioLoadOptions, then?: (value: unknown, locate: Locate) => ConfigIssue[]): InspectOptions {
  const overrides = options.overrides;
  const own = hasOverrides(overrides) ? (value: unknown, locate: Locate) => applyOverridesToDocument(value, overrides, file, locate) : undefined;
  return {
    vars: lookupIn(options.vars, options.env),
    ...((own || then) && { prepare: (value: unknown, locate: Locate) => [...(own?.(value, locate) ?? []), ...(then?.(value, locate) ?? [])] }),
  };
}

function settle(r: YamlInspection, file: string, ctx: ScenarioContext, options: ScenarioLoadOptions = {}): ScenarioLoaded {
  if (!r.wellFormed) return { ok: false, issues: r.issues };
  // A value still reading `${UNSET}` is reported once, as the undefined variable.
  const unresolved = new Set(r.issues.filter((i) => i.message.startsWith('undefined variable')).map((i) => i.path));
  const semantic = [...checkScenario(r.value, file, r.locate, ctx), ...checkAgainstTarget(r.value, file, r.locate, ctx)];
  const issues = explainOverrides([...r.issues, ...semantic.filter((i) => !unresolved.has(i.path))], options.overrides);
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };
  return { ok: true, scenario: normalizeScenario(r.value as ScenarioFile, file) };
}

function readRouterConfig(absPath: string, options?: RouterLoadOptions): Loaded<RouterConfig> {
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ file: absPath, line: 1, column: 1, path: '', message: `cannot read the router config: ${(err as Error).message}` }] };
  }
  return parseRouterConfig(text, absPath, localFiles(path.dirname(absPath)), options);
}

/**
 * What `run` would reject about the target before starting: the router config itself (its
 * issues name the router file), its providers against the scenario's, and the SLOs' metric
 * names against what the target exports.
 */
function checkAgainstTarget(doc: unknown, file: string, locate: Locate, ctx: ScenarioContext): ConfigIssue[] {
  const target = rec(rec(doc)?.target);
  if (!target) return [];
  const router = str(target.router);
  if (router !== undefined && router !== '') {
    const config = path.resolve(path.dirname(path.resolve(file)), router);
    if (!ctx.routerConfig || !ctx.fileExists(config)) return [];
    const loaded = ctx.routerConfig(config);
    if (!loaded.ok) return loaded.issues;
    const known: Exported = { kind: 'known', names: routerMetricNames(), what: "the reference router's /metrics has no such metric" };
    return [...checkRouterProviders(doc, file, locate, loaded, router), ...checkSloMetrics(doc, file, locate, known), ...checkReportMetrics(doc, file, locate, known)];
  }
  // A service of the user's: its metrics are known only once it runs, if it has an endpoint at all.
  if (target.metrics !== undefined) return checkSloMetrics(doc, file, locate, { kind: 'unknown' });
  const none: Exported = {
    kind: 'none',
    hint: 'the target has no metrics endpoint to read it from (add `target.metrics: /metrics` for a service that exports Prometheus metrics)',
  };
  return [...checkSloMetrics(doc, file, locate, none), ...checkReportMetrics(doc, file, locate, none)];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Semantic checks, on a document that may not have passed the schema.

type Raw = Record<string, unknown>;
type Path = (string | number)[];

const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const DURATION = new RegExp(DURATION_PATTERN);
const RATE = new RegExp(RATE_PATTERN);
/** A duration the schema accepts, in ms; undefined for anything the schema reports itself. */
const durationOf = (v: unknown): number | undefined => (typeof v === 'string' && DURATION.test(v) ? parseDuration(v) : undefined);

/**
 * The checks a JSON Schema cannot express. Every check reads only values of the right shape
 * and skips the rest, so a value the schema already rejected is not reported twice.
 */
export function checkScenario(doc: unknown, file: string, locate: Locate, ctx: ScenarioContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (p: Path, message: string, extra?: { expected?: string; found?: string }) => issues.push(issueAt(locate, file, p, message, extra));
  const raw = rec(doc);
  if (!raw) return issues;

  // --- target
  const target = rec(raw.target);
  const router = str(target?.router);
  if (router !== undefined && router !== '') {
    const config = path.resolve(path.dirname(path.resolve(file)), router);
    if (!ctx.fileExists(config)) at(['target', 'router'], `router config not found: ${config}`);
  }
  const url = str(target?.url);
  if (url !== undefined && /^https?:\/\//.test(url) && !URL.canParse(url)) {
    at(['target', 'url'], 'not a valid URL', { expected: 'a URL like http://127.0.0.1:8080', found: JSON.stringify(url) });
  }

  // --- providers
  const providers = list(raw.providers);
  uniqueNames(providers, ['providers'], 'provider', at, locate);
  const regionsOf = new Map<string, string[]>();
  /** Whether each provider states a capacity (a capacity fault on one that does not needs a service time). */
  const capacityOf = new Map<string, boolean>();
  /** Fixed proxy addresses seen so far, each at most once. */
  const listens = new Map<string, Path>();
  providers.forEach((p, i) => {
    const regions = list(rec(p)?.regions);
    uniqueValues(regions, ['providers', i, 'regions'], 'region', at, locate);
    const name = str(rec(p)?.name);
    if (name !== undefined && !regionsOf.has(name)) regionsOf.set(name, regions.filter((r): r is string => typeof r === 'string'));
    if (name !== undefined && !capacityOf.has(name)) capacityOf.set(name, rec(p)?.capacity !== undefined);
    checkCapacity(rec(p)?.capacity, ['providers', i, 'capacity'], at);
    if (rec(p)) checkProviderSource(rec(p)!, i, file, ctx, at, listens);
  });
  // Templates in a command target name providers and their regions.
  checkTarget(target, file, regionsOf, ctx, at);

  // --- load
  const load = rec(raw.load);
  const durationMs = durationOf(load?.duration);
  if (durationMs === 0) at(['load', 'duration'], 'the run must last longer than 0');
  if (durationOf(load?.timeout) === 0) at(['load', 'timeout'], 'the client timeout must be longer than 0');
  const rate = load?.rate;
  if (typeof rate === 'string' && RATE.test(rate) && parseRate(rate) === 0) at(['load', 'rate'], 'the rate must be above 0');

  // --- faults
  const faults = list(raw.faults);
  uniqueNames(faults, ['faults'], 'fault', at, locate);
  /** When each fault ends (undefined when unreadable), for the recovery windows below. */
  const faultEnds = new Map<string, number | undefined>();
  faults.forEach((item, i) => {
    const f = rec(item);
    if (!f) return;
    const base: Path = ['faults', i];
    const layer = f.layer;
    const name = str(f.name);

    const ft = rec(f.target);
    const provider = str(ft?.provider);
    const region = str(ft?.region);
    if (provider !== undefined && provider !== '') {
      const regions = regionsOf.get(provider);
      if (!regions) {
        const hint = closest(provider, regionsOf.keys());
        at([...base, 'target', 'provider'], `unknown provider \`${provider}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`, {
          expected: regionsOf.size ? `one of: ${[...regionsOf.keys()].join(', ')}` : 'the name of a provider',
        });
      } else if (region !== undefined && !regions.includes(region)) {
        if (regions.length) {
          at([...base, 'target', 'region'], `provider \`${provider}\` has no region \`${region}\``, { expected: `one of: ${regions.join(', ')}` });
        } else {
          at([...base, 'target', 'region'], `provider \`${provider}\` has no regions`);
        }
      }
    }
    // A toxic acts on the provider's connections, below HTTP: it cannot pick a route.
    if (layer === 'network' && ft?.route !== undefined) {
      at([...base, 'target', 'route'], 'route applies to http faults only; a network fault hits every connection to the provider');
    }
    if (layer === 'network' && ft?.match !== undefined) {
      at([...base, 'target', 'match'], 'match applies to http faults only; a network fault cannot see headers or bodies');
    }

    const fromMs = f.from === undefined ? 0 : durationOf(f.from);
    const toMs = f.to === undefined ? durationMs : durationOf(f.to);
    if (fromMs !== undefined && toMs !== undefined) {
      if (f.to !== undefined && durationMs !== undefined && toMs > durationMs) {
        at([...base, 'to'], `the fault ends at ${formatDuration(toMs)}, after the run ends at ${formatDuration(durationMs)}`);
      } else if (fromMs >= toMs) {
        if (f.to !== undefined) at([...base, 'to'], `the fault must end after it starts (from ${formatDuration(fromMs)})`);
        else at([...base, 'from'], `the fault starts at ${formatDuration(fromMs)}, when the run has already ended`);
      }
    }
    // Ramps, repeats, flaps (timelines.ts); a repeating fault ends with its last occurrence.
    const lastEndMs = checkFaultTiming(f, base, { fromMs, toMs, durationMs }, at);
    if (name !== undefined && !faultEnds.has(name)) faultEnds.set(name, lastEndMs);

    // Shares above 100%, durations beyond a timer's reach: the schema's `quantity` bounds (units.ts).
    // What else each kind needs (retryAfter's status, an outage's shape, ...) is the kind's (src/model/faults/).
    checkFault(f, base, at, { providerHasCapacity: (p) => capacityOf.get(p), ramped: inferRampParam(f) });
  });

  // --- SLOs
  const slos = list(raw.slos);
  uniqueNames(slos, ['slos'], 'SLO', at, locate);
  slos.forEach((item, i) => {
    const s = rec(item);
    if (!s) return;
    const base: Path = ['slos', i];
    const expr = str(s.expr);
    if (expr !== undefined && expr !== '') {
      const parsed = parseSlo(expr);
      if (!parsed.ok) {
        // The parser's offset is 0-based into the expression; people count columns from 1.
        at([...base, 'expr'], `SLO expression does not parse at column ${parsed.error.offset + 1}: ${parsed.error.message}`, {
          found: JSON.stringify(expr),
        });
      }
      // recovery_time(<fault>) names a fault as a window does: an unknown one is a typo to catch now, not when the run is judged.
      if (parsed.ok) {
        for (const n of valueNodes(parsed.expr)) {
          if (n.kind !== 'recovery' || n.fault === null || faultEnds.has(n.fault)) continue;
          const hint = closest(n.fault, faultEnds.keys());
          at([...base, 'expr'], `recovery_time names an unknown fault \`${n.fault}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`, {
            expected: faultEnds.size ? `one of: ${[...faultEnds.keys()].join(', ')}` : 'the name of a fault (this scenario has none)',
          });
        }
      }
    }
    checkAbortOnFail(s, base, at, durationMs);
    const w = rec(s.window);
    if (!w) return;
    for (const field of ['during', 'recovery'] as const) {
      const name = str(w[field]);
      if (name === undefined || name === '' || faultEnds.has(name)) continue;
      const hint = closest(name, faultEnds.keys());
      at([...base, 'window', field], `unknown fault \`${name}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`, {
        expected: faultEnds.size ? `one of: ${[...faultEnds.keys()].join(', ')}` : 'the name of a fault (this scenario has none)',
      });
    }
    // A recovery window opens when its fault switches off: it must open, and close, inside the run.
    const recovery = str(w.recovery);
    const end = recovery !== undefined ? faultEnds.get(recovery) : undefined;
    const forMs = durationOf(w.for);
    if (forMs === 0) at([...base, 'window', 'for'], 'the recovery window must last longer than 0');
    if (recovery !== undefined && end !== undefined && durationMs !== undefined) {
      if (end >= durationMs) {
        at([...base, 'window', 'recovery'], `fault \`${recovery}\` lasts until the end of the run, so there is no recovery to measure`);
      } else if (forMs !== undefined && end + forMs > durationMs) {
        at(
          [...base, 'window', 'for'],
          `the recovery window ends at ${formatDuration(end + forMs)}, after the run ends at ${formatDuration(durationMs)}`,
        );
      }
    }
  });

  // Values the schema admits that the run could not use (paths, headers, NUL bytes, ports).
  checkRunnable(raw, at);

  return issues;
}

type At = (p: Path, message: string, extra?: { expected?: string; found?: string }) => void;

/** Flags the second and later items whose `name` repeats an earlier one, at their `name`. */
function uniqueNames(items: unknown[], base: Path, what: string, at: At, locate: Locate): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const name = str(rec(item)?.name);
    if (name === undefined) return;
    const prev = first.get(name);
    if (prev === undefined) first.set(name, i);
    else at([...base, i, 'name'], `duplicate ${what} name \`${name}\` (first on line ${locate([...base, prev, 'name']).line})`);
  });
}

/** Like `uniqueNames`, for a list of plain strings. */
function uniqueValues(items: unknown[], base: Path, what: string, at: At, locate: Locate): void {
  const first = new Map<string, number>();
  items.forEach((v, i) => {
    if (typeof v !== 'string') return;
    const prev = first.get(v);
    if (prev === undefined) first.set(v, i);
    else at([...base, i], `duplicate ${what} \`${v}\` (first on line ${locate([...base, prev]).line})`);
  });
}

// ---------------------------------------------------------------------------------------
// Normalisation, on a document that passed the schema and the checks.

/**
 * Defaults and units applied to a valid scenario file. `file` may be relative: the
 * scenario's `file` and router config path are made absolute against it.
 */
export function normalizeScenario(raw: ScenarioFile, file: string): Scenario {
  const absFile = path.resolve(file);
  const load = normalizeLoad(raw.load);
  return {
    file: absFile,
    name: raw.name,
    ...(raw.description !== undefined && { description: raw.description }),
    seed: raw.seed ?? 1,
    expect: raw.expect ?? 'pass',
    target: normalizeTarget(raw.target, absFile),
    providers: raw.providers.map((p) => ({
      name: p.name,
      ...normalizeProviderSource(p, absFile),
      regions: p.regions ?? [],
      ...(p.capacity !== undefined && { capacity: normalizeCapacity(p.capacity) }),
    })),
    load,
    faults: (raw.faults ?? []).map((f) => withTiming(normalizeFault(f, load.durationMs), f, load.durationMs)),
    slos: raw.slos.map((s) => ({
      name: s.name,
      expr: s.expr,
      window: normalizeWindow(s.window),
      ...(s.abortOnFail !== undefined && s.abortOnFail !== false && { abortOnFail: { graceMs: s.abortOnFail === true ? 0 : parseDuration(s.abortOnFail.grace) } }),
    })),
    ...(raw.report && { report: { metrics: [...raw.report.metrics] } }),
  };
}

/**
 * `abortOnFail` on an SLO: a grace shorter than the run, and an expression that can be judged
 * before the run ends. `recovery_time(...)` cannot: until its fault's recovery is seen, or the
 * run ends, "not recovered yet" is not "never recovered".
 */
function checkAbortOnFail(s: Record<string, unknown>, base: Path, at: At, durationMs: number | undefined): void {
  const abort = s.abortOnFail;
  if (abort === undefined || abort === false) return;
  const grace = rec(abort) ? durationOf(rec(abort)!.grace) : 0;
  if (grace !== undefined && durationMs !== undefined && grace >= durationMs) {
    at([...base, 'abortOnFail', 'grace'], `a grace of ${formatDuration(grace)} is not shorter than the run (${formatDuration(durationMs)}): the SLO could never stop it`);
  }
  const expr = str(s.expr);
  const parsed = expr === undefined ? undefined : parseSlo(expr);
  if (parsed?.ok && valueNodes(parsed.expr).some((n) => n.kind === 'recovery')) {
    at([...base, 'abortOnFail'], 'abortOnFail cannot judge recovery_time(...) while the run is going: "not recovered yet" is not "never recovered"; judge it at the end (drop abortOnFail), or put abortOnFail on an SLO over a recovery window instead');
  }
}

const ms = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : parseDuration(value));

function normalizeLoad(raw: ScenarioFile['load']): LoadSpec {
  const durationMs = parseDuration(raw.duration);
  const timeoutMs = ms(raw.timeout, 5000);
  const requests = raw.requests.map((r): RequestSpec => {
    const method = r.method ?? 'GET';
    const headers = { ...(r.headers ?? {}) };
    const spec: RequestSpec = { name: r.name ?? `${method} ${r.path}`, weight: r.weight ?? 1, method, path: r.path, headers };
    if (r.body !== undefined) {
      // A content-type header the author wrote wins; otherwise it follows from the body's form.
      const declared = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
      spec.body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      spec.contentType = declared ?? (typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
    }
    if (r.expect !== undefined) spec.expect = r.expect.status.map((e) => (typeof e === 'string' ? e.toLowerCase() : e));
    return spec;
  });
  if (raw.model === 'closed') return { model: 'closed', connections: raw.connections, durationMs, timeoutMs, requests };
  return { model: 'open', rate: parseRate(raw.rate), arrival: raw.arrival ?? 'uniform', durationMs, timeoutMs, requests };
}

type RawFault = NonNullable<ScenarioFile['faults']>[number];

function normalizeFault(f: RawFault, durationMs: number): FaultSpec {
  const target = {
    provider: f.target.provider,
    ...(f.target.region !== undefined && { region: f.target.region }),
    ...(f.target.route !== undefined && { route: f.target.route }),
    ...normalizeMatch(f.target.match),
  };
  const common = { name: f.name, target, fromMs: ms(f.from, 0), toMs: ms(f.to, durationMs) };

  return normalizeKind(f, common);
}

function normalizeWindow(w: ScenarioFile['slos'][number]['window']): SloWindow {
  if (w === undefined || w === 'run') return { kind: 'run' };
  if ('during' in w) return { kind: 'during', fault: w.during };
  return { kind: 'recovery', fault: w.recovery, ...(w.for !== undefined && { forMs: parseDuration(w.for) }) };
}
