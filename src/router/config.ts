/**
 * The reference router's config: the router file's TypeBox schema (one source for the
 * loader's validation, the raw type and editor help), the compiled `RouterConfig` the
 * router runs on, and `compileRouterConfig`, which turns one into the other.
 *
 * Each policy owns its part: its schema fragment, compiled type and compile step sit in the
 * config section at the end of its file in `policies/` (breaker, bulkhead, retry with its
 * backoff and budget, timeout and deadline, rate limit, load shedding, adaptive throttling,
 * outlier detection, fallback, failover, trusted proxies), next to the option checks its
 * constructor makes; so does each routing feature (`select`, `canary`, `auth`, `llm`) in
 * its module in `routing/`; the server's limits are `limits.ts`'s. This file assembles
 * them and checks what spans them: that upstreams name known providers, that a provider has
 * one breaker, that a priority is one load shedding knows. Every problem is reported at
 * once, at its line.
 *
 * Compiling is pure: the files and secrets a config names (JWT keys, the LLM registry) are
 * read by the loader, `load.ts`, and handed in as `ConfigMaterial`.
 *
 * Vocabulary follows Resilience4j (failureRate, minimumCalls, half-open probes, maxAttempts)
 * and Envoy (retry `on` conditions, per-attempt timeout, upstreams).
 *
 * @example
 *   const loaded = await loadRouterConfig('fixtures/routers/weather.yaml');   // load.ts
 *   if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
 *   const router = await startRouter({ config: loaded.value });
 */
import Type from 'typebox';
import { issueAt, type ConfigIssue, type Locate } from '../config/issues.ts';
import { closest } from '../core/suggest.ts';
import { compileBodyLimit, compileServerTimeouts, DEFAULT_MAX_REQUEST_BODY, ServerSchema, type ServerTimeouts } from './limits.ts';
import { BreakerSchema, compileBreaker, type BreakerConfig } from './policies/breaker.ts';
import { BulkheadSchema, compileBulkhead, type BulkheadOptions } from './policies/bulkhead.ts';
import { ClientsSchema, compileTrustedProxies } from './policies/client-address.ts';
import { compileFailoverOn, FailoverOnSchema } from './policies/failover.ts';
import { compileFallback, FallbackSchema, type FallbackTierConfig } from './policies/fallback.ts';
import { compileOutlier, OutlierSchema, type OutlierConfig } from './policies/outlier.ts';
import { compileRateLimit, RateLimitSchema, type RateLimitOptions } from './policies/ratelimit.ts';
import { compileRetry, RetrySchema, type RetryConfig } from './policies/retry.ts';
import { compileLoadShedding, CRITICALITIES, LoadSheddingSchema, type LoadSheddingConfig } from './policies/shedding.ts';
import { compileThrottle, ThrottleSchema, type ThrottleConfig } from './policies/throttle.ts';
import { compileTimeouts, TimeoutFields } from './policies/timeout.ts';
import { AuthSchema, compileRouteAuth, type RouteAuthConfig } from './routing/auth.ts';
import { CanarySchema, compileCanary, type CanaryConfig } from './routing/canary.ts';
import { compileRouteLlm, LlmRouteSchema, type RouteLlmConfig } from './routing/llm.ts';
import { compileSelect, SelectSchema, type SelectConfig } from './routing/select.ts';
import { NO_MATERIAL, PROVIDER_NAME_PATTERN, size, UPSTREAM_PATTERN, type ConfigMaterial, type Issue } from './schema-kit.ts';

// The compiled types and defaults the router, its server and its tests take from here.
export { DEFAULT_MAX_REQUEST_BODY, DEFAULT_SERVER_TIMEOUTS, MAX_REQUEST_BODY_BOUND, type ServerTimeouts } from './limits.ts';
export type { BreakerConfig } from './policies/breaker.ts';
export type { RetryBudgetConfig } from './policies/budget.ts';
export type { FallbackTierConfig } from './policies/fallback.ts';
export type { OutlierConfig } from './policies/outlier.ts';
export type { RetryConfig } from './policies/retry.ts';
export type { LoadSheddingConfig } from './policies/shedding.ts';
export type { ThrottleConfig } from './policies/throttle.ts';
export { DEFAULT_TIMEOUT_MS } from './policies/timeout.ts';
export type { RouteAuthConfig } from './routing/auth.ts';
export type { RouteLlmConfig } from './routing/llm.ts';
export type { ConfigMaterial } from './schema-kit.ts';

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
    bulkhead: Type.Optional(BulkheadSchema),
    adaptiveThrottling: Type.Optional(ThrottleSchema),
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
    ...TimeoutFields,
    priority: Type.Optional(Type.String({ description: "The route's requests' priority for load shedding, e.g. sheddable." })),
    rateLimit: Type.Optional(RateLimitSchema),
    bulkhead: Type.Optional(BulkheadSchema),
    retry: Type.Optional(RetrySchema),
    breaker: Type.Optional(BreakerSchema),
    outlierDetection: Type.Optional(OutlierSchema),
    fallback: Type.Optional(FallbackSchema),
    failoverOn: Type.Optional(FailoverOnSchema),
    select: Type.Optional(SelectSchema),
    canary: Type.Optional(CanarySchema),
    auth: Type.Optional(AuthSchema),
    llm: Type.Optional(LlmRouteSchema),
    maxRequestBody: Type.Optional(size("The largest request body this route takes; a bigger one is answered 413 before anything is forwarded. Default: the router's `maxRequestBody`.")),
  },
  { additionalProperties: false, description: 'A route: which requests, to which providers, under which policies.' },
);

/** The router file's schema. */
export const RouterConfigSchema = Type.Object(
  {
    name: Type.String({ pattern: PROVIDER_NAME_PATTERN, expected: 'lower-case letters, digits and dashes', description: 'Name of this router, in logs and reports.' }),
    providers: Type.Record(Type.String(), ProviderSchema, { description: 'Upstream providers by name.' }),
    routes: Type.Array(RouteSchema, { minItems: 1, description: 'Routes, tried in order; the first whose `match` fits takes the request.' }),
    clients: Type.Optional(ClientsSchema),
    rateLimit: Type.Optional(RateLimitSchema),
    loadShedding: Type.Optional(LoadSheddingSchema),
    maxRequestBody: Type.Optional(size('The largest request body a route takes unless it says otherwise; a bigger one is answered 413 (Content-Length checked up front, a chunked body counted as it arrives) and never forwarded. Default 1MiB (nginx). At most 1GiB.')),
    server: Type.Optional(ServerSchema),
  },
  { additionalProperties: false, description: "faultline's reference router: routes to upstream providers with timeouts, retries, breakers and failover." },
);

/** The file as written. */
export type RouterFile = Type.Static<typeof RouterConfigSchema>;


// ---------------------------------------------------------------------------------------
// The compiled config: numbers in ms and fractions, defaults filled, references checked.

export interface ProviderConfig {
  /** `name`, or `name@region` for a regional endpoint. */
  key: string;
  name: string;
  region?: string;
  url: string;
  /** One breaker per provider key, shared by every route that calls it. */
  breaker?: BreakerConfig;
  /** One bulkhead per provider key, shared by every route that calls it. */
  bulkhead?: BulkheadOptions;
  adaptiveThrottling?: ThrottleConfig;
}

export interface RouteConfig {
  match: string;
  /** Provider keys in failover order. */
  upstreams: string[];
  /** Per-attempt timeout, ms. */
  timeout: number;
  /** Whole-request deadline, ms (the fallback chain's, when there is one). */
  deadline?: number;
  /** Load-shedding priority of the route's requests (a header may override it). */
  priority?: string;
  rateLimit?: RateLimitOptions;
  /** One bulkhead for the whole route. */
  bulkhead?: BulkheadOptions;
  retry?: RetryConfig;
  outlierDetection?: OutlierConfig;
  /** Tiers in order; absent: the upstreams alone. */
  fallback?: { tiers: FallbackTierConfig[] };
  failoverOn: string[];
  /** Provider selection per request: compliance, live health, cost. */
  select?: SelectConfig;
  /** A sticky share of clients to other upstreams, rolled back on an SLO breach. */
  canary?: CanaryConfig;
  /** Authentication the route requires. */
  auth?: RouteAuthConfig;
  /** LLM routing: the request's class picks a model chain from the registry. */
  llm?: RouteLlmConfig;
  /** Bytes; absent: the router's `maxRequestBody`. */
  maxRequestBody?: number;
}

export interface RouterConfig {
  name: string;
  providers: ProviderConfig[];
  routes: RouteConfig[];
  /** Addresses and CIDR ranges of proxies in front of the router. */
  trustedProxies?: string[];
  /** A per-client limit over all routes. */
  rateLimit?: RateLimitOptions;
  loadShedding?: LoadSheddingConfig;
  /** Bytes a route's request body may hold unless the route says otherwise. Default DEFAULT_MAX_REQUEST_BODY. */
  maxRequestBody?: number;
  /** Client-connection timeouts, ms. Default DEFAULT_SERVER_TIMEOUTS. */
  server?: ServerTimeouts;
}

type Compiled = { ok: true; value: RouterConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validated file → runtime config, or every semantic issue. `locate` and `file` position
 * the issues (the loader's; defaults make issues at 0:0 for in-memory configs). `material`:
 * the files and secrets the config names, as the loader read them (load.ts); without it a
 * config naming none compiles alike, and one naming some reports each as unread.
 *
 * @example
 *   const c = compileRouterConfig({ name: 'joke', providers: { joke: { url } }, routes: [{ match: '/joke', upstreams: ['joke'] }] });
 */
export function compileRouterConfig(raw: RouterFile, locate: Locate = () => ({ line: 0, column: 0 }), file = '<config>', material: ConfigMaterial = NO_MATERIAL): Compiled {
  const issues: ConfigIssue[] = [];
  // Issues in files this one names (an LLM registry), positioned in those files: after this file's.
  const elsewhere: ConfigIssue[] = [];
  const issue: Issue = (path, message, extra) => issues.push(issueAt(locate, file, path, message, extra));

  const { providers, regionalNames } = compileProviders(raw.providers, issue);
  const trustedProxies = compileTrustedProxies(raw.clients, ['clients'], issue);
  const rateLimit = raw.rateLimit ? compileRateLimit(raw.rateLimit, ['rateLimit'], issue) : undefined;
  const loadShedding = raw.loadShedding ? compileLoadShedding(raw.loadShedding, ['loadShedding'], issue) : undefined;
  const maxRequestBody = raw.maxRequestBody === undefined ? DEFAULT_MAX_REQUEST_BODY : (compileBodyLimit(raw.maxRequestBody, ['maxRequestBody'], issue) ?? DEFAULT_MAX_REQUEST_BODY);
  const server = compileServerTimeouts(raw.server, issue);

  const context: RouteContext = {
    providers,
    keys: [...providers.keys()],
    regionalNames,
    priorities: loadShedding?.priorities ?? [...CRITICALITIES],
    breakerFrom: new Map(),
    material,
    issue,
    elsewhere,
  };
  const routes = raw.routes.map((r, i) => compileRoute(r, i, context));

  // In file order, as the loader gives its own issues.
  if (issues.length > 0 || elsewhere.length > 0) return { ok: false, issues: [...issues.sort((a, b) => a.line - b.line || a.column - b.column), ...elsewhere] };
  return {
    ok: true,
    value: {
      name: raw.name,
      providers: [...providers.values()],
      routes,
      ...(trustedProxies && { trustedProxies }),
      ...(rateLimit && { rateLimit }),
      ...(loadShedding && { loadShedding }),
      maxRequestBody,
      server,
    },
  };
}

/** `providers` → one ProviderConfig per key (`name`, or `name@region` per region), in file order. */
function compileProviders(raw: RouterFile['providers'], issue: Issue): { providers: Map<string, ProviderConfig>; regionalNames: Map<string, string[]> } {
  const providers = new Map<string, ProviderConfig>();
  const regionalNames = new Map<string, string[]>();
  const namePattern = new RegExp(PROVIDER_NAME_PATTERN);
  for (const [name, p] of Object.entries(raw)) {
    const at = ['providers', name];
    if (!namePattern.test(name)) {
      issue(at, `provider name ${JSON.stringify(name)} must be lower-case letters, digits and dashes`);
      continue;
    }
    const breaker = p.breaker ? compileBreaker(p.breaker, [...at, 'breaker'], issue) : undefined;
    const bulkhead = p.bulkhead ? compileBulkhead(p.bulkhead, [...at, 'bulkhead'], issue) : undefined;
    const throttle = p.adaptiveThrottling ? compileThrottle(p.adaptiveThrottling, [...at, 'adaptiveThrottling'], issue) : undefined;
    // Each regional endpoint gets its own copy: its own breaker, bulkhead and throttle.
    const policies = (): Partial<ProviderConfig> => ({
      ...(breaker && { breaker: { ...breaker } }),
      ...(bulkhead && { bulkhead: { ...bulkhead } }),
      ...(throttle && { adaptiveThrottling: { ...throttle } }),
    });
    if ((p.url === undefined) === (p.regions === undefined)) {
      issue(at, p.url === undefined ? 'a provider needs `url` or `regions`' : 'give either `url` or `regions`, not both');
      continue;
    }
    if (p.url !== undefined) {
      providers.set(name, { key: name, name, url: p.url, ...policies() });
      continue;
    }
    const regions = Object.entries(p.regions!);
    if (regions.length === 0) issue([...at, 'regions'], 'a regional provider needs at least one region');
    regionalNames.set(name, regions.map(([r]) => r));
    for (const [region, r] of regions) {
      if (!namePattern.test(region)) {
        issue([...at, 'regions', region], `region name ${JSON.stringify(region)} must be lower-case letters, digits and dashes`);
        continue;
      }
      const key = `${name}@${region}`;
      providers.set(key, { key, name, region, url: r.url, ...policies() });
    }
  }
  return { providers, regionalNames };
}

/** What every route is compiled against. */
interface RouteContext {
  providers: Map<string, ProviderConfig>;
  /** The providers' keys, in file order. */
  keys: string[];
  /** A regional provider's regions, to suggest `name@region` for a bare name. */
  regionalNames: ReadonlyMap<string, string[]>;
  /** Load shedding's priorities, which a route's `priority` must be one of. */
  priorities: readonly string[];
  /** Which route set each provider's breaker, to report conflicting route-level breakers. */
  breakerFrom: Map<string, number>;
  material: ConfigMaterial;
  issue: Issue;
  elsewhere: ConfigIssue[];
}

function compileRoute(r: RouterFile['routes'][number], i: number, c: RouteContext): RouteConfig {
  const { keys, issue } = c;
  const at = ['routes', i];
  const upstreams = compileUpstreams(r.upstreams, at, c);

  // Routing: canary first (select also ranks its upstreams), then select, auth, llm.
  if (r.llm && r.select) issue([...at, 'llm'], '`llm` and `select` are alternatives: the registry orders an LLM route\'s providers; remove one of them');
  if (r.llm && r.canary) issue([...at, 'canary'], 'a canary does not mix with `llm`: the registry picks the models (put the new version in a chain instead); remove one of them');
  const canary = r.canary ? compileCanary(r.canary, keys, upstreams, [...at, 'canary'], issue) : undefined;
  const select = r.select ? compileSelect(r.select, [...upstreams, ...(canary?.upstreams ?? [])], [...at, 'select'], issue) : undefined;
  const auth = r.auth ? compileRouteAuth(r.auth, [...at, 'auth'], c.material, issue) : undefined;
  const llm = r.llm ? compileRouteLlm(r.llm, c.material.llmRegistries.get(r.llm.registry), keys, upstreams, at, issue, c.elsewhere) : undefined;

  const breaker = r.breaker ? compileBreaker(r.breaker, [...at, 'breaker'], issue) : undefined;
  // The canary's upstreams are called by this route too: they get its breaker.
  if (breaker) for (const key of [...upstreams, ...(canary?.upstreams ?? [])]) shareBreaker(key, breaker, i, c);

  const { timeout, deadline } = compileTimeouts(r, at, issue);
  if (r.priority !== undefined && !c.priorities.includes(r.priority)) {
    const hint = closest(r.priority, c.priorities);
    issue([...at, 'priority'], `unknown priority ${JSON.stringify(r.priority)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${c.priorities.join(', ')}` });
  }
  const rateLimit = r.rateLimit ? compileRateLimit(r.rateLimit, [...at, 'rateLimit'], issue) : undefined;
  const bulkhead = r.bulkhead ? compileBulkhead(r.bulkhead, [...at, 'bulkhead'], issue) : undefined;
  const outlierDetection = r.outlierDetection ? compileOutlier(r.outlierDetection, [...at, 'outlierDetection'], issue) : undefined;
  const fallback = r.fallback ? compileFallback(r.fallback, upstreams, keys, [...at, 'fallback'], issue) : undefined;
  const retry = r.retry ? compileRetry(r.retry, [...at, 'retry'], issue) : undefined;
  const maxRequestBody = r.maxRequestBody === undefined ? undefined : compileBodyLimit(r.maxRequestBody, [...at, 'maxRequestBody'], issue);
  return {
    match: r.match,
    upstreams,
    timeout,
    ...(deadline !== undefined && { deadline }),
    ...(r.priority !== undefined && { priority: r.priority }),
    ...(rateLimit && { rateLimit }),
    ...(bulkhead && { bulkhead }),
    ...(retry && { retry }),
    ...(outlierDetection && { outlierDetection }),
    ...(fallback && { fallback }),
    failoverOn: compileFailoverOn(r.failoverOn),
    ...(select && { select }),
    ...(canary && { canary }),
    ...(auth && { auth }),
    ...(llm && { llm }),
    ...(maxRequestBody !== undefined && { maxRequestBody }),
  };
}

/** A route's `upstreams` → the known provider keys among them, each once. */
function compileUpstreams(raw: readonly string[], at: (string | number)[], c: RouteContext): string[] {
  const upstreams: string[] = [];
  raw.forEach((u, j) => {
    if (c.providers.has(u)) {
      if (upstreams.includes(u)) c.issue([...at, 'upstreams', j], `${u} is listed twice`);
      else upstreams.push(u);
      return;
    }
    const regions = c.regionalNames.get(u);
    if (regions) {
      c.issue([...at, 'upstreams', j], `${u} has regions; name one`, { expected: regions.map((x) => `${u}@${x}`).join(' or ') });
      return;
    }
    const hint = closest(u, c.keys);
    c.issue([...at, 'upstreams', j], `unknown provider ${JSON.stringify(u)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${c.keys.join(', ')}` });
  });
  return upstreams;
}

/** Route `i`'s breaker onto provider `key`: a provider has one breaker, so a different one is a conflict. */
function shareBreaker(key: string, breaker: BreakerConfig, i: number, c: RouteContext): void {
  const p = c.providers.get(key)!;
  if (!p.breaker) {
    p.breaker = breaker;
    c.breakerFrom.set(key, i);
  } else if (JSON.stringify(p.breaker) !== JSON.stringify(breaker)) {
    const by = c.breakerFrom.get(key);
    c.issue(
      ['routes', i, 'breaker'],
      `${key} already has a different breaker (${by === undefined ? `providers.${p.name}.breaker` : `routes[${by}].breaker`}); a provider has one breaker, so move it to providers.${p.name}.breaker`,
    );
  }
}
