/**
 * A scenario's `variants:`: each becomes a whole `Scenario` — the base document with the
 * variant's settings applied by path (src/config/doc-path.ts), then validated, checked and
 * normalised exactly as the base was, its router settings carried on its target for the run
 * (the router host and the simulator apply them to the router config the same way, and the
 * loader has already checked them against that config).
 *
 * A setting is the scenario's or the router config's by its first key: `seed`, `target`,
 * `load`, `faults`, `slos` and `description` are the scenario's; anything else (`retry…`,
 * `routes[…]…`, `providers[…]…`, `breaker…`) is the router config's. `scenario.` or `router.`
 * in front says so explicitly — `scenario.providers[backend].capacity.concurrency` for the
 * scenario's own providers, which a bare `providers[…]` (the router's) does not reach.
 *
 * Every problem of every variant comes at once, at the line of the setting that caused it
 * when it has one (a path naming nothing, a value the schema or a check rejects), else noted
 * `with variant <name>`. Why the variants live on the loaded `Scenario` (not a loader of
 * their own): one load checks them all, so `faultline validate`, `run` and the API's
 * `loadScenario` reject a broken variant without anyone asking for variants.
 */
import { applyDocOverrides, repositionIssues, type AppliedOverride, type DocOverride, type PathRules } from '../config/doc-path.ts';
import { dedupe, formatPath, issueAt, sortIssues, type ConfigIssue, type Locate } from '../config/issues.ts';
import type { YamlInspection } from '../config/load.ts';
import type { RouterSetting, Scenario, ScenarioVariant } from '../model/scenario.ts';
import type { RouterLoadOptions } from '../router/index.ts';

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** How paths read a scenario document: faults, providers and SLOs by `name`, requests by `name` or `path`; no shorthand. */
export const SCENARIO_PATH_RULES: PathRules = { names: { faults: ['name'], providers: ['name'], slos: ['name'], requests: ['name', 'path'] } };

/** First keys that make a bare path the scenario's. */
const SCENARIO_ROOTS = ['seed', 'target', 'load', 'faults', 'slos', 'description'];

/** Which document a setting's path is about, and the path within it. */
export function settingSide(path: string): { side: 'scenario' | 'router'; path: string } {
  if (path.startsWith('scenario.')) return { side: 'scenario', path: path.slice('scenario.'.length) };
  if (path.startsWith('router.')) return { side: 'router', path: path.slice('router.'.length) };
  const first = /^[^.[]*/.exec(path)![0];
  return { side: SCENARIO_ROOTS.includes(first) ? 'scenario' : 'router', path };
}

/** What `withVariants` needs of the loader (passed in: load.ts imports this file). */
export interface VariantLoader {
  /** The file inspected again, `prepare` run after the loader's own (the `--duration`-style overrides). */
  inspect(prepare: (value: unknown, locate: Locate) => ConfigIssue[]): YamlInspection;
  /** The loader's checks and normalisation, with the router config loaded with `router` options. */
  settle(r: YamlInspection, router: RouterLoadOptions): { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] };
}

/**
 * The base as loaded, with its variants expanded; or every issue. While the base has issues
 * of its own, a variant reports only those at its own lines (the rest would repeat the base's).
 */
export function withVariants(
  base: { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] },
  first: YamlInspection,
  file: string,
  loader: VariantLoader,
): { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] } {
  const doc = rec(first.value);
  const items = list(doc?.variants);
  const issues: ConfigIssue[] = base.ok ? [] : [...base.issues];
  issues.push(...checkVariantNames(items, file, first.locate));
  const variants: ScenarioVariant[] = [];
  items.forEach((item, i) => {
    const v = rec(item);
    const name = str(v?.name);
    const set = rec(v?.set);
    if (!v || name === undefined || !set) return; // the schema said why
    const at = (key: string): DocOverride['at'] => ({ file, ...first.locate(['variants', i, 'set', key]), path: formatPath(['variants', i, 'set', key]) });
    const scenarioSide: DocOverride[] = [];
    const routerSide: RouterSetting[] = [];
    for (const [key, value] of Object.entries(set)) {
      const s = settingSide(key);
      (s.side === 'scenario' ? scenarioSide : routerSide).push({ path: s.path, value, at: at(key) });
    }
    const note = `with variant ${name}`;
    const applied: AppliedOverride[] = [];
    const inspected = loader.inspect((value) => {
      const raw = rec(value);
      if (!raw) return [];
      delete raw.variants;
      if (v.expect !== undefined) raw.expect = v.expect;
      const r = applyDocOverrides(raw, scenarioSide, SCENARIO_PATH_RULES);
      applied.push(...r.applied);
      return r.issues;
    });
    const routerTarget = rec(rec(inspected.value)?.target)?.router !== undefined;
    const own: ConfigIssue[] = [];
    if (routerSide.length && inspected.wellFormed && !routerTarget) {
      for (const s of routerSide) own.push({ ...s.at, message: `\`${s.path}\` is a router setting, but this scenario's target is not the reference router (target.router)` });
    }
    const loaded = loader.settle(inspected, { set: routerSide, note });
    if (!loaded.ok) {
      // The router loader has already placed (and noted) what its settings caused.
      const placed = (x: ConfigIssue) => x.path.startsWith('variants[');
      own.push(...loaded.issues.filter(placed), ...repositionIssues(loaded.issues.filter((x) => !placed(x)), applied, note));
    }
    // Issues the base has too are the base's to report, once.
    issues.push(...(base.ok ? own : own.filter((x) => x.path.startsWith('variants['))));
    if (!loaded.ok || own.length) return;
    const s = loaded.scenario;
    const description = str(v.description);
    variants.push({
      name,
      ...(description !== undefined && { description }),
      set,
      scenario: {
        ...s,
        name: `${s.name}~${name}`,
        ...(s.target.kind === 'router' && routerSide.length > 0 && { target: { ...s.target, set: routerSide } }),
      },
    });
  });
  if (issues.length || !base.ok) return { ok: false, issues: sortIssues(dedupe(issues)) };
  return { ok: true, scenario: { ...base.scenario, variants } };
}

/** Unique variant names, and none called `base` (the comparison's name for the scenario itself). */
function checkVariantNames(items: unknown[], file: string, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const name = str(rec(item)?.name);
    if (name === undefined) return;
    if (name === 'base') issues.push(issueAt(locate, file, ['variants', i, 'name'], '`base` names the scenario itself in the comparison; call the variant something else'));
    const prev = first.get(name);
    if (prev === undefined) first.set(name, i);
    else issues.push(issueAt(locate, file, ['variants', i, 'name'], `duplicate variant name \`${name}\` (first on line ${locate(['variants', prev, 'name']).line})`));
  });
  return issues;
}
