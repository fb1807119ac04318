/**
 * The router config's one edge with the outside: reads a router file (YAML), validates it
 * against `RouterConfigSchema`, reads what it names — JWT key files and JWKS, the
 * environment variables holding JWT secrets, LLM registries, each relative to the config's
 * folder — and hands all of it to the pure `compileRouterConfig`. A config that loads is
 * one the router can start with; every issue comes at once, each with its file, line and
 * field.
 *
 * @example
 *   const loaded = await loadRouterConfig('fixtures/routers/weather.yaml');
 *   if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
 *   const router = await startRouter({ config: loaded.value });
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { applyDocOverrides, repositionIssues, type AppliedOverride, type DocOverride, type PathRules } from '../config/doc-path.ts';
import { sortIssues, type ConfigIssue } from '../config/issues.ts';
import { inspectYaml, inspectYamlFile, type InspectOptions, type Loaded, type YamlInspection } from '../config/load.ts';
import { compileRouterConfig, RouterConfigSchema, type RouterConfig, type RouterFile } from './config.ts';
import type { ConfigMaterial, FileRead } from './schema-kit.ts';

/**
 * How the files a router config names (an LLM registry, JWT keys) are read: paths are
 * resolved against `dir`, the config file's folder. `env` holds secrets named by `{ env }`.
 */
export interface ConfigFiles {
  dir: string;
  read(path: string): string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Files from the local disk, relative to `dir`. */
export function localFiles(dir: string): ConfigFiles {
  return { dir, read: (path) => readFileSync(resolve(dir, path), 'utf8') };
}

/**
 * How paths read a router file (src/config/doc-path.ts): a route is picked by its `match`
 * (routes have no name), a provider by its key; a path starting with a key that is no
 * top-level field (`retry.backoff.jitter`, `breaker.failureRate`) means that key in every
 * route and every provider that has it. `rateLimit` is both a top-level field and a route's:
 * the bare path is the top level's; a route's is `routes[/x].rateLimit`.
 */
export const ROUTER_PATH_RULES: PathRules = {
  names: { routes: ['match'] },
  shorthand: { roots: Object.keys(RouterConfigSchema.properties), within: ['routes', 'providers'], what: 'route or provider' },
};

/** What a router file is loaded with besides itself. */
export interface RouterLoadOptions {
  /**
   * Settings by path (`retry.budget: off`, `routes[/api/**].timeout: 1s`), applied to the
   * document before it is validated, so the schema and compile step judge them; their issues
   * are positioned where each override is written (a scenario's variant).
   */
  set?: readonly DocOverride[];
  /** Added to the issues the overrides did not cause, e.g. `with variant no-jitter`. */
  note?: string;
}

/**
 * Reads, validates and compiles a router file; every issue at once, each with its line.
 * `locate` positions paths of the file as written (`['routes', 0, 'timeout']`). Files the
 * config names (an LLM registry, JWT keys) are read relative to its folder.
 */
export async function loadRouterConfig(file: string, options: RouterLoadOptions = {}): Promise<Loaded<RouterConfig>> {
  const applied: AppliedOverride[] = [];
  const own = new Set<ConfigIssue>();
  const inspected = await inspectYamlFile(file, RouterConfigSchema, inspectOptions(options, applied, own));
  return compileLoaded(inspected, file, localFiles(dirname(resolve(file))), options, applied, own);
}

/**
 * As `loadRouterConfig`, from text (tests, configs embedded in a scenario). Files it names
 * are read relative to `files.dir`: by default the folder of `file`, or the working directory.
 */
export function parseRouterConfig(text: string, file = '<router>', files?: ConfigFiles, options: RouterLoadOptions = {}): Loaded<RouterConfig> {
  const applied: AppliedOverride[] = [];
  const own = new Set<ConfigIssue>();
  return compileLoaded(inspectYaml(text, file, RouterConfigSchema, inspectOptions(options, applied, own)), file, files, options, applied, own);
}

function inspectOptions(options: RouterLoadOptions, applied: AppliedOverride[], own: Set<ConfigIssue>): InspectOptions {
  const set = options.set;
  if (!set?.length) return {};
  return {
    prepare: (value) => {
      const r = applyDocOverrides(value, set, ROUTER_PATH_RULES);
      applied.push(...r.applied);
      for (const i of r.issues) own.add(i);
      return r.issues;
    },
  };
}

function compileLoaded(
  inspected: YamlInspection,
  file: string,
  files = localFiles(file.startsWith('<') ? process.cwd() : dirname(file)),
  options: RouterLoadOptions = {},
  applied: AppliedOverride[] = [],
  own = new Set<ConfigIssue>(),
): Loaded<RouterConfig> {
  // Issues the overrides caused belong to the lines they are written at, not the router file's;
  // those of a setting that could not be applied are there already.
  const placed = (issues: ConfigIssue[]) =>
    options.set?.length ? sortIssues([...issues.filter((i) => own.has(i)), ...repositionIssues(issues.filter((i) => !own.has(i)), applied, options.note)]) : issues;
  if (inspected.issues.length > 0) return { ok: false, issues: placed(inspected.issues) };
  const raw = inspected.value as RouterFile;
  const compiled = compileRouterConfig(raw, inspected.locate, file, readMaterial(raw, files));
  return compiled.ok ? { ok: true, value: compiled.value, locate: inspected.locate } : { ok: false, issues: placed(compiled.issues) };
}

/**
 * Everything the validated file names outside itself, read: each route's `auth.jwt` key
 * files and JWKS, the variables its `secret.env` names, its `llm.registry`. A file that
 * cannot be read is kept with its error code, for the compile step to report at its field.
 */
export function readMaterial(raw: RouterFile, files: ConfigFiles): ConfigMaterial {
  const env = files.env ?? process.env;
  const keyFiles = new Map<string, FileRead>();
  const secrets: Record<string, string | undefined> = {};
  const llmRegistries = new Map<string, FileRead & { path: string }>();
  const read = (path: string): FileRead => {
    try {
      return { text: files.read(path) };
    } catch (err) {
      return { error: errorCode(err) };
    }
  };
  for (const r of raw.routes) {
    const jwt = r.auth?.jwt;
    for (const k of jwt?.publicKeys ?? []) keyFiles.set(k.file, read(resolve(files.dir, k.file)));
    if (jwt?.jwks !== undefined) keyFiles.set(jwt.jwks, read(resolve(files.dir, jwt.jwks)));
    if (jwt?.secret && 'env' in jwt.secret) secrets[jwt.secret.env] = env[jwt.secret.env];
    if (r.llm) {
      const path = resolve(files.dir, r.llm.registry);
      llmRegistries.set(r.llm.registry, { path, ...read(path) });
    }
  }
  return { keyFiles, secrets, llmRegistries };
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
