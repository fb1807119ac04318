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
import { loadYamlFile, parseYaml, type Loaded } from '../config/load.ts';
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
 * Reads, validates and compiles a router file; every issue at once, each with its line.
 * `locate` positions paths of the file as written (`['routes', 0, 'timeout']`). Files the
 * config names (an LLM registry, JWT keys) are read relative to its folder.
 */
export async function loadRouterConfig(file: string): Promise<Loaded<RouterConfig>> {
  return compileLoaded(await loadYamlFile<RouterFile>(file, RouterConfigSchema), file, localFiles(dirname(resolve(file))));
}

/**
 * As `loadRouterConfig`, from text (tests, configs embedded in a scenario). Files it names
 * are read relative to `files.dir`: by default the folder of `file`, or the working directory.
 */
export function parseRouterConfig(text: string, file = '<router>', files?: ConfigFiles): Loaded<RouterConfig> {
  return compileLoaded(parseYaml<RouterFile>(text, file, RouterConfigSchema), file, files);
}

function compileLoaded(loaded: Loaded<RouterFile>, file: string, files = localFiles(file.startsWith('<') ? process.cwd() : dirname(file))): Loaded<RouterConfig> {
  if (!loaded.ok) return loaded;
  const compiled = compileRouterConfig(loaded.value, loaded.locate, file, readMaterial(loaded.value, files));
  return compiled.ok ? { ok: true, value: compiled.value, locate: loaded.locate } : compiled;
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
