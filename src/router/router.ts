/**
 * The router without sockets: a request value in, a response value out. `server.ts` puts
 * it behind node:http; tests call `handle` directly with the MSW transport and a FakeClock;
 * the simulator can drive it in virtual time.
 *
 * Per request, outermost first:
 *
 *   normalise the path (path.ts; 400 when it cannot be) → match a route → the route's body
 *   limit (413) → rate limits (router-wide, then the route's; per client) → load shedding
 *   (router-wide, by priority) → the route's deadline → fallback chain (or the upstreams
 *   alone) → route bulkhead → failover over the tier's upstreams, each through
 *   `retry(+budget) → adaptive throttle → provider bulkhead → breaker → outlier detection
 *   → [count attempt] → timeout → transport`.
 *
 * - retry is per route and provider (its metric names both); its budget is the route's,
 *   shared by the route's upstreams;
 * - breaker, provider bulkhead and adaptive throttle are per provider key, shared by every
 *   route that calls the provider, since a provider's health and capacity are not a
 *   property of the route;
 * - outlier detection is per route (it ejects at most a share of the route's upstreams);
 * - the timeout is per attempt, the deadline per request, one shared timer each per route.
 *
 * Routing (src/router/routing/) decides, per request and before any call, who may serve it
 * and in which order; the failover loop then runs over that order unchanged:
 *
 *   match → rate limits → **authenticate** (JWT: 401 + WWW-Authenticate, nothing called) →
 *   load shedding → **canary arm** (sticky per client; its upstream list) → **order** the
 *   arm's upstreams: `select` (compliance filter, then live health from the breakers and
 *   outlier ejection, then cost) or an LLM plan (the request's class → a model chain) →
 *   deadline → fallback chain → failover → **cost** of the answer → the canary records how
 *   the request ended.
 *
 * An empty order (no compliant provider, none available under `unhealthy: skip`, no model)
 * is a 503 with the reason; the unfiltered list is never used instead. A fallback tier that
 * names no upstreams takes the routed order; one that names its own is filtered by the
 * route's compliance too.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { conditionSet } from './conditions.ts';
import { DEFAULT_MAX_REQUEST_BODY, type FallbackTierConfig, type RetryBudgetConfig, type RouteConfig, type RouterConfig } from './config.ts';
import { RouterMetrics, type RequestOutcome } from './metrics.ts';
import { CircuitBreaker } from './policies/breaker.ts';
import { ConcurrencyRetryBudget, RetryQuota, TokenRetryBudget, type RetryBudget } from './policies/budget.ts';
import { Bulkhead } from './policies/bulkhead.ts';
import { clientAddress, normaliseAddress, TrustedProxies } from './policies/client-address.ts';
import {
  isBulkheadRejectedError,
  isCallerAbortedError,
  isDeadlineExceededError,
  isLoadShedError,
  isNetworkError,
  isTimeoutError,
} from './policies/errors.ts';
import { FailoverPolicy, isAllTargetsFailedError, type FailoverReason, type FailoverResult, type FailoverTarget } from './policies/failover.ts';
import { FallbackChain, isFallbackExhaustedError, LastGoodCache, ManualQueue, type FallbackTier } from './policies/fallback.ts';
import { OutlierDetector } from './policies/outlier.ts';
import { DEFER, Watcher } from './policies/gate.ts';
import { wrap } from './policies/compose.ts';
import { noop, type Policy, type PolicyContext } from './policies/policy.ts';
import { RateLimiter } from './policies/ratelimit.ts';
import { parseRetryAfter, RetryPolicy } from './policies/retry.ts';
import { LoadShedder } from './policies/shedding.ts';
import { AdaptiveThrottle } from './policies/throttle.ts';
import { DeadlinePolicy, TimeoutPolicy } from './policies/timeout.ts';
import { isNormalPath, normalisePath } from './path.ts';
import { ProviderRegistry, type Provider } from './providers.ts';
import { AUTH_FAILURES, buildJwtAuth, type JwtAuth } from './routing/auth.ts';
import { Canary, stickyKey, type CanaryArm } from './routing/canary.ts';
import { llmRequest, planLlm, usageCost, usageOf, withModel, type LlmChainEntry, type LlmModel, type LlmPlan } from './routing/llm.ts';
import { buildSelectOptions } from './routing/schema.ts';
import { breakerHealth, costImpact, ProviderSelector, requestAttributes, type AttributeSources, type HealthOf, type Selection, type SelectRequest } from './routing/select.ts';
import type { Transport, UpstreamRequest, UpstreamResponse } from './transport.ts';

/** Names who answered: a provider key, or `none` when the router answered itself. */
export const PROVIDER_HEADER = 'x-faultline-provider';
/** Names the fallback tier that answered, when it was not the first. */
export const FALLBACK_HEADER = 'x-faultline-fallback';
/** On a canary route: the arm the client is on, `baseline` or `canary`. */
export const ARM_HEADER = 'x-faultline-arm';
/** On an LLM route: the registry model that answered. */
export const MODEL_HEADER = 'x-faultline-model';

export interface RouterRequest {
  method: string;
  /** Path with query, as received: `/weather/oslo?units=metric`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Uint8Array;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
  /**
   * The socket's peer address (server.ts passes `req.socket.remoteAddress`); with
   * `X-Forwarded-For` and the trusted proxies it names the client, for rate limits, canary
   * stickiness and the client's region.
   */
  remoteAddress?: string;
}

export interface RouterResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

export interface RouterOptions {
  config: RouterConfig;
  transport: Transport;
  /** Provider key (or bare name, for all its regions) → base URL, overriding the config's. */
  upstreams?: Record<string, string>;
  /** Default: the system clock. */
  clock?: Clock;
  /** Jitter draws. Default: a fixed seed, so two runs of one config jitter alike. */
  rng?: Rng;
  metrics?: RouterMetrics;
}

/** The router's stateful policies, by scope, for metrics, reports and tests. */
export interface RouterPolicies {
  /** By provider key. */
  readonly bulkheads: ReadonlyMap<string, Bulkhead>;
  /** By route label. */
  readonly routeBulkheads: ReadonlyMap<string, Bulkhead>;
  /** By provider key. */
  readonly throttles: ReadonlyMap<string, AdaptiveThrottle<UpstreamResponse>>;
  /** By route label. */
  readonly outliers: ReadonlyMap<string, OutlierDetector>;
  /** By route label. */
  readonly budgets: ReadonlyMap<string, RetryBudget>;
  /** `global`, or a route label. */
  readonly rateLimiters: ReadonlyMap<string, RateLimiter>;
  /** By route label. */
  readonly queues: ReadonlyMap<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>;
  readonly shedder: LoadShedder | undefined;
  /** By route label. */
  readonly canaries: ReadonlyMap<string, Canary>;
}

export interface Router {
  handle(req: RouterRequest): Promise<RouterResponse>;
  /**
   * The most body bytes a request to `target` (path and query, as received) may carry: its
   * route's `maxRequestBody`, else the router's. `handle` answers 413 past it; server.ts asks
   * before reading a body, so an oversized one is refused before it is buffered or forwarded.
   */
  bodyLimit(target: string): number;
  readonly metrics: RouterMetrics;
  readonly providers: ProviderRegistry;
  /** Breakers by provider key. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  readonly policies: RouterPolicies;
  /** Stops the policies' timers and closes the transport. */
  close(): Promise<void>;
}

/** What a tier of a route's fallback chain answers with. */
interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** Who answered: a provider key, or `none`. */
  provider: string;
}

interface CompiledUpstream {
  provider: Provider;
  pipeline: Policy;
  breaker: CircuitBreaker | undefined;
  skip: (() => FailoverReason | undefined) | undefined;
}

/** One failover target of a request: a provider's pipeline, with the body to send it (an LLM model's). */
interface Target {
  upstream: CompiledUpstream;
  /** The body for this target, made when it is first called (an LLM model's rewrite). */
  body?: () => Uint8Array | undefined;
  model?: LlmChainEntry;
}

/** Who may serve one request, in order; empty with `refusal` when nobody may. */
interface Plan {
  targets: Target[];
  selection?: Selection;
  llm?: LlmPlan;
  /** The model the class would lead with, were every provider healthy: the LLM cost baseline. */
  ideal?: LlmModel;
  /** Estimated tokens of an LLM request, when its answer reports no usage. */
  estimate?: { input: number; output: number };
  refusal?: { error: string; message: string; region?: string | undefined; class?: string };
  /** A plan shared by every request on its route (no select, no LLM): its failover list, made once. */
  shared?: { list?: FailoverTarget<UpstreamResponse>[] };
}

/**
 * One request on its way through a route, and what routing decided for it. Rides in
 * `PolicyContext.request`. The client address and the selection attributes are read once,
 * and only when something needs them.
 */
class Exchange {
  readonly req: RouterRequest;
  arm: CanaryArm | undefined;
  plan: Plan | undefined;
  /** What the failover targets send (set per call of a tier), and the index of the last one run. */
  upstream: UpstreamRequest | undefined;
  last = 0;
  readonly #trusted: TrustedProxies;
  readonly #sources: AttributeSources | undefined;
  #client: string | undefined;
  #attributes: SelectRequest | undefined;

  constructor(req: RouterRequest, trusted: TrustedProxies, sources: AttributeSources | undefined) {
    this.req = req;
    this.#trusted = trusted;
    this.#sources = sources;
  }

  /** The client's address, after trusted proxies. */
  client(): string {
    return (this.#client ??= clientAddress(this.req.remoteAddress, this.req.headers['x-forwarded-for'], this.#trusted));
  }

  /** Region, amount and currency, from the route's `select` sources (or the defaults). */
  attributes(): SelectRequest {
    return (this.#attributes ??= requestAttributes({ headers: this.req.headers, body: this.req.body, ip: this.client() }, this.#sources));
  }
}

/** A list of upstreams a tier calls: `routed` takes the request's plan instead. */
interface UpstreamTier {
  routed: boolean;
  list: CompiledUpstream[];
}

interface CompiledRoute {
  config: RouteConfig;
  label: string;
  test: (path: string) => boolean;
  deadline: DeadlinePolicy | undefined;
  rateLimit: RateLimiter | undefined;
  bulkhead: Bulkhead | undefined;
  failover: FailoverPolicy<UpstreamResponse>;
  /** The route's own upstreams, in failover order. */
  upstreams: CompiledUpstream[];
  /** The route's upstreams as a tier: routed (select, canary, LLM) per request. */
  primary: UpstreamTier;
  /** Without `select` or `llm`, each arm's order is its list as configured. */
  fixed: { baseline: Plan; canary: Plan | undefined };
  /** Every provider any of the route's tiers calls. */
  byKey: Map<string, CompiledUpstream>;
  chain: FallbackChain<Answer> | undefined;
  cache: LastGoodCache<UpstreamResponse> | undefined;
  /** Live health of a provider key: its breaker, and this route's outlier detection. */
  health: HealthOf;
  /** Why an unavailable provider is: `breaker_open` or `ejected`. */
  unavailable: (key: string) => FailoverReason;
  /** Selectors by upstream list (`a,b`), built when first needed. */
  selectors: Map<string, ProviderSelector>;
  auth: JwtAuth | undefined;
  /** The most request-body bytes the route takes. */
  maxBody: number;
  canary: { canary: Canary; upstreams: CompiledUpstream[]; stickyHeader: string | undefined } | undefined;
}

/**
 * @example
 *   const router = createRouter({ config, transport: mswTransport(handlers), clock: new FakeClock() });
 *   const res = await router.handle({ method: 'GET', path: '/joke', headers: {} });
 */
export function createRouter(opts: RouterOptions): Router {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? seededRng(1);
  // Policies that draw (throttle, queue tickets) get streams of their own, made only when
  // configured, so adding one does not shift the jitter draws of a config without it.
  const childRng = () => seededRng(Math.floor(rng.next() * 0x7fff_ffff));
  const metrics = opts.metrics ?? new RouterMetrics();
  const transport = opts.transport;
  const config = opts.config;
  const providers = new ProviderRegistry(
    config.providers.map(({ key, name, region, url }) => ({ key, name, url, ...(region !== undefined && { region }) })),
    opts.upstreams,
  );
  const unsubscribe: Array<() => void> = [];
  const disposers: Array<() => void> = [];

  const shedder = config.loadShedding
    ? new LoadShedder(config.loadShedding, clock, (priority) => metrics.shed(priority))
    : undefined;
  if (shedder) for (const p of shedder.priorities) metrics.zero('loadShed', p);
  const priorityHeader = config.loadShedding?.priorityHeader;
  const queueDelay = shedder && config.loadShedding?.maxQueueDelay !== undefined ? (ms: number) => shedder.observeQueueDelay(ms) : undefined;

  const trusted = new TrustedProxies(config.trustedProxies ?? []);
  const rateLimiters = new Map<string, RateLimiter>();
  const globalLimiter = config.rateLimit ? new RateLimiter(config.rateLimit, clock) : undefined;
  const defaultBodyLimit = config.maxRequestBody ?? DEFAULT_MAX_REQUEST_BODY;
  if (globalLimiter) rateLimiters.set('global', globalLimiter);

  // Per provider key: breaker, bulkhead, adaptive throttle.
  const breakers = new Map<string, CircuitBreaker>();
  const bulkheads = new Map<string, Bulkhead>();
  const throttles = new Map<string, AdaptiveThrottle<UpstreamResponse>>();
  for (const p of config.providers) {
    if (p.breaker) {
      const failureOn = conditionSet(p.breaker.failureOn);
      const breaker = new CircuitBreaker(p.breaker, clock, {
        result: (r) => failureOn.status((r as UpstreamResponse).status),
        error: (e) => failureOn.error(e),
      });
      breakers.set(p.key, breaker);
      unsubscribe.push(metrics.watchBreaker(p.name, p.region, breaker));
    }
    if (p.bulkhead) {
      const key = p.key;
      const bulkhead = new Bulkhead(
        p.bulkhead,
        clock,
        { onRejected: (reason) => metrics.bulkheadRejected('provider', key, reason), ...(queueDelay && { onQueueWait: queueDelay }) },
        `provider ${key}`,
      );
      bulkheads.set(key, bulkhead);
      disposers.push(() => bulkhead.dispose());
      metrics.zero('bulkheadRejections', 'provider', key, 'full');
      metrics.zero('bulkheadRejections', 'provider', key, 'queue_timeout');
    }
    if (p.adaptiveThrottling) {
      const key = p.key;
      const rejectOn = conditionSet(p.adaptiveThrottling.rejectOn);
      throttles.set(
        key,
        new AdaptiveThrottle<UpstreamResponse>(p.adaptiveThrottling, clock, childRng(), {
          rejected: (r) => rejectOn.status(r.status),
          rejectedError: (e) => rejectOn.error(e),
          onThrottled: () => metrics.throttle(key),
        }),
      );
      metrics.zero('throttled', key);
    }
  }

  const outliers = new Map<string, OutlierDetector>();
  const canaries = new Map<string, Canary>();
  const budgets = new Map<string, RetryBudget>();
  const routeBulkheads = new Map<string, Bulkhead>();
  const queues = new Map<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>();

  const routes: CompiledRoute[] = config.routes.map((rc) => {
    const label = rc.match;
    const failoverOn = conditionSet(rc.failoverOn);
    const timeout = new TimeoutPolicy(rc.timeout, clock);
    disposers.push(() => timeout.dispose());

    // Every provider the route can call: its upstreams, its canary's, those of its fallback
    // tiers and of its LLM chains. Each gets its pipeline (retry → … → breaker → outlier).
    const keys = [...rc.upstreams];
    const reach = (k: string) => {
      if (!keys.includes(k) && providers.get(k)) keys.push(k);
    };
    for (const k of rc.canary?.upstreams ?? []) reach(k);
    for (const t of rc.fallback?.tiers ?? []) if (t.tier === 'upstreams') for (const k of t.upstreams) reach(k);
    if (rc.llm) for (const c of rc.llm.registry.classes.values()) for (const id of c.chain) reach(rc.llm.registry.models.get(id)!.provider);

    const budget = rc.retry?.budget ? makeBudget(rc.retry.budget) : undefined;
    if (budget) budgets.set(label, budget);

    let outlier: OutlierDetector | undefined;
    let outlierOn: ReturnType<typeof conditionSet> | undefined;
    if (rc.outlierDetection) {
      outlierOn = conditionSet(rc.outlierDetection.failureOn);
      outlier = new OutlierDetector(keys, rc.outlierDetection, clock, (host, reason) => metrics.ejected(label, host, reason));
      outliers.set(label, outlier);
      for (const k of keys) {
        metrics.zero('outlierEjections', label, k, 'consecutive_5xx');
        if (rc.outlierDetection.failurePercentage) metrics.zero('outlierEjections', label, k, 'failure_percentage');
      }
    }

    const byKey = new Map<string, CompiledUpstream>();
    for (const key of keys) {
      const provider = providers.get(key)!;
      const breaker = breakers.get(key);
      let retry: Policy = noop;
      if (rc.retry) {
        const retryOn = conditionSet(rc.retry.on);
        retry = new RetryPolicy<UpstreamResponse>(
          {
            maxAttempts: rc.retry.maxAttempts,
            backoff: rc.retry.backoff,
            retryOnResult: (r) => retryOn.status(r.status),
            retryOnError: (e) => retryOn.error(e),
            retryAfter: (r) => parseRetryAfter(r.headers['retry-after'], clock.now()),
            retryAfterCap: rc.retry.retryAfterCap,
            retryNonIdempotent: !rc.retry.idempotentOnly,
            ...(budget && { budget, onBudgetExhausted: () => metrics.budgetRefused(label, key) }),
            onRetry: () => metrics.retry(label, key),
          },
          clock,
          rng,
        );
        metrics.zero('retries', label, key);
        if (budget) metrics.zero('budgetExhausted', label, key);
      }
      const outlierPolicy =
        outlier && outlierOn
          ? outlier.forHost<UpstreamResponse>(key, (r) => outlierOn.status(r.status), (e) => outlierOn.error(e))
          : noop;
      const detector = outlier;
      const skip = breaker || detector
        ? () => (breaker && !breaker.isCallPermitted() ? 'breaker_open' : detector?.isEjected(key) ? 'ejected' : undefined)
        : undefined;
      byKey.set(key, {
        provider,
        breaker,
        skip,
        pipeline: wrap(retry, throttles.get(key) ?? noop, bulkheads.get(key) ?? noop, breaker ?? noop, outlierPolicy, new AttemptCounter(metrics, key), timeout),
      });
      metrics.zeroDuration(label, key, 'success');
    }

    let bulkhead: Bulkhead | undefined;
    if (rc.bulkhead) {
      bulkhead = new Bulkhead(
        rc.bulkhead,
        clock,
        { onRejected: (reason) => metrics.bulkheadRejected('route', label, reason), ...(queueDelay && { onQueueWait: queueDelay }) },
        `route ${label}`,
      );
      routeBulkheads.set(label, bulkhead);
      const b = bulkhead;
      disposers.push(() => b.dispose());
      metrics.zero('bulkheadRejections', 'route', label, 'full');
      metrics.zero('bulkheadRejections', 'route', label, 'queue_timeout');
    }

    let rateLimit: RateLimiter | undefined;
    if (rc.rateLimit) {
      rateLimit = new RateLimiter(rc.rateLimit, clock);
      rateLimiters.set(label, rateLimit);
      metrics.zero('rateLimited', label, 'route');
    }
    if (globalLimiter) metrics.zero('rateLimited', label, 'global');

    const detector = outlier;
    const degradedAt = rc.select?.degradedAt;
    const health: HealthOf = (key) => {
      const b = breakers.get(key);
      const h = b ? breakerHealth(b, degradedAt) : 'healthy';
      return h !== 'unavailable' && detector?.isEjected(key) ? 'unavailable' : h;
    };
    const unavailable = (key: string): FailoverReason => (detector?.isEjected(key) && breakers.get(key)?.isCallPermitted() !== false ? 'ejected' : 'breaker_open');

    let auth: JwtAuth | undefined;
    if (rc.auth) {
      const made = buildJwtAuth({ ...rc.auth.jwt, clock });
      if (!made.ok) throw new RangeError(`route ${label}: auth: ${made.problems.join('; ')}`);
      auth = made.auth;
      for (const reason of AUTH_FAILURES) metrics.zero('authRejections', label, reason);
    }

    let canary: CompiledRoute['canary'];
    if (rc.canary) {
      const c = new Canary(rc.canary.options, clock);
      canaries.set(label, c);
      metrics.watchCanary(label, c);
      for (const arm of ['baseline', 'canary']) for (const outcome of ['success', 'error']) metrics.zero('canaryRequests', label, arm, outcome);
      canary = { canary: c, upstreams: rc.canary.upstreams.map((k) => byKey.get(k)!), stickyHeader: rc.canary.stickyHeader };
    }
    if (rc.select) {
      metrics.zero('routingDecisions', label, 'none', 'no_compliant_provider');
      metrics.zero('routingDecisions', label, 'none', 'no_available_provider');
    }
    if (rc.llm) {
      metrics.zero('routingDecisions', label, 'none', 'no_available_model');
      for (const [name, c] of rc.llm.registry.classes) for (const id of c.chain) metrics.zero('llmRequests', label, name, id);
    }

    const route: CompiledRoute = {
      config: rc,
      label,
      test: compileMatch(rc.match),
      deadline: undefined,
      rateLimit,
      bulkhead,
      failover: new FailoverPolicy<UpstreamResponse>({
        failedResult: (r) => (failoverOn.status(r.status) ? { reason: r.status >= 500 ? '5xx' : '4xx', status: r.status } : undefined),
        failOverOnError: (e, reason) => reason === 'breaker_open' || failoverOn.error(e),
        onFailover: (from, to, reason) => metrics.failover(from, to, reason),
      }),
      upstreams: rc.upstreams.map((k) => byKey.get(k)!),
      primary: { routed: true, list: rc.upstreams.map((k) => byKey.get(k)!) },
      fixed: {
        baseline: { targets: rc.upstreams.map((k) => ({ upstream: byKey.get(k)! })), shared: {} },
        canary: canary && { targets: canary.upstreams.map((upstream) => ({ upstream })), shared: {} },
      },
      byKey,
      chain: undefined,
      cache: undefined,
      health,
      unavailable,
      selectors: new Map(),
      auth,
      canary,
      maxBody: rc.maxRequestBody ?? defaultBodyLimit,
    };

    if (rc.fallback) {
      const tiers = rc.fallback.tiers.map((t) => makeTier(route, t));
      route.chain = new FallbackChain<Answer>(tiers, clock, {
        ...(rc.deadline !== undefined && { deadline: rc.deadline }),
        onFallback: (tier) => metrics.fallback(label, tier),
      });
      const chain = route.chain;
      disposers.push(() => chain.dispose());
      for (const t of tiers.slice(1)) metrics.zero('fallbacks', label, t.name);
    } else if (rc.deadline !== undefined) {
      const deadline = new DeadlinePolicy(rc.deadline, clock);
      route.deadline = deadline;
      disposers.push(() => deadline.dispose());
    }
    return route;
  });

  function makeBudget(b: RetryBudgetConfig): RetryBudget {
    switch (b.type) {
      case 'concurrency':
        return new ConcurrencyRetryBudget(b);
      case 'tokens':
        return new TokenRetryBudget(b);
      case 'quota':
        return new RetryQuota(b);
    }
  }

  function makeTier(route: CompiledRoute, t: FallbackTierConfig): FallbackTier<Answer> {
    switch (t.tier) {
      case 'upstreams': {
        const tier: UpstreamTier = { routed: t.routed, list: t.upstreams.map((k) => route.byKey.get(k)!) };
        return { name: t.name, local: false, run: (ctx) => callUpstreams(route, tier, ctx) };
      }
      case 'cache': {
        const cache = new LastGoodCache<UpstreamResponse>(t.maxEntries, t.maxAge, clock);
        route.cache = cache;
        return {
          name: t.name,
          local: true,
          async run(ctx) {
            const key = cacheKey(ctx);
            const hit = key === undefined ? undefined : cache.get(key);
            if (!hit) return undefined;
            const headers = responseHeaders(hit.value.headers);
            headers['age'] = String(Math.floor(hit.age / 1000));
            return { status: hit.value.status, headers, body: hit.value.body, provider: 'none' };
          },
        };
      }
      case 'static': {
        const body = encoder.encode(t.body);
        return { name: t.name, local: true, run: async () => ({ status: t.status, headers: { ...t.headers }, body, provider: 'none' }) };
      }
      case 'queue': {
        const queue = new ManualQueue<{ method: string; path: string; body?: Uint8Array }>(t.capacity, clock, childRng());
        queues.set(route.label, queue);
        return {
          name: t.name,
          local: true,
          async run(ctx) {
            const req = requestOf(ctx);
            const ticket = queue.enqueue({ method: req.method, path: req.path, ...(req.body && { body: req.body }) });
            if (ticket === undefined) return undefined;
            const res = json(202, { status: 'queued', ticket, message: 'the request was accepted for later processing' });
            res.headers['location'] = `/queue/${ticket}`;
            return { ...res, provider: 'none' };
          },
        };
      }
    }
  }

  // Tiers get only the PolicyContext; the request rides along in it, with its routing.
  const exchangeOf = (ctx: PolicyContext): Exchange => ctx.request as Exchange;
  const requestOf = (ctx: PolicyContext): RouterRequest => exchangeOf(ctx).req;
  const cacheKey = (ctx: PolicyContext): string | undefined => {
    const req = requestOf(ctx);
    return req.method === 'GET' || req.method === 'HEAD' ? `${req.method} ${req.path}` : undefined;
  };

  /** A request's order over `list`: by `select` when the route has it (compliance applies to every list), else as listed. */
  function listPlan(route: CompiledRoute, list: CompiledUpstream[], ex: Exchange): Plan {
    const select = route.config.select;
    if (!select) return { targets: list.map((upstream) => ({ upstream })) };
    const id = list.map((u) => u.provider.key).join(',');
    let selector = route.selectors.get(id);
    if (!selector) {
      selector = new ProviderSelector(buildSelectOptions(select, list.map((u) => u.provider.key)));
      route.selectors.set(id, selector);
    }
    const s = selector.select(ex.attributes(), route.health);
    const plan: Plan = { targets: s.order.map((r) => ({ upstream: route.byKey.get(r.key)! })), selection: s };
    if (s.order.length === 0) {
      plan.refusal = {
        error: s.reason,
        message:
          s.reason === 'no_compliant_provider'
            ? `no provider of this route may serve a client in region ${s.region ?? '(unknown)'}`
            : `every provider that may serve a client in region ${s.region ?? '(unknown)'} is unavailable`,
        region: s.region,
      };
    }
    return plan;
  }

  /** The request's routed order: the canary arm's list (or the route's), by `select` or the LLM registry. */
  function routePlan(route: CompiledRoute, ex: Exchange): Plan {
    const llm = route.config.llm;
    if (llm) {
      const req = ex.req;
      const asked = llmRequest(req);
      const p = planLlm(llm.registry, asked, route.health, llm.unhealthy);
      const cls = llm.registry.classes.get(p.class);
      const ideal = cls?.chain.map((id) => llm.registry.models.get(id)!).find((m) => !p.excluded.some((x) => x.id === m.id && x.reason === 'tier'));
      const plan: Plan = {
        targets: p.chain.map((e) => ({ upstream: route.byKey.get(e.provider)!, body: () => withModel(req.body, e.model), model: e })),
        llm: p,
        ...(ideal && { ideal }),
        estimate: { input: p.promptTokens, output: asked.maxTokens ?? p.promptTokens },
      };
      const lead = p.chain[0];
      metrics.decision(route.label, lead?.provider ?? 'none', lead ? p.rule : 'no_available_model');
      if (!lead) {
        plan.refusal = { error: 'no_available_model', message: `every model for ${p.class} requests is unavailable`, class: p.class };
      } else if (ideal && ideal.provider !== lead.provider) {
        const h = route.health(ideal.provider);
        if (h !== 'healthy') metrics.failover(ideal.provider, lead.provider, h === 'degraded' ? 'degraded' : route.unavailable(ideal.provider));
      }
      return plan;
    }
    if (!route.config.select) return ex.arm === 'canary' ? route.fixed.canary! : route.fixed.baseline;
    const list = ex.arm === 'canary' ? route.canary!.upstreams : route.upstreams;
    const plan = listPlan(route, list, ex);
    const s = plan.selection;
    if (s) {
      metrics.decision(route.label, s.provider, s.reason);
      if (s.passedOver) metrics.failover(s.passedOver.from, s.passedOver.to, s.passedOver.reason === 'degraded' ? 'degraded' : route.unavailable(s.passedOver.from));
    }
    return plan;
  }

  /**
   * A plan's targets as the failover loop takes them. Each reads what to send from the
   * request's Exchange, so a shared plan's list serves every request.
   */
  function failoverList(plan: Plan): FailoverTarget<UpstreamResponse>[] {
    return plan.targets.map((t, i) => {
      const u = t.upstream;
      return {
        key: u.provider.key,
        ...(u.skip && { skip: u.skip }),
        run: (c: PolicyContext) => {
          const ex = exchangeOf(c);
          ex.last = i;
          let sent = ex.upstream!;
          if (t.body !== undefined) {
            const body = t.body();
            sent = { ...sent, ...(body && { body }) };
          }
          return u.pipeline.execute((a) => transport.send(u.provider, a.signal ? { ...sent, signal: a.signal } : sent), c);
        },
      };
    });
  }

  /**
   * The route bulkhead, then failover over the tier's targets (the request's routed order, or
   * the tier's own list); the answer's cost is counted, and a good GET answer is remembered
   * for a cache tier.
   */
  async function callUpstreams(route: CompiledRoute, tier: UpstreamTier, ctx: PolicyContext): Promise<Answer> {
    const ex = exchangeOf(ctx);
    const req = ex.req;
    const plan = tier.routed ? (ex.plan ??= routePlan(route, ex)) : listPlan(route, tier.list, ex);
    if (plan.targets.length === 0) {
      // Those left out as unavailable: their breakers say when it is worth asking again.
      const down = plan.selection
        ? plan.selection.excluded.filter((x) => x.reason === 'unavailable').map((x) => x.key)
        : (plan.llm?.excluded.filter((x) => x.reason === 'unavailable').map((x) => route.config.llm!.registry.models.get(x.id)!.provider) ?? []);
      throw new NoUpstreamError(plan.refusal ?? { error: 'no_upstream', message: 'no upstream to call' }, down);
    }
    ex.upstream = { method: req.method, path: req.path, headers: forwardHeaders(req.headers), ...(req.body && { body: req.body }) };
    const list = plan.shared ? (plan.shared.list ??= failoverList(plan)) : failoverList(plan);
    // The route bulkhead as a gate: a free slot is taken here, without an async frame of its
    // own; a call that would queue goes through its `execute`.
    const bulkhead = route.bulkhead;
    let result: FailoverResult<UpstreamResponse>;
    if (bulkhead === undefined) result = await route.failover.execute(list, ctx);
    else if (bulkhead.enter(ctx) === DEFER) result = await bulkhead.execute((c) => route.failover.execute(list, c), ctx);
    else {
      try {
        result = await route.failover.execute(list, ctx);
      } finally {
        bulkhead.returned();
      }
    }
    const { value, key } = result;
    const ok = value.status >= 200 && value.status < 300;
    if (route.cache && ok) {
      const k = cacheKey(ctx);
      if (k !== undefined) route.cache.store(k, value);
    }
    const headers = responseHeaders(value.headers);
    const model = plan.targets[ex.last]?.model;
    if (model && plan.llm) {
      headers[MODEL_HEADER] = model.id;
      metrics.llmAnswer(route.label, plan.llm.class, model.id);
      if (ok) {
        // Tokens as the provider reports them, else as estimated before the call.
        const usage = usageOf(value.body) ?? plan.estimate ?? { input: 0, output: 0 };
        const cost = usageCost(model, usage);
        const baseline = plan.ideal ? usageCost(plan.ideal, usage) : cost;
        metrics.cost(key, route.config.llm!.registry.currency, cost, Math.max(0, cost - baseline));
      }
    } else if (plan.selection && ok) {
      const impact = costImpact(plan.selection, key);
      if (impact) metrics.cost(key, plan.selection.currency ?? 'unknown', impact.cost, impact.extra);
    }
    return { status: value.status, headers, body: value.body, provider: key };
  }

  /** The first route whose `match` takes `pathname` (normalised, without its query). */
  function routeFor(pathname: string): CompiledRoute | undefined {
    for (const r of routes) if (r.test(pathname)) return r;
    return undefined;
  }

  /** The body limit for a request to `target` (as received): its route's, else the router's. */
  function bodyLimit(target: string): number {
    const n = normalisePath(target);
    if (!n.ok) return defaultBodyLimit;
    const q = n.path.indexOf('?');
    return routeFor(q < 0 ? n.path : n.path.slice(0, q))?.maxBody ?? defaultBodyLimit;
  }

  async function handle(req: RouterRequest): Promise<RouterResponse> {
    const started = clock.now();
    let q = req.path.indexOf('?');
    let pathname = q < 0 ? req.path : req.path.slice(0, q);
    // Matched and forwarded as normalised (path.ts): the upstream sees the path the route was
    // chosen for. An already-normal path (nearly all) costs one test and no copy.
    if (!isNormalPath(pathname)) {
      const normalised = normalisePath(req.path);
      if (!normalised.ok) {
        metrics.request('none', 'none', 'bad_request', 0);
        return json(400, { error: 'bad_path', message: normalised.message });
      }
      req = { ...req, path: normalised.path };
      q = req.path.indexOf('?');
      pathname = q < 0 ? req.path : req.path.slice(0, q);
    }
    const route = routeFor(pathname);
    if (!route) {
      // The router-wide limit covers requests no route takes too: probing for paths is traffic.
      const wait = globalLimiter?.take(clientAddress(req.remoteAddress, req.headers['x-forwarded-for'], trusted)) ?? 0;
      if (wait > 0) {
        metrics.limited('none', 'global');
        metrics.request('none', 'none', 'rate_limited', 0);
        const res = json(429, { error: 'rate_limited', message: 'too many requests' });
        res.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
        return res;
      }
      metrics.request('none', 'none', 'no_route', 0);
      return json(404, {
        error: 'no_route',
        message: `no route matches ${req.method} ${pathname}`,
        routes: routes.map((r) => r.config.match),
      });
    }

    let outcome: RequestOutcome = 'success';
    let answeredBy = 'none';
    let status = 0;
    const ex = new Exchange(req, trusted, route.config.select?.sources);
    try {
      // A body over the route's limit is refused before anything else (server.ts refuses it before reading it whole).
      if (req.body !== undefined && req.body.byteLength > route.maxBody) {
        outcome = 'too_large';
        status = 413;
        return json(413, { error: 'request_too_large', message: `the request body is over this route's limit of ${route.maxBody} bytes`, route: route.label, limit: route.maxBody });
      }
      // Rate limits first: they are the cheapest refusal and the one a flood must hit.
      if (globalLimiter || route.rateLimit) {
        const who = ex.client();
        const refused = overLimit(route, globalLimiter, 'global', who) ?? overLimit(route, route.rateLimit, 'route', who);
        if (refused) {
          outcome = 'rate_limited';
          status = refused.status;
          return refused;
        }
      }
      // Authentication before any work for the request, and before any upstream sees it.
      if (route.auth) {
        const a = await route.auth.authenticate(req.headers);
        if (!a.ok) {
          outcome = 'unauthorized';
          metrics.authRejected(route.label, a.reason);
          const res = json(a.status, { error: a.reason, message: a.message, route: route.label });
          res.headers['www-authenticate'] = a.wwwAuthenticate;
          status = res.status;
          return res;
        }
      }
      const ctx: PolicyContext = { method: req.method, request: ex };
      if (req.signal) ctx.signal = req.signal;
      if (shedder) {
        const header = priorityHeader === undefined ? undefined : req.headers[priorityHeader];
        const asked = Array.isArray(header) ? header[0] : header;
        const fromProxy = asked !== undefined && req.remoteAddress !== undefined && trusted.has(normaliseAddress(req.remoteAddress));
        ctx.priority = shedder.requested(asked, route.config.priority, fromProxy);
      }
      // The shedder is entered and left here, as a gate, rather than wrapped around the rest
      // in an async frame of its own (see Gate).
      shedder?.enter(ctx);
      let a: Answer;
      try {
        // Past the shedder: the request will be served, so it takes an arm and an order now.
        if (route.canary) ex.arm = route.canary.canary.assign(stickyKey({ headers: req.headers, ip: ex.client() }, route.canary.stickyHeader), ex.attributes().region);
        if (route.config.select || route.config.llm) ex.plan = routePlan(route, ex);
        a = await answer(route, ctx);
      } finally {
        shedder?.returned();
      }
      answeredBy = a.provider;
      if (a.headers[FALLBACK_HEADER] !== undefined) outcome = 'fallback';
      a.headers[PROVIDER_HEADER] = a.provider;
      if (ex.arm) a.headers[ARM_HEADER] = ex.arm;
      status = a.status;
      return { status: a.status, headers: a.headers, body: a.body };
    } catch (err) {
      const { res, outcome: o } = failure(route, req, err);
      outcome = o;
      if (ex.arm) res.headers[ARM_HEADER] = ex.arm;
      status = res.status;
      return res;
    } finally {
      const seconds = (clock.now() - started) / 1000;
      metrics.request(route.label, answeredBy, outcome, seconds);
      // The canary judges how requests on each arm ended; refusals that say nothing about the version are left out.
      if (ex.arm && route.canary && JUDGED.has(outcome)) {
        const ok = answeredBy !== 'none' && status < 500;
        route.canary.canary.record(ex.arm, { ok, latency: seconds * 1000 });
        metrics.canaryRequest(route.label, ex.arm, ok ? 'success' : 'error');
      }
    }
  }

  /** A 429 with Retry-After when `limiter` refuses `who` now; undefined when it admits (or there is none). */
  function overLimit(route: CompiledRoute, limiter: RateLimiter | undefined, scope: 'global' | 'route', who: string): RouterResponse | undefined {
    const wait = limiter?.take(who) ?? 0;
    if (wait <= 0) return undefined;
    metrics.limited(route.label, scope);
    const res = json(429, { error: 'rate_limited', message: `too many requests from ${who}`, route: route.label });
    res.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
    return res;
  }

  /** The route's answer: its fallback chain, or its upstreams under its deadline. */
  function answer(route: CompiledRoute, ctx: PolicyContext): Promise<Answer> {
    // Not async: the promise underneath is handed on, not awaited and wrapped again.
    if (route.chain) return fallbackAnswer(route.chain, ctx);
    if (route.deadline) return route.deadline.execute((c) => callUpstreams(route, route.primary, c), ctx);
    return callUpstreams(route, route.primary, ctx);
  }

  async function fallbackAnswer(chain: FallbackChain<Answer>, ctx: PolicyContext): Promise<Answer> {
    const r = await chain.execute(ctx);
    if (r.index > 0) r.value.headers[FALLBACK_HEADER] = r.tier;
    return r.value;
  }

  /** An error as the router's own answer, and its outcome label. */
  function failure(route: CompiledRoute, req: RouterRequest, err: unknown): { res: RouterResponse; outcome: RequestOutcome } {
    // A fallback chain that found no answer fails for the reason its first tier did.
    if (isFallbackExhaustedError(err)) {
      if (err.deadlineExceeded) return deadlineAnswer(route, err.message);
      const first = err.missed.find((m) => m.error !== undefined);
      if (first) return failure(route, req, first.error);
      return {
        res: json(502, { error: 'no_answer', message: err.message, route: route.label, tiers: err.missed.map((m) => ({ tier: m.tier, reason: m.reason })) }),
        outcome: 'failure',
      };
    }
    if (req.signal?.aborted || isCallerAbortedError(err)) {
      // 499, nginx's "client closed request": nobody reads it, but logs and tests can.
      return { res: json(499, { error: 'client_closed_request', message: 'the client went away before an answer' }), outcome: 'aborted' };
    }
    if (isDeadlineExceededError(err)) return deadlineAnswer(route, err.message);
    if (isLoadShedError(err)) {
      const res = json(503, { error: 'overloaded', message: err.message, priority: err.priority, route: route.label });
      res.headers['retry-after'] = '1';
      return { res, outcome: 'shed' };
    }
    if (isBulkheadRejectedError(err)) {
      const res = json(503, { error: 'bulkhead_full', message: err.message, route: route.label });
      res.headers['retry-after'] = '1';
      return { res, outcome: 'rejected' };
    }
    if (err instanceof NoUpstreamError) {
      const r = err.refusal;
      const res = json(503, { error: r.error, message: r.message, route: route.label, ...(r.region !== undefined && { region: r.region }), ...(r.class !== undefined && { class: r.class }) });
      // Waiting helps only when the providers are down, not when none may serve the client.
      if (r.error !== 'no_compliant_provider') {
        const retryAt = Math.min(...err.candidates.map((k) => route.byKey.get(k)?.breaker?.retryAt() ?? Infinity));
        res.headers['retry-after'] = String(Number.isFinite(retryAt) ? Math.max(1, Math.ceil((retryAt - clock.now()) / 1000)) : 1);
      }
      return { res, outcome: 'rejected' };
    }
    if (isAllTargetsFailedError(err)) {
      if (err.noneCalled) {
        const retryAt = Math.min(...err.attempts.map((a) => route.byKey.get(a.key)?.breaker?.retryAt() ?? Infinity));
        const res = json(503, { error: err.allBreakersOpen ? 'circuit_open' : 'upstreams_unavailable', message: err.message, route: route.label, attempts: err.attempts });
        res.headers['retry-after'] = String(Number.isFinite(retryAt) ? Math.max(1, Math.ceil((retryAt - clock.now()) / 1000)) : 1);
        return { res, outcome: 'rejected' };
      }
      return { res: json(502, { error: 'upstreams_failed', message: err.message, route: route.label, attempts: err.attempts }), outcome: 'failure' };
    }
    return { res: json(502, { error: 'upstream_error', message: err instanceof Error ? err.message : String(err), route: route.label }), outcome: 'failure' };
  }

  function deadlineAnswer(route: CompiledRoute, message: string): { res: RouterResponse; outcome: RequestOutcome } {
    return { res: json(504, { error: 'deadline_exceeded', message, route: route.label, deadlineMs: route.config.deadline }), outcome: 'deadline_exceeded' };
  }

  return {
    handle,
    bodyLimit,
    metrics,
    providers,
    breakers,
    policies: { bulkheads, routeBulkheads, throttles, outliers, budgets, rateLimiters, queues, shedder, canaries },
    async close() {
      for (const off of unsubscribe) off();
      for (const dispose of disposers) dispose();
      await transport.close();
    },
  };
}

/**
 * Counts each call to a provider by how it ended (`upstream_attempts_total`): its status, or
 * why no answer came. It sits just outside the per-attempt timeout, so timeouts count; as a
 * gate it runs in the pipeline's fused level, at no promise of its own.
 */
class AttemptCounter extends Watcher {
  readonly #metrics: RouterMetrics;
  readonly #key: string;

  constructor(metrics: RouterMetrics, key: string) {
    super();
    this.#metrics = metrics;
    this.#key = key;
  }

  returned(_ticket: number, _started: number, value: unknown): void {
    this.#metrics.attempt(this.#key, (value as UpstreamResponse).status);
  }

  threw(_ticket: number, _started: number, _ctx: PolicyContext, error: unknown): void {
    this.#metrics.attempt(this.#key, isTimeoutError(error) ? 'timeout' : isNetworkError(error) ? 'network' : isDeadlineExceededError(error) ? 'deadline' : 'aborted');
  }
}

/** Outcomes a canary judges its arm by: the rest (shed, rate limited, the client gone) say nothing about the version. */
const JUDGED: ReadonlySet<RequestOutcome> = new Set(['success', 'failure', 'rejected', 'deadline_exceeded', 'fallback']);

/** Routing left nobody to call: no compliant provider, none available, no model. */
class NoUpstreamError extends Error {
  override readonly name = 'NoUpstreamError';
  readonly refusal: NonNullable<Plan['refusal']>;
  /** The keys left out as unavailable (their breakers say when to retry). */
  readonly candidates: readonly string[];
  constructor(refusal: NonNullable<Plan['refusal']>, candidates: readonly string[]) {
    super(refusal.message);
    this.refusal = refusal;
    this.candidates = candidates;
  }
}

/**
 * `/joke` matches exactly; `*` matches one path segment; a trailing `/**` matches the
 * path itself and anything below it (`/weather/**` takes `/weather` and `/weather/oslo`).
 */
export function compileMatch(pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return (path) => path === pattern;
  let source = '';
  const parts = pattern.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '**' && i === parts.length - 1) source += '(?:/.*)?';
    else if (part === '**') source += '(?:/[^/]+)*';
    else source += '/' + part.split('*').map(escapeRegExp).join('[^/]+');
  }
  const re = new RegExp(`^${source}$`);
  return (path) => re.test(path);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// RFC 9110 §7.6.1: connection-specific fields are not forwarded; content-length is
// recomputed from the body actually sent. `expect` too: the router met a `100-continue`
// itself (server.ts) and sends the upstream a body it already holds (undici refuses the
// header outright, which made it a 502 of the router's own).
const HOP_BY_HOP = new Set([
  'expect',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

function forwardHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) {
    const v = headers[key];
    if (v !== undefined && !HOP_BY_HOP.has(key)) out[key] = v;
  }
  return out;
}

function responseHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key in headers) if (!HOP_BY_HOP.has(key)) out[key] = headers[key]!;
  return out;
}

const encoder = new TextEncoder();

function json(status: number, body: unknown): RouterResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', [PROVIDER_HEADER]: 'none' },
    body: encoder.encode(JSON.stringify(body)),
  };
}
