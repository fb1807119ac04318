/**
 * What `run` would find wrong with a scenario's target, checked before anything starts:
 * the reference router's config against the scenario's providers (each side must name the
 * other's), and the SLOs' metric names against what the target can export.
 *
 * @example
 *   checkRouterProviders(doc, 'x.yaml', locate, router, 'fixtures/routers/x.yaml')
 */
import { issueAt, type ConfigIssue, type Locate } from '../config/issues.ts';
import { closest } from '../core/suggest.ts';
import type { RouterConfig } from '../router/index.ts';
import { parseSlo, valueNodes, type SloExpr } from '../slo/index.ts';

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Both ways between the router config's providers and the scenario's:
 * - a provider (or region) the router calls that the scenario does not declare is an error:
 *   the router would call the URL in its config, past faultline's proxies and faults;
 * - a scenario provider (or region) the router never names is an error too: it would get no
 *   call, so its faults would do nothing and SLOs on it would judge nothing.
 */
export function checkRouterProviders(doc: unknown, file: string, locate: Locate, router: { value: RouterConfig; locate: Locate }, routerFile: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const raw = rec(doc);
  if (!raw) return issues;
  const declared = new Map<string, { index: number; regions: string[] }>();
  list(raw.providers).forEach((p, index) => {
    const name = str(rec(p)?.name);
    if (name !== undefined && !declared.has(name)) declared.set(name, { index, regions: list(rec(p)?.regions).filter((r): r is string => typeof r === 'string') });
  });
  const routerKeys = new Map<string, string[]>();
  for (const p of router.value.providers) {
    const regions = routerKeys.get(p.name) ?? [];
    if (p.region !== undefined) regions.push(p.region);
    routerKeys.set(p.name, regions);
  }
  const where = (path: (string | number)[]) => `${routerFile}:${router.locate(path).line}`;

  for (const [name, regions] of routerKeys) {
    const mine = declared.get(name);
    if (!mine) {
      const hint = closest(name, declared.keys());
      issues.push(
        issueAt(locate, file, ['providers'], `the router config calls provider \`${name}\` (${where(['providers', name])}), which this scenario does not declare${hint ? ` (did you mean \`${hint}\`?)` : ''}: without it the router calls the URL in its config, past faultline's proxies and faults`, {
          expected: `a provider \`{ name: ${name}, ... }\`${regions.length ? ` with regions [${regions.join(', ')}]` : ''}`,
        }),
      );
      continue;
    }
    const base = ['providers', mine.index];
    if (regions.length === 0 && mine.regions.length > 0) {
      issues.push(
        issueAt(locate, file, [...base, 'regions'], `the router config's provider \`${name}\` (${where(['providers', name])}) has no regions, so it would call none of these endpoints`, {
          expected: 'no `regions` here, or regions in the router config',
        }),
      );
      continue;
    }
    for (const region of regions) {
      if (!mine.regions.includes(region)) {
        issues.push(
          issueAt(locate, file, mine.regions.length ? [...base, 'regions'] : [...base, 'name'], `the router config calls \`${name}@${region}\` (${where(['providers', name, 'regions', region])}), but provider \`${name}\` here has no region \`${region}\`: the router would call that region's URL past faultline's proxies`, {
            expected: `regions including ${region}`,
          }),
        );
      }
    }
    mine.regions.forEach((region, i) => {
      if (regions.length && !regions.includes(region)) {
        issues.push(issueAt(locate, file, [...base, 'regions', i], `the router config has no region \`${region}\` of provider \`${name}\` (${where(['providers', name])}): this endpoint would get no call`, { expected: `one of: ${regions.join(', ')}` }));
      }
    });
  }
  for (const [name, { index }] of declared) {
    if (routerKeys.has(name)) continue;
    const hint = closest(name, routerKeys.keys());
    issues.push(
      issueAt(locate, file, ['providers', index, 'name'], `the router config (${routerFile}) never calls provider \`${name}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}: it would get no request, so its faults would do nothing`, {
        expected: routerKeys.size ? `one of: ${[...routerKeys.keys()].join(', ')}` : 'a provider the router config names',
      }),
    );
  }
  return issues;
}

/** What metrics beyond the built-in ones the target can export. */
export type Exported =
  /** The reference router: names and labels known. */
  | { kind: 'known'; names: ReadonlyMap<string, readonly string[]>; what: string }
  /** A service with a metrics endpoint: names known only at run time. */
  | { kind: 'unknown' }
  /** A target without metrics. */
  | { kind: 'none'; hint: string };

/**
 * The metrics `report.metrics` names against what the target exports: a series name, or a
 * histogram by its family name (`router_request_duration_seconds` for its `_bucket`s).
 */
export function checkReportMetrics(doc: unknown, file: string, locate: Locate, exported: Exported): ConfigIssue[] {
  if (exported.kind === 'unknown') return [];
  const issues: ConfigIssue[] = [];
  list(rec(rec(doc)?.report)?.metrics).forEach((m, i) => {
    const name = str(m);
    if (name === undefined) return;
    const path = ['report', 'metrics', i];
    if (exported.kind === 'none') {
      issues.push(issueAt(locate, file, path, `\`${name}\` cannot be charted: ${exported.hint}`));
      return;
    }
    if (exported.names.has(name) || exported.names.has(`${name}_bucket`)) return;
    const families = [...exported.names.keys()].flatMap((n) => (n.endsWith('_bucket') ? [n.slice(0, -'_bucket'.length)] : [n]));
    const hint = closest(name, families);
    issues.push(issueAt(locate, file, path, `\`${name}\` is not exported by the target (${exported.what})${hint ? `; did you mean \`${hint}\`?` : ''}`));
  });
  return issues;
}

/** Router metric names (the non-built-in ones) in an SLO, with their label selectors. */
function routerMetrics(expr: SloExpr): { name: string; labels: string[] }[] {
  return valueNodes(expr).flatMap((n) => (n.kind === 'router_metric' ? [{ name: n.name, labels: n.selector.map((m) => m.label) }] : []));
}

/** Each SLO's metric names (and their labels) against what the target exports. */
export function checkSloMetrics(doc: unknown, file: string, locate: Locate, exported: Exported): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (exported.kind === 'unknown') return issues;
  list(rec(doc)?.slos).forEach((s, i) => {
    const expr = str(rec(s)?.expr);
    if (expr === undefined) return;
    const parsed = parseSlo(expr);
    if (!parsed.ok) return;
    const path = ['slos', i, 'expr'];
    for (const m of routerMetrics(parsed.expr)) {
      if (exported.kind === 'none') {
        issues.push(issueAt(locate, file, path, `\`${m.name}\` is not a built-in metric, and ${exported.hint}`));
        continue;
      }
      const labels = exported.names.get(m.name);
      if (!labels) {
        const hint = closest(m.name, exported.names.keys());
        issues.push(issueAt(locate, file, path, `\`${m.name}\` is not exported by the target (${exported.what})${hint ? `; did you mean \`${hint}\`?` : ''}`));
        continue;
      }
      for (const l of m.labels) {
        if (labels.includes(l)) continue;
        const hint = closest(l, labels);
        issues.push(issueAt(locate, file, path, `\`${m.name}\` has no label \`${l}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`, { expected: labels.length ? `one of: ${labels.join(', ')}` : 'no labels' }));
      }
    }
  });
  return issues;
}
