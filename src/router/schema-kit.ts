/**
 * The pieces every part of the router config is written with: the TypeBox types of its
 * quantities (durations, sizes, percentages, outcome lists), its name patterns, their
 * conversions, and how a compile step reports a problem at its path.
 *
 * Low on purpose: it imports no policy and no routing module, so every policy can define
 * its own config section with it (`policies/breaker.ts` → `BreakerSchema`, `compileBreaker`)
 * and `config.ts` can assemble them without an import cycle.
 *
 * @example
 *   const BulkheadSchema = Type.Object({ maxWaitDuration: Type.Optional(duration('Longest wait, e.g. 100ms.')) });
 *   const options = { maxWaitDuration: parseDuration(raw.maxWaitDuration) };
 *   return reportProblems(issue, at, bulkheadOptionProblems(options)) ? options : undefined;
 */
import Type from 'typebox';
import { DURATION_PATTERN, PERCENT_PATTERN } from '../core/units.ts';
import { CONDITION_PATTERN } from './conditions.ts';

/** Provider and region names: lower case, digits, dashes (the scenario file's names). */
export const PROVIDER_NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** An upstream reference: `name` or `name@region`. */
export const UPSTREAM_PATTERN = '^[a-z0-9][a-z0-9-]*(@[a-z0-9][a-z0-9-]*)?$';

export const duration = (description: string) =>
  // `quantity`: bounded to what the router can honour (units.ts: a timer's 2³¹−1 ms).
  Type.String({ pattern: DURATION_PATTERN, quantity: 'duration', expected: 'a duration like 250ms or 5s', description });

/** A byte size: `1MiB`, `512KiB`, `2MB`, `100kB`, `4096B` (MB = 10⁶ bytes, MiB = 2²⁰), or a bare number of bytes. */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)\\s*$';
const SIZE_UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };
/** `1MiB` → 1048576; a number is already bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)\s*$/.exec(value);
  if (!m) throw new RangeError(`not a size: ${JSON.stringify(value)} (write e.g. 1MiB, 512KiB, 4096B)`);
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!]!);
}
export const size = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0, description: 'Bytes.' }), Type.String({ pattern: SIZE_PATTERN, expected: 'a size like 1MiB, 512KiB or 4096B' })], {
    expected: 'a size like 1MiB, 512KiB or 4096B',
    description,
  });

export const percent = (description: string) =>
  Type.String({ pattern: PERCENT_PATTERN, quantity: 'percent', expected: 'a percentage like 50%', description });

const CONDITION_EXPECTED = 'a status class like 5xx, a status like 503, network or timeout';
// A bare status (`[429, 503]`) is a YAML number: accepted as such, and read as its string.
export const conditions = (description: string) =>
  Type.Array(
    Type.Union(
      [
        Type.String({ pattern: CONDITION_PATTERN, expected: CONDITION_EXPECTED }),
        Type.Integer({ minimum: 100, maximum: 599, expected: CONDITION_EXPECTED }),
      ],
      { expected: CONDITION_EXPECTED, description: 'One outcome.' },
    ),
    { minItems: 1, description },
  );
/** Conditions as written → as `conditionSet` reads them. */
export const conditionList = (list: ReadonlyArray<string | number> | undefined, fallback: readonly string[]): string[] => (list ? list.map(String) : [...fallback]);

/** What counts as a failure unless a policy says otherwise (Envoy's retriable defaults). */
export const DEFAULT_FAILURE_CONDITIONS: readonly string[] = ['5xx', 'network', 'timeout'];

/** `250ms`, `3s`: how a compiled duration is quoted back in a message. */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Where in the file a problem is: `['routes', 0, 'breaker', 'openFor']`. */
export type ConfigPath = (string | number)[];

/** The issue reporter of `compileRouterConfig`: one problem, at its path in the file as written. */
export type Issue = (path: ConfigPath, message: string, extra?: { expected?: string; found?: string }) => void;

/**
 * A policy's option problems (`{ field: 'halfOpen.probes', message }`, the checks its
 * constructor throws on) reported at their fields under `at`. True when there were none.
 */
export function reportProblems(issue: Issue, at: ConfigPath, list: ReadonlyArray<{ field: string; message: string }>): boolean {
  for (const p of list) issue([...at, ...p.field.split('.')], p.message);
  return list.length === 0;
}

/** An issue reporter that also counts, so a compile step can tell whether it reported anything. */
export function counting(issue: Issue): { report: Issue; count: () => number } {
  let n = 0;
  return {
    report: (path, message, extra) => {
      n++;
      issue(path, message, extra);
    },
    count: () => n,
  };
}

/** A file the config names, as the loader found it: its text, or why it could not be read (`ENOENT`). */
export type FileRead = { text: string } | { error: string };

/**
 * What a router config names outside itself, already read by the loader (load.ts), so
 * compiling is pure. Files are keyed by their name as written in the config.
 */
export interface ConfigMaterial {
  /** Routes' `auth.jwt` public key (PEM) and JWKS files. */
  keyFiles: ReadonlyMap<string, FileRead>;
  /** The environment variables routes' `auth.jwt.secret.env` name. */
  secrets: Readonly<Record<string, string | undefined>>;
  /** Routes' `llm.registry` files, each with its path resolved against the config's folder. */
  llmRegistries: ReadonlyMap<string, FileRead & { path: string }>;
}

/** No material: a config naming files compiles with each reported unread. */
export const NO_MATERIAL: ConfigMaterial = { keyFiles: new Map(), secrets: {}, llmRegistries: new Map() };

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME_PATTERN = '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$';
export const headerName = (description: string) => Type.String({ pattern: HEADER_NAME_PATTERN, expected: 'an HTTP header name like x-region', description });
export const upstream = (description: string) => Type.String({ pattern: UPSTREAM_PATTERN, expected: 'a provider name, or name@region', description });
export const region = (description: string) => Type.String({ pattern: PROVIDER_NAME_PATTERN, expected: 'a region name: lower-case letters, digits and dashes', description });

/** Why a file the loader did not read (compileRouterConfig was called without it) cannot be used. */
export const NOT_READ = 'not read (loadRouterConfig and parseRouterConfig read the files a config names)';
