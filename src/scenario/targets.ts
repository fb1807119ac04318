/**
 * The target (`router`, `url`, `command`) and the providers' sources (`fixture`, `url`,
 * `handlers`) and fixed `listen` addresses: the checks a schema cannot express, and their
 * normalisation. Called by load.ts.
 */
import path from 'node:path';
import { closest } from '../core/suggest.ts';
import { DURATION_PATTERN, parseDuration } from '../core/units.ts';
import { fixtureNames } from '../providers/catalogue.ts';
import { parseHostPort } from '../toxiproxy/address.ts';
import type { ProviderSpec, ReadySpec, ScenarioTarget } from '../model/scenario.ts';
import type { ScenarioFile } from './schema.ts';
import { checkTemplates } from './templates.ts';

type Raw = Record<string, unknown>;
type Path = (string | number)[];
type At = (p: Path, message: string, extra?: { expected?: string; found?: string }) => void;

const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const DURATION = new RegExp(DURATION_PATTERN);

export interface TargetCheckContext {
  fileExists(absPath: string): boolean;
  /** Whether a folder exists (the `cwd` check); skipped when absent. */
  dirExists?(absPath: string): boolean;
}

/** Default readiness timeouts: a service faultline starts may take a while; one already running should answer at once. */
export const READY_TIMEOUT_MS = { command: 30_000, url: 10_000 } as const;
export const STOP_TIMEOUT_MS = 5000;

/**
 * `target.command`/`url`/`ready`/`metrics` and the templates in `command` and `env`
 * (`regionsOf`: each provider's regions, for the template names).
 */
export function checkTarget(target: Raw | undefined, file: string, regionsOf: ReadonlyMap<string, readonly string[]>, ctx: TargetCheckContext, at: At): void {
  if (!target) return;
  const ready = rec(target.ready);
  if (ready && ready.http !== undefined && ready.tcp !== undefined) {
    at(['target', 'ready'], 'give one of `http` and `tcp`, not both');
  }
  if (ready && typeof ready.tcp === 'string' && parseHostPort(ready.tcp)?.port === 0) at(['target', 'ready', 'tcp'], 'port 0 cannot be probed');
  if (typeof ready?.timeout === 'string' && DURATION.test(ready.timeout) && parseDuration(ready.timeout) === 0) {
    at(['target', 'ready', 'timeout'], 'the readiness timeout must be longer than 0');
  }
  if (target.command === undefined) return;
  const url = str(target.url);
  if (url !== undefined && /^https?:\/\//.test(url) && !URL.canParse(url)) {
    at(['target', 'url'], 'not a valid URL', { expected: 'a URL like http://127.0.0.1:3000', found: JSON.stringify(url) });
  }
  const cwd = str(target.cwd);
  if (cwd !== undefined && cwd !== '' && ctx.dirExists) {
    const abs = path.resolve(path.dirname(path.resolve(file)), cwd);
    if (!ctx.dirExists(abs)) at(['target', 'cwd'], `folder not found: ${abs}`);
  }
  const command = str(target.command);
  if (command !== undefined) for (const problem of checkTemplates(command, regionsOf)) at(['target', 'command'], problem);
  const env = rec(target.env);
  if (env) {
    for (const [k, v] of Object.entries(env)) {
      if (typeof v === 'string') for (const problem of checkTemplates(v, regionsOf)) at(['target', 'env', k], problem);
    }
  }
}

/** One provider: exactly one source, a known fixture, a handler file that exists, `listen` that fits its regions. */
export function checkProviderSource(p: Raw, i: number, file: string, ctx: TargetCheckContext, at: At, listens: Map<string, Path>): void {
  const base: Path = ['providers', i];
  const sources = (['fixture', 'url', 'handlers'] as const).filter((k) => p[k] !== undefined);
  if (sources.length === 0) {
    at(base, 'a provider needs one of `fixture` (a bundled fixture), `url` (a real upstream) or `handlers` (your MSW handler module)');
  } else if (sources.length > 1) {
    at([...base, sources[1]!], `give one of \`fixture\`, \`url\` and \`handlers\`, not ${sources.map((s) => `\`${s}\``).join(' and ')}`);
  }
  const fixture = str(p.fixture);
  if (fixture !== undefined && fixture !== '') {
    const names = fixtureNames();
    if (!names.includes(fixture)) {
      const hint = closest(fixture, names);
      at([...base, 'fixture'], `unknown fixture \`${fixture}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`, {
        expected: `one of: ${names.join(', ')}; or \`handlers: ./my-handlers.ts\` for your own MSW handlers`,
      });
    }
  }
  const url = str(p.url);
  if (url !== undefined && /^https?:\/\//.test(url) && !URL.canParse(url)) {
    at([...base, 'url'], 'not a valid URL', { expected: 'a URL like http://127.0.0.1:12111', found: JSON.stringify(url) });
  }
  const handlers = str(p.handlers);
  if (handlers !== undefined && handlers !== '') {
    const abs = path.resolve(path.dirname(path.resolve(file)), handlers);
    if (!ctx.fileExists(abs)) at([...base, 'handlers'], `handler module not found: ${abs}`);
  }

  const regions = Array.isArray(p.regions) ? p.regions.filter((r): r is string => typeof r === 'string') : [];
  const listen = p.listen;
  const seen = (address: string, where: Path) => {
    const hp = parseHostPort(address);
    if (hp?.port === 0) return at(where, 'a fixed listen address needs a port other than 0 (leave `listen` out for a free port)');
    const prev = listens.get(address);
    if (prev) at(where, `listen address ${address} is already used by providers[${String(prev[1])}]`);
    else listens.set(address, where);
  };
  if (typeof listen === 'string' || typeof listen === 'number') {
    if (regions.length > 0) {
      at([...base, 'listen'], `provider has regions (${regions.join(', ')}): give one address per region`, { expected: `a mapping like { ${regions[0]}: 127.0.0.1:26400 }` });
    } else seen(normalizeAddress(listen), [...base, 'listen']);
  } else if (rec(listen)) {
    if (regions.length === 0) at([...base, 'listen'], 'a mapping of region → address needs `regions`; give one address, like 127.0.0.1:26400');
    else {
      for (const [region, v] of Object.entries(rec(listen)!)) {
        if (!regions.includes(region)) {
          const hint = closest(region, regions);
          at([...base, 'listen', region], `provider has no region \`${region}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`, { expected: `one of: ${regions.join(', ')}` });
        } else if (typeof v === 'string' || typeof v === 'number') seen(normalizeAddress(v), [...base, 'listen', region]);
      }
    }
  }
}

/** `26400` → `127.0.0.1:26400`; a `host:port` as is. */
export function normalizeAddress(v: string | number): string {
  return typeof v === 'number' ? `127.0.0.1:${v}` : v;
}

type RawTarget = ScenarioFile['target'];
type RawReady = { http?: string; tcp?: string | number; timeout?: string } | undefined;

function normalizeReady(r: RawReady): ReadySpec | undefined {
  if (!r) return undefined;
  const timeout = r.timeout !== undefined ? { timeoutMs: parseDuration(r.timeout) } : {};
  if (r.http !== undefined) return { kind: 'http', path: r.http, ...timeout };
  return { kind: 'tcp', ...(r.tcp !== undefined && { address: normalizeAddress(r.tcp) }), ...timeout };
}

/** A metrics path on a known URL becomes an absolute URL. */
const absolute = (pathOrUrl: string, base: string) => new URL(pathOrUrl, base).href;

export function normalizeTarget(t: RawTarget, absFile: string): ScenarioTarget {
  const dir = path.dirname(absFile);
  if ('router' in t) return { kind: 'router', config: path.resolve(dir, t.router) };
  if ('command' in t) {
    const ready = normalizeReady(t.ready);
    return {
      kind: 'command',
      command: t.command,
      cwd: path.resolve(dir, t.cwd ?? '.'),
      ...(t.url !== undefined && { url: t.url }),
      env: Object.fromEntries(Object.entries(t.env ?? {}).map(([k, v]) => [k, String(v)])),
      ...(ready && { ready }),
      ...(t.metrics !== undefined && { metrics: t.url !== undefined ? absolute(t.metrics, t.url) : t.metrics }),
      stopTimeoutMs: t.stopTimeout !== undefined ? parseDuration(t.stopTimeout) : STOP_TIMEOUT_MS,
    };
  }
  const ready = normalizeReady(t.ready);
  return {
    kind: 'url',
    url: t.url,
    ...(ready && { ready }),
    ...(t.metrics !== undefined && { metricsUrl: absolute(t.metrics, t.url) }),
  };
}

type RawProvider = ScenarioFile['providers'][number];

/** The source (and absolute handler path) and fixed listen addresses of a valid provider; the caller adds capacity. */
type ProviderSource = { kind: 'fixture'; fixture: string } | { kind: 'url'; url: string } | { kind: 'handlers'; handlers: string };

export function normalizeProviderSource(p: RawProvider, absFile: string): ProviderSource & Pick<ProviderSpec, 'listen'> {
  const listen =
    p.listen === undefined
      ? undefined
      : typeof p.listen === 'string' || typeof p.listen === 'number'
        ? { '': normalizeAddress(p.listen) }
        : Object.fromEntries(Object.entries(p.listen).map(([r, v]) => [r, normalizeAddress(v)]));
  const source: ProviderSource =
    p.url !== undefined
      ? { kind: 'url' as const, url: p.url }
      : p.handlers !== undefined
        ? { kind: 'handlers' as const, handlers: path.resolve(path.dirname(absFile), p.handlers) }
        : { kind: 'fixture' as const, fixture: p.fixture! };
  return { ...source, ...(listen && { listen }) };
}
