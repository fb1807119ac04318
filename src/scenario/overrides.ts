/**
 * Values that replace a scenario's own for one run (`--duration`, `--rate`, `--seed`).
 *
 * They are applied to the document before it is validated, so every check runs on the
 * scenario as it will run: a fault that ends after a shortened run, a recovery window that no
 * longer fits, is reported at its own line, saying the duration was overridden.
 *
 * @example
 *   await loadScenario('scenarios/gateway.yaml', { overrides: { duration: '5s', rate: '20/s', seed: 3 } })
 */
import { formatPath, issueAt, type ConfigIssue, type Locate } from '../config/issues.ts';
import { DURATION_PATTERN, formatDuration, parseDuration, parseRate, RATE_PATTERN } from '../core/units.ts';
import type { Scenario } from '../model/scenario.ts';

export interface ScenarioOverrides {
  /** How long load runs: a duration like `10s`, or a number of ms. */
  duration?: string | number;
  /** Arrivals per second (open model only): a rate like `20/s` or `600/m`, or a number per second. */
  rate?: string | number;
  /** Seed for every random choice. */
  seed?: number;
}

const DURATION = new RegExp(DURATION_PATTERN);
const RATE = new RegExp(RATE_PATTERN);

/** Problems with the override values themselves, in words (for a command line to print before loading anything). */
export function checkOverrides(o: ScenarioOverrides): string[] {
  const out: string[] = [];
  const d = o.duration;
  if (d !== undefined && !(typeof d === 'number' ? Number.isFinite(d) && d > 0 : DURATION.test(d) && !/^0+(\.0+)?\s*[a-z]*$/i.test(d))) {
    out.push(`duration: expected a duration above 0 like 250ms or 30s, found ${JSON.stringify(d)}`);
  }
  const r = o.rate;
  if (r !== undefined && !(typeof r === 'number' ? Number.isFinite(r) && r > 0 : RATE.test(r) && !/^0+(\.0+)?\s*(\/.*)?$/.test(r))) {
    out.push(`rate: expected a rate above 0 like 50/s or 600/m, found ${JSON.stringify(r)}`);
  }
  const s = o.seed;
  if (s !== undefined && !Number.isSafeInteger(s)) out.push(`seed: expected a whole number, found ${JSON.stringify(s)}`);
  return out;
}

/** Whether any override is set. */
export function hasOverrides(o: ScenarioOverrides | undefined): o is ScenarioOverrides {
  return o !== undefined && (o.duration !== undefined || o.rate !== undefined || o.seed !== undefined);
}

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);

/**
 * Writes the overrides into a scenario document (the plain value of the YAML), in place.
 * Returns the issues of the overrides themselves: a malformed value, a rate on a closed model.
 */
export function applyOverridesToDocument(doc: unknown, o: ScenarioOverrides, file: string, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const raw = rec(doc);
  if (!raw) return issues;
  const bad = checkOverrides(o);
  for (const message of bad) {
    const field = message.slice(0, message.indexOf(':'));
    const path = field === 'seed' ? ['seed'] : ['load', field];
    issues.push(issueAt(locate, file, path, `invalid override --${field}: ${message.slice(field.length + 2)}`));
  }
  if (bad.length) return issues;
  if (o.seed !== undefined) raw.seed = o.seed;
  const load = rec(raw.load);
  if (!load) return issues;
  if (o.duration !== undefined) load.duration = typeof o.duration === 'number' ? `${o.duration}ms` : o.duration;
  if (o.rate !== undefined) {
    if (load.model === 'closed') {
      issues.push(issueAt(locate, file, ['load', 'model'], 'a --rate override applies to the open model only; this load is closed (it has `connections`, not a rate)'));
    } else load.rate = o.rate;
  }
  return issues;
}

/** Says, on the issues that come from a shortened or lengthened run, that its duration was overridden. */
export function explainOverrides(issues: ConfigIssue[], o: ScenarioOverrides | undefined): ConfigIssue[] {
  if (o?.duration === undefined) return issues;
  const d = typeof o.duration === 'number' ? `${o.duration}ms` : o.duration;
  return issues.map((i) =>
    /run (ends|has already ended)|end of the run|no recovery to measure/.test(i.message) || i.path === 'load.duration'
      ? { ...i, message: `${i.message} (the duration is overridden to ${d})` }
      : i,
  );
}

/**
 * The overrides on a scenario already loaded (a `Scenario` object). Prefer passing
 * `overrides` to `loadScenario`/`parseScenario`, which re-runs every check at its line; this
 * checks what it can on the normalised form: faults that ran to the end of the run end at the
 * new end, a fault window (or repeat) beyond a shortened run and a recovery window that no
 * longer fits are issues (positioned 0:0, the file's lines being unknown here).
 *
 * @example
 *   const r = applyOverrides(scenario, { duration: '10s', seed: 3 });
 *   if (!r.ok) console.error(formatIssues(r.issues));
 */
export function applyOverrides(scenario: Scenario, o: ScenarioOverrides): { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ file: scenario.file, line: 0, column: 0, path: formatPath(path), message });
  for (const message of checkOverrides(o)) at([], `invalid override --${message}`);
  if (issues.length) return { ok: false, issues };
  let out: Scenario = { ...scenario, ...(o.seed !== undefined && { seed: o.seed }) };
  if (o.rate !== undefined) {
    if (out.load.model !== 'open') at(['load', 'model'], 'a --rate override applies to the open model only; this load is closed');
    else out = { ...out, load: { ...out.load, rate: typeof o.rate === 'number' ? o.rate : parseRate(o.rate) } };
  }
  if (o.duration !== undefined) {
    const before = scenario.load.durationMs;
    const ms = typeof o.duration === 'number' ? o.duration : parseDuration(o.duration);
    const note = ` (the duration is overridden to ${formatDuration(ms)})`;
    const lastEnd = new Map<string, number>();
    const faults = scenario.faults.map((f, i) => {
      const toMs = f.toMs === before ? ms : f.toMs;
      const span = toMs - f.fromMs;
      const end = f.repeat ? f.fromMs + (f.repeat.times - 1) * f.repeat.everyMs + span : toMs;
      if (toMs > ms) at(['faults', i, 'to'], `the fault ends at ${formatDuration(toMs)}, after the run ends at ${formatDuration(ms)}${note}`);
      else if (f.fromMs >= toMs) at(['faults', i, 'from'], `the fault starts at ${formatDuration(f.fromMs)}, when the run has already ended${note}`);
      else if (end > ms) at(['faults', i, 'repeat', 'times'], `occurrence ${f.repeat!.times} ends at ${formatDuration(end)}, after the run ends at ${formatDuration(ms)}${note}`);
      lastEnd.set(f.name, end);
      return { ...f, toMs };
    });
    scenario.slos.forEach((slo, i) => {
      if (slo.window.kind !== 'recovery') return;
      const end = lastEnd.get(slo.window.fault);
      if (end === undefined) return;
      if (end >= ms) at(['slos', i, 'window', 'recovery'], `fault \`${slo.window.fault}\` lasts until the end of the run, so there is no recovery to measure${note}`);
      else if (slo.window.forMs !== undefined && end + slo.window.forMs > ms) {
        at(['slos', i, 'window', 'for'], `the recovery window ends at ${formatDuration(end + slo.window.forMs)}, after the run ends at ${formatDuration(ms)}${note}`);
      }
    });
    out = { ...out, load: { ...out.load, durationMs: ms }, faults };
  }
  // Each variant runs as long, as fast and with the same seed as its base.
  if (scenario.variants?.length && !issues.length) {
    const variants = [];
    for (const v of scenario.variants) {
      const r = applyOverrides(v.scenario, o);
      if (!r.ok) issues.push(...r.issues.map((i) => ({ ...i, message: `${i.message} (variant ${v.name})` })));
      else variants.push({ ...v, scenario: r.scenario });
    }
    out = { ...out, variants };
  }
  return issues.length ? { ok: false, issues } : { ok: true, scenario: out };
}
