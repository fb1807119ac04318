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
 * A route's routing — `select`, `canary`, `auth`, `llm` — is spliced in from
 * `routing/schema.ts` and compiled by its compile steps; the files it names (the LLM
 * registry, JWT keys) are read here, relative to the config file, so a config that loads is
 * one the router can start with.
 *
 * @example
 *   const loaded = await loadRouterConfig('fixtures/routers/weather.yaml');
 *   if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
 *   const router = await startRouter({ config: loaded.value });
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Type from 'typebox';
import { loadYamlFile, parseYaml, type Loaded } from '../config/load.ts';
import { issueAt, type ConfigIssue, type Locate } from '../config/issues.ts';
import { closest } from '../core/suggest.ts';
import { DURATION_PATTERN, parseDuration, parsePercent, PERCENT_PATTERN } from '../core/units.ts';
import { CONDITION_PATTERN } from './conditions.ts';
import type { BackoffOptions, Jitter } from './policies/backoff.ts';
import { breakerOptionProblems, DEFAULT_BUCKETS, type BreakerOptions } from './policies/breaker.ts';
import { AWS_RETRY_QUOTA } from './policies/budget.ts';
import { bulkheadOptionProblems, type BulkheadOptions } from './policies/bulkhead.ts';
import { trustedProxyProblem } from './policies/client-address.ts';
import { ENVOY_OUTLIER_DEFAULTS, outlierOptionProblems, type OutlierOptions } from './policies/outlier.ts';
import { rateLimitOptionProblems, type RateLimitOptions } from './policies/ratelimit.ts';
import { CRITICALITIES, loadShedOptionProblems, type LoadShedOptions } from './policies/shedding.ts';
import { adaptiveThrottleOptionProblems, type AdaptiveThrottleOptions } from './policies/throttle.ts';
import { jwtOptionProblems, publicKeyJwk, readJwtKeys, type JwtAuthOptions } from './routing/auth.ts';
import { parseLlmRegistry, type LlmRegistry } from './routing/llm.ts';
import {
  AuthSchema,
  CanarySchema,
  compileAuth,
  compileCanary,
  compileLlmRoute,
  compileSelect,
  LlmRouteSchema,
  SelectSchema,
  type CanaryConfig,
  type SelectConfig,
} from './routing/schema.ts';

/** Provider and region names: lower case, digits, dashes (the scenario file's names). */
export const PROVIDER_NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** An upstream reference: `name` or `name@region`. */
export const UPSTREAM_PATTERN = '^[a-z0-9][a-z0-9-]*(@[a-z0-9][a-z0-9-]*)?$';

const duration = (description: string) =>
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
const size = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0, description: 'Bytes.' }), Type.String({ pattern: SIZE_PATTERN, expected: 'a size like 1MiB, 512KiB or 4096B' })], {
    expected: 'a size like 1MiB, 512KiB or 4096B',
    description,
  });
const percent = (description: string) =>
  Type.String({ pattern: PERCENT_PATTERN, quantity: 'percent', expected: 'a percentage like 50%', description });
const CONDITION_EXPECTED = 'a status class like 5xx, a status like 503, network or timeout';
// A bare status (`[429, 503]`) is a YAML number: accepted as such, and read as its string.
const conditions = (description: string) =>
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
const conditionList = (list: ReadonlyArray<string | number> | undefined, fallback: readonly string[]): string[] => (list ? list.map(String) : [...fallback]);

const BreakerSchema = Type.Object(
  {
    failureRate: percent('Open when this share of the calls in the window failed, e.g. 50% (Resilience4j failureRateThreshold).'),
    window: Type.Union(
      [
        Type.Integer({ minimum: 1, description: 'How many of the latest calls are judged (count-based sliding window).' }),
        duration('How far back calls are judged, e.g. 30s (time-based sliding window, in buckets).'),
      ],
      { expected: 'a number of calls like 20, or a duration like 30s', description: 'The sliding window: a number of calls, or a duration.' },
    ),
    buckets: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: "A time window's buckets: its resolution. Default 10 (Polly v8)." }),
    ),
    minimumCalls: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'No verdict before this many calls are in the window. At most `window` for a count window. Default: `window` for a count window, 100 for a time window (Resilience4j, Polly).',
      }),
    ),
    slowCall: Type.Optional(
      Type.Object(
        {
          duration: duration('A call longer than this is slow (Resilience4j slowCallDurationThreshold), e.g. 1s.'),
          rate: percent('Open when this share of the calls in the window were slow (slowCallRateThreshold), e.g. 80%.'),
        },
        { additionalProperties: false, description: 'Open on slow calls too; a slow half-open probe counts as a failed one.' },
      ),
    ),
    openFor: duration('How long the breaker stays open before probing the provider again, e.g. 5s.'),
    openBackoff: Type.Optional(
      Type.Object(
        {
          multiplier: Type.Number({ minimum: 1, description: 'Each opening in a row waits this many times longer, e.g. 2.' }),
          max: duration('The longest wait, e.g. 1m.'),
        },
        { additionalProperties: false, description: 'Grow the open wait while probes keep failing (Resilience4j exponential backoff in the open state); closing resets it.' },
      ),
    ),
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

const BudgetSchema = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('concurrency', { description: "Envoy's retry budget: retries in flight as a share of active requests." }),
        budgetPercent: Type.Optional(percent('Retries in flight, as a share of the active requests. Default 20% (Envoy).')),
        minRetryConcurrency: Type.Optional(Type.Integer({ minimum: 0, description: 'Retries in flight always allowed. Default 3 (Envoy).' })),
      },
      { additionalProperties: false, description: "Envoy's retry budget (retry_budget)." },
    ),
    Type.Object(
      {
        type: Type.Literal('tokens', { description: "gRPC's retryThrottling: tokens drained by failures, refilled by successes." }),
        maxTokens: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'The token count starts here; no retries at or below half of it.' }),
        tokenRatio: Type.Number({ exclusiveMinimum: 0, description: 'Tokens a success gives back: about the share of requests that may be retried.' }),
      },
      { additionalProperties: false, description: "gRPC's retry throttling (retryThrottling)." },
    ),
    Type.Object(
      {
        type: Type.Literal('quota', { description: "The AWS SDKs' retry quota: retries paid from a bucket, refunded on success." }),
        initialTokens: Type.Optional(Type.Integer({ minimum: 1, description: 'The bucket. Default 500.' })),
        retryCost: Type.Optional(Type.Integer({ minimum: 1, description: 'What a retry costs. Default 5.' })),
        timeoutCost: Type.Optional(Type.Integer({ minimum: 1, description: 'What a retry after a timeout costs. Default 10.' })),
        noRetryIncrement: Type.Optional(Type.Integer({ minimum: 0, description: 'What a first-attempt success puts back. Default 1.' })),
      },
      { additionalProperties: false, description: "The AWS SDKs' retry quota." },
    ),
  ],
  { description: 'A retry budget shared by the route\'s calls, so retries cannot multiply the load on a failing provider: `type: concurrency` (Envoy), `tokens` (gRPC) or `quota` (AWS).' },
);

const BulkheadSchema = Type.Object(
  {
    maxConcurrentCalls: Type.Integer({ minimum: 1, description: 'Calls running at once (Resilience4j maxConcurrentCalls).' }),
    queueCapacity: Type.Optional(Type.Integer({ minimum: 0, description: 'Calls that may wait for a slot; more are refused at once. Default 0.' })),
    maxWaitDuration: Type.Optional(duration('Longest wait for a slot, e.g. 100ms. Default: as long as the request\'s deadline allows.')),
  },
  { additionalProperties: false, description: 'A bulkhead: at most this many calls at once, with a bounded queue.' },
);

const ThrottleSchema = Type.Object(
  {
    k: Type.Optional(Type.Number({ minimum: 1, description: 'Requests sent per accepted one before rejecting locally (the SRE book\'s K). Default 2.' })),
    window: Type.Optional(duration('History the ratio is taken over. Default 2m (the SRE book).')),
    buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Buckets of that history. Default 12.' })),
    rejectOn: Type.Optional(conditions('Outcomes that mean the provider did not accept the request. Default [5xx, 429, network, timeout].')),
    minRequests: Type.Optional(Type.Integer({ minimum: 0, description: 'Requests the window must hold before anything is rejected, so a cold start is not throttled. Default 20.' })),
  },
  { additionalProperties: false, description: 'Client-side adaptive throttling (Google SRE book, "Handling Overload").' },
);

const OutlierSchema = Type.Object(
  {
    consecutive5xx: Type.Optional(Type.Integer({ minimum: 0, description: 'Failures in a row that eject a provider; 0 turns it off. Default 5 (Envoy).' })),
    interval: Type.Optional(duration('How often failure percentages are judged. Default 10s (Envoy).')),
    baseEjectionTime: Type.Optional(duration('An ejection lasts this × the provider\'s ejections. Default 30s (Envoy).')),
    maxEjectionTime: Type.Optional(duration('The longest ejection. Default 300s (Envoy).')),
    maxEjectionPercent: Type.Optional(percent('At most this share of the route\'s upstreams ejected at once (one always may be). Default 10% (Envoy).')),
    failurePercentage: Type.Optional(
      Type.Object(
        {
          threshold: Type.Optional(percent('Eject a provider whose failures reach this share of its requests in an interval. Default 85%.')),
          requestVolume: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests a provider needs in the interval to be judged. Default 50.' })),
          minimumHosts: Type.Optional(Type.Integer({ minimum: 1, description: 'Providers that need that volume before any is judged. Default 5.' })),
        },
        { additionalProperties: false, description: "Failure-percentage ejection (Envoy's failure_percentage_*)." },
      ),
    ),
    failureOn: Type.Optional(conditions('Outcomes that count as failures. Default [5xx, network, timeout].')),
  },
  { additionalProperties: false, description: "Outlier detection over the route's upstreams (Envoy): eject a failing provider for a while." },
);

const RateLimitSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'Requests per window, per client.' }),
    window: duration('The window, e.g. 1m.'),
    algorithm: Type.Optional(
      Type.Union([Type.Literal('sliding-window'), Type.Literal('token-bucket')], {
        expected: 'sliding-window or token-bucket',
        description: 'sliding-window (exact: never more than `limit` in any window) or token-bucket (smooth, bursts up to `burst`). Default sliding-window.',
      }),
    ),
    burst: Type.Optional(Type.Integer({ minimum: 1, description: 'token-bucket: the bucket size. Default `limit`.' })),
    maxClients: Type.Optional(Type.Integer({ minimum: 1, description: 'Clients tracked at once (memory bound). Default 10000.' })),
    ipv6Prefix: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 128, description: 'IPv6 clients are limited per network of this prefix length, not per address (one subscriber holds a /64). Default 64; 128 limits each address.' }),
    ),
  },
  { additionalProperties: false, description: 'A per-client rate limit; the client is its address after `clients.trustedProxies`. Over it: 429 with Retry-After.' },
);

const TierSchema = Type.Union(
  [
    Type.Object(
      {
        tier: Type.Literal('upstreams', { description: 'Call providers, failing over in order.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default: the providers, joined by +.' })),
        upstreams: Type.Optional(
          Type.Array(Type.String({ pattern: UPSTREAM_PATTERN, expected: 'a provider name, or name@region' }), {
            minItems: 1,
            description: "Providers of this tier. Default: the route's upstreams.",
          }),
        ),
      },
      { additionalProperties: false, description: 'A tier of live providers.' },
    ),
    Type.Object(
      {
        tier: Type.Literal('cache', { description: 'The last good answer for the same path.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default cache.' })),
        maxAge: Type.Optional(duration('Answers older than this are not used. Default 5m.')),
        maxEntries: Type.Optional(Type.Integer({ minimum: 1, description: 'Paths remembered. Default 1000.' })),
      },
      { additionalProperties: false, description: 'Answer with the last good response for this path (GET and HEAD only).' },
    ),
    Type.Object(
      {
        tier: Type.Literal('static', { description: 'A fixed answer.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default static.' })),
        status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, description: 'Default 200.' })),
        json: Type.Optional(Type.Unknown({ description: 'A JSON body.' })),
        body: Type.Optional(Type.String({ description: 'A text body.' })),
        headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Response headers.' })),
      },
      { additionalProperties: false, description: 'Answer with a fixed response (a default, a degraded result).' },
    ),
    Type.Object(
      {
        tier: Type.Literal('queue', { description: 'Accept the request for later: 202 with a ticket.' }),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Name in metrics. Default queue.' })),
        capacity: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests held at once; a full queue does not answer. Default 1000.' })),
      },
      { additionalProperties: false, description: 'A manual queue: answer 202 Accepted with a ticket.' },
    ),
  ],
  { description: 'One fallback tier: `tier: upstreams`, `cache`, `static` or `queue`.' },
);

const FallbackSchema = Type.Object(
  {
    tiers: Type.Array(TierSchema, { minItems: 1, description: 'Tiers in order; the first that answers wins. Default first tier: the route\'s upstreams.' }),
  },
  { additionalProperties: false, description: "A fallback chain; the route's `deadline` is the chain's as a whole." },
);

const LoadSheddingSchema = Type.Object(
  {
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, description: 'Capacity: requests in flight in the router.' })),
    maxQueueDelay: Type.Optional(duration('Capacity: the standing queueing delay in front of bulkheads (CoDel-style minimum over `interval`).')),
    interval: Type.Optional(duration('The interval the queueing delay\'s minimum is taken over. Default 100ms (CoDel).')),
    priorities: Type.Optional(
      Type.Array(Type.String({ pattern: PROVIDER_NAME_PATTERN, expected: 'lower-case letters, digits and dashes' }), {
        minItems: 1,
        description: 'Priorities, highest first. Default the SRE book\'s criticalities: critical-plus, critical, sheddable-plus, sheddable.',
      }),
    ),
    defaultPriority: Type.Optional(Type.String({ description: 'A request\'s priority when neither its route nor its header names one. Default critical.' })),
    priorityHeader: Type.Optional(
      Type.String({ pattern: '^[a-z0-9-]+$', expected: 'a lower-case header name', description: 'Request header carrying the priority, e.g. x-priority. A client may only lower its route\'s priority with it; a trusted proxy (clients.trustedProxies) may set any. Default: none (routes decide).' }),
    ),
    shedAt: Type.Optional(
      Type.Record(Type.String(), percent('Share of capacity.'), {
        description: 'Priority → share of capacity at which it is shed. Default sheddable 50%, sheddable-plus 75%, others 100%.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Load shedding by priority under overload.' },
);

const RetrySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10, description: 'Attempts in total, the first included; 1 turns retries off.' }),
    on: Type.Optional(conditions('Outcomes worth another attempt. Default [5xx, network, timeout].')),
    backoff: Type.Optional(BackoffSchema),
    retryAfterCap: Type.Optional(duration("Longest wait a provider's Retry-After header can ask for. Default: backoff.cap.")),
    idempotentOnly: Type.Optional(
      Type.Boolean({
        description: 'Retry only idempotent methods (GET, PUT, DELETE, …). Default true: a retried POST may charge twice. A POST refused before it was sent (connection refused) is still retried.',
      }),
    ),
    budget: Type.Optional(BudgetSchema),
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
    timeout: Type.Optional(duration('Deadline per attempt, e.g. 300ms. Default 15s (Envoy).')),
    deadline: Type.Optional(duration('Deadline for the whole request: retries, backoff, failover and fallback tiers included, e.g. 1s.')),
    priority: Type.Optional(Type.String({ description: "The route's requests' priority for load shedding, e.g. sheddable." })),
    rateLimit: Type.Optional(RateLimitSchema),
    bulkhead: Type.Optional(BulkheadSchema),
    retry: Type.Optional(RetrySchema),
    breaker: Type.Optional(BreakerSchema),
    outlierDetection: Type.Optional(OutlierSchema),
    fallback: Type.Optional(FallbackSchema),
    failoverOn: Type.Optional(conditions('Outcomes after which the next upstream is tried. Default [5xx, network, timeout].')),
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
    clients: Type.Optional(
      Type.Object(
        {
          trustedProxies: Type.Array(
            Type.String({ minLength: 1, expected: 'an address or CIDR range like 10.0.0.0/8', description: 'A proxy address or range.' }),
            { description: 'Proxies whose X-Forwarded-For entries are believed: the client is the rightmost address that is not one of them.' },
          ),
        },
        { additionalProperties: false, description: 'How the client (for rate limits) is told from the proxies in front of the router.' },
      ),
    ),
    rateLimit: Type.Optional(RateLimitSchema),
    loadShedding: Type.Optional(LoadSheddingSchema),
    maxRequestBody: Type.Optional(size('The largest request body a route takes unless it says otherwise; a bigger one is answered 413 (Content-Length checked up front, a chunked body counted as it arrives) and never forwarded. Default 1MiB (nginx). At most 1GiB.')),
    server: Type.Optional(
      Type.Object(
        {
          headersTimeout: Type.Optional(duration("Longest a client may take to send a request's headers (slowloris); then 408 and the connection is closed. Node's server.headersTimeout. Default 10s.")),
          requestTimeout: Type.Optional(duration("Longest a client may take to send a whole request, body included; then 408. Node's server.requestTimeout. At least headersTimeout. Default 30s.")),
          keepAliveTimeout: Type.Optional(duration("Longest an idle keep-alive connection is kept open between requests. Node's server.keepAliveTimeout. Default 5s.")),
          idleTimeout: Type.Optional(duration("A connection with no traffic either way for this long is closed, a request in flight included, so make it longer than any route's deadline. Node's server.timeout. Default 2m.")),
        },
        { additionalProperties: false, description: "The router's HTTP server: how long slow and idle client connections may hold a socket." },
      ),
    ),
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

export type RetryBudgetConfig =
  | { type: 'concurrency'; budgetPercent: number; minRetryConcurrency: number }
  | { type: 'tokens'; maxTokens: number; tokenRatio: number }
  | { type: 'quota'; initialTokens: number; retryCost: number; timeoutCost: number; noRetryIncrement: number };

export interface RetryConfig {
  maxAttempts: number;
  on: string[];
  backoff: BackoffOptions;
  retryAfterCap: number;
  idempotentOnly: boolean;
  /** Shared by the route's upstreams. */
  budget?: RetryBudgetConfig;
}

export interface ThrottleConfig extends AdaptiveThrottleOptions {
  rejectOn: string[];
}

export interface OutlierConfig extends OutlierOptions {
  failureOn: string[];
}

export type FallbackTierConfig =
  | {
      tier: 'upstreams';
      name: string;
      upstreams: string[];
      /** The tier did not name its upstreams: it takes the request's routed list (select, canary arm, LLM chain). */
      routed: boolean;
    }
  | { tier: 'cache'; name: string; maxAge: number; maxEntries: number }
  | { tier: 'static'; name: string; status: number; headers: Record<string, string>; body: string }
  | { tier: 'queue'; name: string; capacity: number };

export interface LoadSheddingConfig extends LoadShedOptions {
  priorities: string[];
  defaultPriority: string;
  priorityHeader?: string;
}

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

/** A route's `auth`, its keys read: what `buildJwtAuth` takes, but for the clock. */
export interface RouteAuthConfig {
  jwt: Omit<JwtAuthOptions, 'clock'>;
}

export interface RouteLlmConfig {
  /** The registry file, resolved. */
  file: string;
  registry: LlmRegistry;
  /** Models whose provider is unavailable: tried last, or left out. */
  unhealthy: 'last' | 'skip';
}

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

/** How long a client connection may hold a socket, ms (node:http's server timeouts). */
export interface ServerTimeouts {
  /** Receiving a request's headers (server.headersTimeout). */
  headersTimeout: number;
  /** Receiving a whole request (server.requestTimeout); at least headersTimeout. */
  requestTimeout: number;
  /** An idle keep-alive connection between requests (server.keepAliveTimeout). */
  keepAliveTimeout: number;
  /** No traffic either way, a request in flight included (server.timeout). */
  idleTimeout: number;
}

/** 1 MiB, nginx's client_max_body_size. */
export const DEFAULT_MAX_REQUEST_BODY = 1024 * 1024;
/** Bodies are buffered whole before they are forwarded: no limit above this. */
export const MAX_REQUEST_BODY_BOUND = 1024 ** 3;
export const DEFAULT_SERVER_TIMEOUTS: Readonly<ServerTimeouts> = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, idleTimeout: 120_000 };
/** Node's timers hold at most 2³¹−1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
export function compileRouterConfig(
  raw: RouterFile,
  locate: Locate = () => ({ line: 0, column: 0 }),
  file = '<config>',
  files: ConfigFiles = localFiles(file.startsWith('<') ? process.cwd() : dirname(file)),
): Compiled {
  const issues: ConfigIssue[] = [];
  // Issues in files this one names (an LLM registry), positioned in those files: after this file's.
  const elsewhere: ConfigIssue[] = [];
  const issue = (path: (string | number)[], message: string, extra?: { expected?: string; found?: string }) =>
    issues.push(issueAt(locate, file, path, message, extra));

  const problems = (at: (string | number)[], list: Array<{ field: string; message: string }>) => {
    for (const p of list) issue([...at, ...p.field.split('.')], p.message);
    return list.length === 0;
  };

  const providers = new Map<string, ProviderConfig>();
  const regionalNames = new Map<string, string[]>();
  for (const [name, p] of Object.entries(raw.providers)) {
    const at = ['providers', name];
    if (!new RegExp(PROVIDER_NAME_PATTERN).test(name)) {
      issue(at, `provider name ${JSON.stringify(name)} must be lower-case letters, digits and dashes`);
      continue;
    }
    const breaker = p.breaker ? compileBreaker(p.breaker, [...at, 'breaker'], issue) : undefined;
    const bulkhead = p.bulkhead ? compileBulkhead(p.bulkhead, [...at, 'bulkhead'], problems) : undefined;
    let throttle: ThrottleConfig | undefined;
    if (p.adaptiveThrottling) {
      const t = p.adaptiveThrottling;
      throttle = {
        k: t.k ?? 2,
        window: t.window === undefined ? 120_000 : parseDuration(t.window),
        buckets: t.buckets ?? 12,
        rejectOn: conditionList(t.rejectOn, ['5xx', '429', 'network', 'timeout']),
        ...(t.minRequests !== undefined && { minRequests: t.minRequests }),
      };
      if (!problems([...at, 'adaptiveThrottling'], adaptiveThrottleOptionProblems(throttle))) throttle = undefined;
    }
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
      if (!new RegExp(PROVIDER_NAME_PATTERN).test(region)) {
        issue([...at, 'regions', region], `region name ${JSON.stringify(region)} must be lower-case letters, digits and dashes`);
        continue;
      }
      const key = `${name}@${region}`;
      providers.set(key, { key, name, region, url: r.url, ...policies() });
    }
  }

  const trustedProxies = raw.clients?.trustedProxies;
  trustedProxies?.forEach((entry, i) => {
    const problem = trustedProxyProblem(entry);
    if (problem) issue(['clients', 'trustedProxies', i], problem);
  });
  const globalRateLimit = raw.rateLimit ? compileRateLimit(raw.rateLimit, ['rateLimit'], problems) : undefined;

  let loadShedding: LoadSheddingConfig | undefined;
  if (raw.loadShedding) {
    const l = raw.loadShedding;
    const priorities = l.priorities ?? [...CRITICALITIES];
    const shedAt: Record<string, number> = {};
    if (l.shedAt) for (const [k, v] of Object.entries(l.shedAt)) shedAt[k] = parsePercent(v);
    loadShedding = {
      priorities,
      defaultPriority: l.defaultPriority ?? priorities[Math.min(1, priorities.length - 1)]!,
      ...(l.priorityHeader !== undefined && { priorityHeader: l.priorityHeader }),
      ...(l.maxInFlight !== undefined && { maxInFlight: l.maxInFlight }),
      ...(l.maxQueueDelay !== undefined && { maxQueueDelay: parseDuration(l.maxQueueDelay) }),
      ...(l.interval !== undefined && { interval: parseDuration(l.interval) }),
      ...(l.shedAt && { shedAt }),
    };
    if (!problems(['loadShedding'], loadShedOptionProblems(loadShedding))) loadShedding = undefined;
  }
  const priorityNames = loadShedding?.priorities ?? [...CRITICALITIES];

  const bodyLimit = (value: string | number, at: (string | number)[]): number | undefined => {
    const n = parseSize(value);
    if (!Number.isFinite(n) || n > MAX_REQUEST_BODY_BOUND) {
      issue(at, `maxRequestBody must be at most 1GiB (${MAX_REQUEST_BODY_BOUND} bytes): bodies are buffered whole`);
      return undefined;
    }
    return n;
  };
  const maxRequestBody = raw.maxRequestBody === undefined ? DEFAULT_MAX_REQUEST_BODY : (bodyLimit(raw.maxRequestBody, ['maxRequestBody']) ?? DEFAULT_MAX_REQUEST_BODY);
  const server: ServerTimeouts = { ...DEFAULT_SERVER_TIMEOUTS };
  for (const k of ['headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'idleTimeout'] as const) {
    const v = raw.server?.[k];
    if (v === undefined) continue;
    const ms = Math.ceil(parseDuration(v));
    if (!(ms > 0) || ms > MAX_TIMER_MS) issue(['server', k], `${k} must be more than 0 and at most ${MAX_TIMER_MS} ms (about 24.8 days), Node's longest timer`);
    else server[k] = ms;
  }
  if (server.headersTimeout > server.requestTimeout) {
    issue(['server', raw.server?.headersTimeout !== undefined ? 'headersTimeout' : 'requestTimeout'], `headersTimeout (${formatMs(server.headersTimeout)}) must not exceed requestTimeout (${formatMs(server.requestTimeout)}): the headers are part of the request`);
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

    // Routing: canary first (select also ranks its upstreams), then select, auth, llm.
    if (r.llm && r.select) issue([...at, 'llm'], '`llm` and `select` are alternatives: the registry orders an LLM route\'s providers; remove one of them');
    if (r.llm && r.canary) issue([...at, 'canary'], 'a canary does not mix with `llm`: the registry picks the models (put the new version in a chain instead); remove one of them');
    const canary = r.canary ? compileCanary(r.canary, [...providers.keys()], upstreams, [...at, 'canary'], issue) : undefined;
    const select = r.select ? compileSelect(r.select, [...upstreams, ...(canary?.upstreams ?? [])], [...at, 'select'], issue) : undefined;
    const auth = r.auth ? compileRouteAuth(r.auth, [...at, 'auth'], files, issue) : undefined;
    let llm: RouteLlmConfig | undefined;
    if (r.llm) {
      const l = compileLlmRoute(r.llm);
      const path = resolve(files.dir, l.registry);
      let text: string | undefined;
      try {
        text = files.read(path);
      } catch (err) {
        issue([...at, 'llm', 'registry'], `cannot read the LLM registry ${l.registry}: ${errorCode(err)}`);
      }
      const loaded = text === undefined ? undefined : parseLlmRegistry(text, path, [...providers.keys()]);
      if (loaded && !loaded.ok) elsewhere.push(...loaded.issues);
      if (loaded?.ok) {
        // Every provider a chain can reach must be one of the route's upstreams, so it has the route's breaker, retry and outlier detection.
        const reached = new Set<string>();
        for (const c of loaded.value.classes.values()) for (const id of c.chain) reached.add(loaded.value.models.get(id)!.provider);
        const missing = [...reached].filter((p) => providers.has(p) && !upstreams.includes(p));
        if (missing.length > 0) {
          issue([...at, 'upstreams'], `the LLM registry's chains call ${missing.join(', ')}: list ${missing.length > 1 ? 'them' : 'it'} here too, so every provider a chain reaches has this route's policies`);
        }
        llm = { file: path, registry: loaded.value, unhealthy: l.unhealthy };
      }
    }

    if (r.breaker) {
      const breaker = compileBreaker(r.breaker, [...at, 'breaker'], issue);
      if (breaker) {
        // The canary's upstreams are called by this route too: they get its breaker.
        for (const key of [...upstreams, ...(canary?.upstreams ?? [])]) {
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

    let deadline: number | undefined;
    if (r.deadline !== undefined) {
      deadline = parseDuration(r.deadline);
      if (deadline <= 0) issue([...at, 'deadline'], 'deadline must be more than 0');
      else if (r.timeout !== undefined && deadline < timeout) issue([...at, 'deadline'], `deadline (${r.deadline}) is shorter than the per-attempt timeout (${formatMs(timeout)}): the timeout could never fire`);
    }
    if (r.priority !== undefined && !priorityNames.includes(r.priority)) {
      const hint = closest(r.priority, priorityNames);
      issue([...at, 'priority'], `unknown priority ${JSON.stringify(r.priority)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${priorityNames.join(', ')}` });
    }
    const rateLimit = r.rateLimit ? compileRateLimit(r.rateLimit, [...at, 'rateLimit'], problems) : undefined;
    const bulkhead = r.bulkhead ? compileBulkhead(r.bulkhead, [...at, 'bulkhead'], problems) : undefined;

    let outlierDetection: OutlierConfig | undefined;
    if (r.outlierDetection) {
      const o = r.outlierDetection;
      const fp = o.failurePercentage;
      outlierDetection = {
        consecutive5xx: o.consecutive5xx ?? ENVOY_OUTLIER_DEFAULTS.consecutive5xx,
        interval: o.interval === undefined ? ENVOY_OUTLIER_DEFAULTS.interval : parseDuration(o.interval),
        baseEjectionTime: o.baseEjectionTime === undefined ? ENVOY_OUTLIER_DEFAULTS.baseEjectionTime : parseDuration(o.baseEjectionTime),
        maxEjectionTime: o.maxEjectionTime === undefined ? ENVOY_OUTLIER_DEFAULTS.maxEjectionTime : parseDuration(o.maxEjectionTime),
        maxEjectionPercent: o.maxEjectionPercent === undefined ? ENVOY_OUTLIER_DEFAULTS.maxEjectionPercent : parsePercent(o.maxEjectionPercent),
        ...(fp && {
          failurePercentage: {
            threshold: fp.threshold === undefined ? 0.85 : parsePercent(fp.threshold),
            requestVolume: fp.requestVolume ?? 50,
            minimumHosts: fp.minimumHosts ?? 5,
          },
        }),
        failureOn: conditionList(o.failureOn, DEFAULT_FAILURE_CONDITIONS),
      };
      if (!problems([...at, 'outlierDetection'], outlierOptionProblems(outlierDetection))) outlierDetection = undefined;
    }

    let fallback: { tiers: FallbackTierConfig[] } | undefined;
    if (r.fallback) {
      const tiers: FallbackTierConfig[] = [];
      r.fallback.tiers.forEach((t, j) => {
        const tat = [...at, 'fallback', 'tiers', j];
        switch (t.tier) {
          case 'upstreams': {
            const keys = t.upstreams ?? upstreams;
            (t.upstreams ?? []).forEach((u, k) => {
              if (providers.has(u)) return;
              const hint = closest(u, providers.keys());
              issue([...tat, 'upstreams', k], `unknown provider ${JSON.stringify(u)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${[...providers.keys()].join(', ')}` });
            });
            tiers.push({ tier: 'upstreams', name: t.name ?? keys.join('+'), upstreams: keys.filter((u) => providers.has(u)), routed: t.upstreams === undefined });
            break;
          }
          case 'cache':
            tiers.push({ tier: 'cache', name: t.name ?? 'cache', maxAge: t.maxAge === undefined ? 300_000 : parseDuration(t.maxAge), maxEntries: t.maxEntries ?? 1000 });
            break;
          case 'static': {
            if (t.json !== undefined && t.body !== undefined) issue(tat, 'give `json` or `body`, not both');
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(t.headers ?? {})) headers[k.toLowerCase()] = v;
            if (t.json !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json; charset=utf-8';
            tiers.push({ tier: 'static', name: t.name ?? 'static', status: t.status ?? 200, headers, body: t.json !== undefined ? JSON.stringify(t.json) : (t.body ?? '') });
            break;
          }
          case 'queue':
            tiers.push({ tier: 'queue', name: t.name ?? 'queue', capacity: t.capacity ?? 1000 });
            break;
        }
      });
      const names = tiers.map((t) => t.name);
      names.forEach((n, j) => {
        if (names.indexOf(n) !== j) issue([...at, 'fallback', 'tiers', j], `two tiers are named ${JSON.stringify(n)}; give one a \`name\``);
      });
      if (!tiers.some((t) => t.tier === 'upstreams')) issue([...at, 'fallback', 'tiers'], 'a fallback chain needs an `upstreams` tier, or the route would never call its providers');
      fallback = { tiers };
    }

    let retry: RetryConfig | undefined;
    if (r.retry && r.retry.maxAttempts > 1) {
      const backoff: BackoffOptions = r.retry.backoff
        ? { base: parseDuration(r.retry.backoff.base), cap: parseDuration(r.retry.backoff.cap), jitter: (r.retry.backoff.jitter ?? 'full') as Jitter }
        : DEFAULT_BACKOFF;
      if (backoff.base > backoff.cap) issue([...at, 'retry', 'backoff', 'base'], `backoff base (${r.retry.backoff!.base}) exceeds its cap (${r.retry.backoff!.cap})`);
      retry = {
        maxAttempts: r.retry.maxAttempts,
        on: conditionList(r.retry.on, DEFAULT_FAILURE_CONDITIONS),
        backoff,
        retryAfterCap: r.retry.retryAfterCap === undefined ? backoff.cap : parseDuration(r.retry.retryAfterCap),
        idempotentOnly: r.retry.idempotentOnly ?? true,
      };
      const b = r.retry.budget;
      if (b) {
        if (b.type === 'concurrency') {
          retry.budget = { type: 'concurrency', budgetPercent: b.budgetPercent === undefined ? 0.2 : parsePercent(b.budgetPercent), minRetryConcurrency: b.minRetryConcurrency ?? 3 };
        } else if (b.type === 'tokens') {
          retry.budget = { type: 'tokens', maxTokens: b.maxTokens, tokenRatio: b.tokenRatio };
        } else {
          retry.budget = {
            type: 'quota',
            initialTokens: b.initialTokens ?? AWS_RETRY_QUOTA.initialTokens,
            retryCost: b.retryCost ?? AWS_RETRY_QUOTA.retryCost,
            timeoutCost: b.timeoutCost ?? AWS_RETRY_QUOTA.timeoutCost,
            noRetryIncrement: b.noRetryIncrement ?? AWS_RETRY_QUOTA.noRetryIncrement,
          };
        }
      }
    }

    const routeBody = r.maxRequestBody === undefined ? undefined : bodyLimit(r.maxRequestBody, [...at, 'maxRequestBody']);
    routes.push({
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
      failoverOn: conditionList(r.failoverOn, DEFAULT_FAILURE_CONDITIONS),
      ...(select && { select }),
      ...(canary && { canary }),
      ...(auth && { auth }),
      ...(llm && { llm }),
      ...(routeBody !== undefined && { maxRequestBody: routeBody }),
    });
  });

  // In file order, as the loader gives its own issues.
  if (issues.length > 0 || elsewhere.length > 0) return { ok: false, issues: [...issues.sort((a, b) => a.line - b.line || a.column - b.column), ...elsewhere] };
  return {
    ok: true,
    value: {
      name: raw.name,
      providers: [...providers.values()],
      routes,
      ...(trustedProxies && { trustedProxies: [...trustedProxies] }),
      ...(globalRateLimit && { rateLimit: globalRateLimit }),
      ...(loadShedding && { loadShedding }),
      maxRequestBody,
      server,
    },
  };
}

type Problems = (at: (string | number)[], list: Array<{ field: string; message: string }>) => boolean;

function compileBulkhead(b: NonNullable<RouterFile['routes'][number]['bulkhead']>, at: (string | number)[], problems: Problems): BulkheadOptions | undefined {
  const options: BulkheadOptions = {
    maxConcurrentCalls: b.maxConcurrentCalls,
    queueCapacity: b.queueCapacity ?? 0,
    ...(b.maxWaitDuration !== undefined && { maxWaitDuration: parseDuration(b.maxWaitDuration) }),
  };
  return problems(at, bulkheadOptionProblems(options)) ? options : undefined;
}

function compileRateLimit(r: NonNullable<RouterFile['rateLimit']>, at: (string | number)[], problems: Problems): RateLimitOptions | undefined {
  const options: RateLimitOptions = {
    algorithm: r.algorithm ?? 'sliding-window',
    limit: r.limit,
    window: parseDuration(r.window),
    ...(r.burst !== undefined && { burst: r.burst }),
    ...(r.maxClients !== undefined && { maxClients: r.maxClients }),
    ...(r.ipv6Prefix !== undefined && { ipv6Prefix: r.ipv6Prefix }),
  };
  return problems(at, rateLimitOptionProblems(options)) ? options : undefined;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function compileBreaker(
  b: NonNullable<RouterFile['routes'][number]['breaker']>,
  at: (string | number)[],
  issue: (path: (string | number)[], message: string) => void,
): BreakerConfig | undefined {
  const probes = b.halfOpen?.probes ?? 1;
  const time = typeof b.window === 'string';
  const window = typeof b.window === 'string' ? parseDuration(b.window) : b.window;
  if (!time && b.buckets !== undefined) issue([...at, 'buckets'], 'buckets apply to a time window (window: 30s) only');
  const options: BreakerConfig = {
    failureRate: parsePercent(b.failureRate),
    ...(time && { windowType: 'time' as const, buckets: b.buckets ?? DEFAULT_BUCKETS }),
    window,
    minimumCalls: b.minimumCalls ?? (time ? 100 : window),
    openFor: parseDuration(b.openFor),
    ...(b.openBackoff && { openBackoff: { multiplier: b.openBackoff.multiplier, max: parseDuration(b.openBackoff.max) } }),
    ...(b.slowCall && { slowCall: { duration: parseDuration(b.slowCall.duration), rate: parsePercent(b.slowCall.rate) } }),
    halfOpen: { probes, successesToClose: b.halfOpen?.successesToClose ?? probes },
    failureOn: conditionList(b.failureOn, DEFAULT_FAILURE_CONDITIONS),
  };
  const problems = breakerOptionProblems(options);
  for (const p of problems) issue([...at, ...p.field.split('.')], p.message);
  return problems.length > 0 ? undefined : options;
}

/** `auth` as written → its keys read and checked; problems at the field they concern. */
function compileRouteAuth(raw: NonNullable<RouterFile['routes'][number]['auth']>, at: (string | number)[], files: ConfigFiles, issue: Issue): RouteAuthConfig | undefined {
  let failed = false;
  const report: Issue = (path, message, extra) => {
    failed = true;
    issue(path, message, extra);
  };
  const compiled = compileAuth(raw, at, report);
  if (!compiled) return undefined;
  const jat = [...at, 'jwt'];
  // Problems come as `field: words` or `field[i]: words`: put each at its field.
  const atField = (problem: string) => {
    const m = /^(\w+)(?:\[(\d+)\])?(?:\.keys\[\d+\])?: (.*)$/s.exec(problem);
    if (!m) return report(jat, problem);
    report(m[2] === undefined ? [...jat, m[1]!] : [...jat, m[1]!, Number(m[2])], m[3]!);
  };
  const keys = readJwtKeys(compiled.jwt.keys, (f) => files.read(resolve(files.dir, f)), files.env ?? process.env);
  if (!keys.ok) {
    keys.problems.forEach(atField);
    return undefined;
  }
  const jwt: Omit<JwtAuthOptions, 'clock'> = { ...compiled.jwt, keys: keys.keys };
  jwtOptionProblems(jwt).forEach(atField);
  (keys.keys.publicKeys ?? []).forEach((k, i) => {
    const converted = publicKeyJwk(k.pem, k.alg);
    if (!converted.ok) report([...jat, 'publicKeys', i, 'file'], converted.problem);
  });
  return failed ? undefined : { jwt };
}

type Issue = (path: (string | number)[], message: string, extra?: { expected?: string; found?: string }) => void;

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
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

function compileLoaded(loaded: Loaded<RouterFile>, file: string, files?: ConfigFiles): Loaded<RouterConfig> {
  if (!loaded.ok) return loaded;
  const compiled = compileRouterConfig(loaded.value, loaded.locate, file, files);
  return compiled.ok ? { ok: true, value: compiled.value, locate: loaded.locate } : compiled;
}
