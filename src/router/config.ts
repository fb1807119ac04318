/**
 * The reference router's config file: a TypeBox schema (one source for the loader's
 * validation, the raw type and editor help), then `compileRouterConfig`, which turns the
 * raw file into numbers (ms, fractions), fills defaults, and checks what a schema cannot:
 * that upstreams name known providers, that a breaker can open and close, that backoff's
 * base is under its cap. Every problem is reported at once, at its line.
 *
 * Vocabulary follows Resilience4j (failureRate, minimumCalls, half-open probes, maxAttempts)
 * and Envoy (retry `on` conditions, per-attempt timeout, upstreams).
 *
 * @example
 *   const loaded = await loadRouterConfig('fixtures/routers/weather.yaml');
 *   if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
 *   const router = await startRouter({ config: loaded.value });
 */
import Type from 'typebox';
import { closest, issueAt, loadYamlFile, parseYaml, type ConfigIssue, type Loaded, type Locate } from '../config/load.ts';
import { DURATION_PATTERN, parseDuration, parsePercent, PERCENT_PATTERN } from '../core/units.ts';
import { CONDITION_PATTERN } from './conditions.ts';
import type { BackoffOptions, Jitter } from './policies/backoff.ts';
import { breakerOptionProblems, type BreakerOptions } from './policies/breaker.ts';

/** Provider and region names: lower case, digits, dashes (the scenario file's names). */
export const PROVIDER_NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** An upstream reference: `name` or `name@region`. */
export const UPSTREAM_PATTERN = '^[a-z0-9][a-z0-9-]*(@[a-z0-9][a-z0-9-]*)?$';

const duration = (description: string) =>
  Type.String({ pattern: DURATION_PATTERN, expected: 'a duration like 250ms or 5s', description });
const percent = (description: string) =>
  Type.String({ pattern: PERCENT_PATTERN, expected: 'a percentage like 50%', description });
const conditions = (description: string) =>
  Type.Array(
    Type.String({ pattern: CONDITION_PATTERN, expected: 'a status class like 5xx, a status like 503, network or timeout', description: 'One outcome.' }),
    { minItems: 1, description },
  );

const BreakerSchema = Type.Object(
  {
    failureRate: percent('Open when this share of the calls in the window failed, e.g. 50% (Resilience4j failureRateThreshold).'),
    window: Type.Integer({ minimum: 1, description: 'How many of the latest calls are judged (count-based sliding window).' }),
    minimumCalls: Type.Optional(
      Type.Integer({ minimum: 1, description: 'No verdict before this many calls are in the window. At most `window`. Default: `window`.' }),
    ),
    openFor: duration('How long the breaker stays open before probing the provider again, e.g. 5s.'),
    halfOpen: Type.Optional(
      Type.Object(
        {
          probes: Type.Integer({ minimum: 1, description: 'Calls let through per half-open period. Default 1.' }),
          successesToClose: Type.Optional(
            Type.Integer({ minimum: 1, description: 'Successful probes that close the breaker; one failed probe reopens it. Default: `probes`.' }),
          ),
        },
        { additionalProperties: false, description: 'How the breaker tests a provider after its cool-down.' },
      ),
    ),
    failureOn: Type.Optional(conditions('Outcomes that count as failures. Default [5xx, network, timeout].')),
  },
  { additionalProperties: false, description: 'A circuit breaker per provider: fail fast while a provider is known bad.' },
);

const BackoffSchema = Type.Object(
  {
    base: duration('Delay before the first retry, doubled for each one after, e.g. 50ms.'),
    cap: duration('No delay exceeds this, e.g. 1s.'),
    jitter: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('full'), Type.Literal('equal'), Type.Literal('decorrelated')], {
        expected: 'none, full, equal or decorrelated',
        description: 'How delays are randomised (AWS "Exponential Backoff And Jitter"). Default full.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exponential backoff between attempts.' },
);

const RetrySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10, description: 'Attempts in total, the first included; 1 turns retries off.' }),
    on: Type.Optional(conditions('Outcomes worth another attempt. Default [5xx, network, timeout].')),
    backoff: Type.Optional(BackoffSchema),
    retryAfterCap: Type.Optional(duration("Longest wait a provider's Retry-After header can ask for. Default: backoff.cap.")),
    idempotentOnly: Type.Optional(
      Type.Boolean({ description: 'Retry only idempotent methods (GET, PUT, DELETE, …). Default true: a retried POST may charge twice.' }),
    ),
  },
  { additionalProperties: false, description: 'Retries against the same provider, before failing over.' },
);

const ProviderSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({ pattern: '^https?://', expected: 'an http:// or https:// URL', description: 'Base URL. A run overrides it with the fixture it started.' }),
    ),
    regions: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object(
          { url: Type.String({ pattern: '^https?://', expected: 'an http:// or https:// URL', description: "This region's base URL." }) },
          { additionalProperties: false, description: 'One regional endpoint.' },
        ),
        { description: 'Regional endpoints, region → { url }; upstreams name them `provider@region`.' },
      ),
    ),
    breaker: Type.Optional(BreakerSchema),
  },
  { additionalProperties: false, description: 'An upstream provider: exactly one of `url` or `regions`.' },
);

const RouteSchema = Type.Object(
  {
    match: Type.String({
      pattern: '^/',
      expected: 'a path starting with /, like /joke or /weather/**',
      description: 'Request paths this route takes: an exact path, `*` for one segment, `**` for any rest. First match wins.',
    }),
    upstreams: Type.Array(
      Type.String({ pattern: UPSTREAM_PATTERN, expected: 'a provider name, or name@region', description: 'A provider key.' }),
      { minItems: 1, description: 'Providers in failover order: the next is tried when one fails or its breaker is open.' },
    ),
    timeout: Type.Optional(duration('Deadline per attempt, e.g. 300ms. Default 15s (Envoy).')),
    retry: Type.Optional(RetrySchema),
    breaker: Type.Optional(BreakerSchema),
    failoverOn: Type.Optional(conditions('Outcomes after which the next upstream is tried. Default [5xx, network, timeout].')),
  },
  { additionalProperties: false, description: 'A route: which requests, to which providers, under which policies.' },
);

/** The router file's schema. */
export const RouterConfigSchema = Type.Object(
  {
    name: Type.String({ pattern: PROVIDER_NAME_PATTERN, expected: 'lower-case letters, digits and dashes', description: 'Name of this router, in logs and reports.' }),
    providers: Type.Record(Type.String(), ProviderSchema, { description: 'Upstream providers by name.' }),
    routes: Type.Array(RouteSchema, { minItems: 1, description: 'Routes, tried in order; the first whose `match` fits takes the request.' }),
  },
  { additionalProperties: false, description: "faultline's reference router: routes to upstream providers with timeouts, retries, breakers and failover." },
);

/** The file as written. */
export type RouterFile = Type.Static<typeof RouterConfigSchema>;

// ---------------------------------------------------------------------------------------
// The compiled config: numbers in ms and fractions, defaults filled, references checked.

export interface BreakerConfig extends BreakerOptions {
  failureOn: string[];
}

export interface RetryConfig {
  maxAttempts: number;
  on: string[];
  backoff: BackoffOptions;
  retryAfterCap: number;
  idempotentOnly: boolean;
}

export interface ProviderConfig {
  /** `name`, or `name@region` for a regional endpoint. */
  key: string;
  name: string;
  region?: string;
  url: string;
  /** One breaker per provider key, shared by every route that calls it. */
  breaker?: BreakerConfig;
}

export interface RouteConfig {
  match: string;
  /** Provider keys in failover order. */
  upstreams: string[];
  /** Per-attempt timeout, ms. */
  timeout: number;
  retry?: RetryConfig;
  failoverOn: string[];
}

export interface RouterConfig {
  name: string;
  providers: ProviderConfig[];
  routes: RouteConfig[];
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_FAILURE_CONDITIONS: readonly string[] = ['5xx', 'network', 'timeout'];
/** Envoy's retry backoff defaults: 25ms base, 10× base as the cap. */
export const DEFAULT_BACKOFF: BackoffOptions = { base: 25, cap: 250, jitter: 'full' };

type Compiled = { ok: true; value: RouterConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validated file → runtime config, or every semantic issue. `locate` and `file` position
 * the issues (the loader's; defaults make issues at 0:0 for in-memory configs).
 *
 * @example
 *   const c = compileRouterConfig({ name: 'joke', providers: { joke: { url } }, routes: [{ match: '/joke', upstreams: ['joke'] }] });
 */
export function compileRouterConfig(raw: RouterFile, locate: Locate = () => ({ line: 0, column: 0 }), file = '<config>'): Compiled {
  const issues: ConfigIssue[] = [];
  const issue = (path: (string | number)[], message: string, extra?: { expected?: string; found?: string }) =>
    issues.push(issueAt(locate, file, path, message, extra));

  const providers = new Map<string, ProviderConfig>();
  const regionalNames = new Map<string, string[]>();
  for (const [name, p] of Object.entries(raw.providers)) {
    const at = ['providers', name];
    if (!new RegExp(PROVIDER_NAME_PATTERN).test(name)) {
      issue(at, `provider name ${JSON.stringify(name)} must be lower-case letters, digits and dashes`);
      continue;
    }
    const breaker = p.breaker ? compileBreaker(p.breaker, [...at, 'breaker'], issue) : undefined;
    if ((p.url === undefined) === (p.regions === undefined)) {
      issue(at, p.url === undefined ? 'a provider needs `url` or `regions`' : 'give either `url` or `regions`, not both');
      continue;
    }
    if (p.url !== undefined) {
      providers.set(name, { key: name, name, url: p.url, ...(breaker && { breaker }) });
      continue;
    }
    const regions = Object.entries(p.regions!);
    if (regions.length === 0) issue([...at, 'regions'], 'a regional provider needs at least one region');
    regionalNames.set(name, regions.map(([r]) => r));
    for (const [region, r] of regions) {
      if (!new RegExp(PROVIDER_NAME_PATTERN).test(region)) {
        issue([...at, 'regions', region], `region name ${JSON.stringify(region)} must be lower-case letters, digits and dashes`);
        continue;
      }
      const key = `${name}@${region}`;
      providers.set(key, { key, name, region, url: r.url, ...(breaker && { breaker: { ...breaker } }) });
    }
  }

  // Which route set each provider's breaker, to report conflicting route-level breakers.
  const breakerFrom = new Map<string, number>();
  const routes: RouteConfig[] = [];
  raw.routes.forEach((r, i) => {
    const at = ['routes', i];
    const upstreams: string[] = [];
    r.upstreams.forEach((u, j) => {
      if (providers.has(u)) {
        if (upstreams.includes(u)) issue([...at, 'upstreams', j], `${u} is listed twice`);
        else upstreams.push(u);
        return;
      }
      const regions = regionalNames.get(u);
      if (regions) {
        issue([...at, 'upstreams', j], `${u} has regions; name one`, { expected: regions.map((x) => `${u}@${x}`).join(' or ') });
        return;
      }
      const hint = closest(u, providers.keys());
      issue([...at, 'upstreams', j], `unknown provider ${JSON.stringify(u)}${hint ? ` (did you mean ${hint}?)` : ''}`, {
        expected: `one of ${[...providers.keys()].join(', ')}`,
      });
    });

    if (r.breaker) {
      const breaker = compileBreaker(r.breaker, [...at, 'breaker'], issue);
      if (breaker) {
        for (const key of upstreams) {
          const p = providers.get(key)!;
          if (!p.breaker) {
            p.breaker = breaker;
            breakerFrom.set(key, i);
          } else if (JSON.stringify(p.breaker) !== JSON.stringify(breaker)) {
            const by = breakerFrom.get(key);
            issue(
              [...at, 'breaker'],
              `${key} already has a different breaker (${by === undefined ? `providers.${p.name}.breaker` : `routes[${by}].breaker`}); a provider has one breaker, so move it to providers.${p.name}.breaker`,
            );
          }
        }
      }
    }

    const timeout = r.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(r.timeout);
    if (timeout <= 0) issue([...at, 'timeout'], 'timeout must be more than 0');

    let retry: RetryConfig | undefined;
    if (r.retry && r.retry.maxAttempts > 1) {
      const backoff: BackoffOptions = r.retry.backoff
        ? { base: parseDuration(r.retry.backoff.base), cap: parseDuration(r.retry.backoff.cap), jitter: (r.retry.backoff.jitter ?? 'full') as Jitter }
        : DEFAULT_BACKOFF;
      if (backoff.base > backoff.cap) issue([...at, 'retry', 'backoff', 'base'], `backoff base (${r.retry.backoff!.base}) exceeds its cap (${r.retry.backoff!.cap})`);
      retry = {
        maxAttempts: r.retry.maxAttempts,
        on: r.retry.on ?? [...DEFAULT_FAILURE_CONDITIONS],
        backoff,
        retryAfterCap: r.retry.retryAfterCap === undefined ? backoff.cap : parseDuration(r.retry.retryAfterCap),
        idempotentOnly: r.retry.idempotentOnly ?? true,
      };
    }

    routes.push({ match: r.match, upstreams, timeout, ...(retry && { retry }), failoverOn: r.failoverOn ?? [...DEFAULT_FAILURE_CONDITIONS] });
  });

  // In file order, as the loader gives its own issues.
  if (issues.length > 0) return { ok: false, issues: issues.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { ok: true, value: { name: raw.name, providers: [...providers.values()], routes } };
}

function compileBreaker(
  b: NonNullable<RouterFile['routes'][number]['breaker']>,
  at: (string | number)[],
  issue: (path: (string | number)[], message: string) => void,
): BreakerConfig | undefined {
  const probes = b.halfOpen?.probes ?? 1;
  const options: BreakerConfig = {
    failureRate: parsePercent(b.failureRate),
    window: b.window,
    minimumCalls: b.minimumCalls ?? b.window,
    openFor: parseDuration(b.openFor),
    halfOpen: { probes, successesToClose: b.halfOpen?.successesToClose ?? probes },
    failureOn: b.failureOn ?? [...DEFAULT_FAILURE_CONDITIONS],
  };
  const problems = breakerOptionProblems(options);
  for (const p of problems) issue([...at, ...p.field.split('.')], p.message);
  return problems.length > 0 ? undefined : options;
}

/**
 * Reads, validates and compiles a router file; every issue at once, each with its line.
 * `locate` positions paths of the file as written (`['routes', 0, 'timeout']`).
 */
export async function loadRouterConfig(file: string): Promise<Loaded<RouterConfig>> {
  return compileLoaded(await loadYamlFile<RouterFile>(file, RouterConfigSchema), file);
}

/** As `loadRouterConfig`, from text (tests, configs embedded in a scenario). */
export function parseRouterConfig(text: string, file = '<router>'): Loaded<RouterConfig> {
  return compileLoaded(parseYaml<RouterFile>(text, file, RouterConfigSchema), file);
}

function compileLoaded(loaded: Loaded<RouterFile>, file: string): Loaded<RouterConfig> {
  if (!loaded.ok) return loaded;
  const compiled = compileRouterConfig(loaded.value, loaded.locate, file);
  return compiled.ok ? { ok: true, value: compiled.value, locate: loaded.locate } : compiled;
}
