/**
 * Building a router: from its config, every stateful policy and every compiled route, once,
 * into a RouterState that requests are then handled against (handle.ts). Nothing here runs
 * per request, so a state can be built and looked at without one.
 *
 * Scopes of the policies on a call's path (the order they run in is handle.ts's):
 *
 * - retry is per route and provider (its metric names both); its budget is the route's,
 *   shared by the route's upstreams;
 * - breaker, provider bulkhead and adaptive throttle are per provider key, shared by every
 *   route that calls the provider, since a provider's health and capacity are not a
 *   property of the route;
 * - outlier detection is per route (it ejects at most a share of the route's upstreams);
 * - the timeout is per attempt, the deadline per request, one shared timer each per route.
 *
 * Each provider a route can reach (its upstreams, its canary's, its fallback tiers' and its
 * LLM chains') gets its pipeline `retry(+budget) → adaptive throttle → provider bulkhead →
 * breaker → outlier detection → [count attempt] → timeout`, built here; the metrics every
 * configured policy can emit are zeroed here too, so a series exists before its first event.
 */
import type { Clock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { conditionSet } from './conditions.ts';
import { DEFAULT_MAX_REQUEST_BODY, type FallbackTierConfig, type RetryBudgetConfig, type RouteConfig, type RouterConfig } from './config.ts';
import { json, responseHeaders, type RouterRequest } from './messages.ts';
import type { RouterMetrics } from './metrics.ts';
import { compileMatch } from './path.ts';
import { CircuitBreaker } from './policies/breaker.ts';
import { ConcurrencyRetryBudget, RetryQuota, TokenRetryBudget, type RetryBudget } from './policies/budget.ts';
import { Bulkhead } from './policies/bulkhead.ts';
import { TrustedProxies } from './policies/client-address.ts';
import { wrap } from './policies/compose.ts';
import { isDeadlineExceededError, isNetworkError, isTimeoutError } from './policies/errors.ts';
import { FailoverPolicy, type FailoverReason, type FailoverTarget } from './policies/failover.ts';
import { FallbackChain, LastGoodCache, ManualQueue, type FallbackTier } from './policies/fallback.ts';
import { Watcher } from './policies/gate.ts';
import { OutlierDetector } from './policies/outlier.ts';
import { noop, type Policy, type PolicyContext } from './policies/policy.ts';
import { RateLimiter } from './policies/ratelimit.ts';
import { parseRetryAfter, RetryPolicy } from './policies/retry.ts';
import { LoadShedder } from './policies/shedding.ts';
import { AdaptiveThrottle } from './policies/throttle.ts';
import { DeadlinePolicy, TimeoutPolicy } from './policies/timeout.ts';
import { ProviderRegistry, type Provider } from './providers.ts';
import { AUTH_FAILURES, buildJwtAuth, type JwtAuth } from './routing/auth.ts';
import { Canary } from './routing/canary.ts';
import type { LlmChainEntry, LlmModel, LlmPlan } from './routing/llm.ts';
import { breakerHealth, type HealthOf, type ProviderSelector, type Selection } from './routing/select.ts';
import type { Transport, UpstreamResponse } from './transport.ts';

/** What a router is built from: RouterOptions with its defaults filled in (router.ts). */
export interface RouterInputs {
  config: RouterConfig;
  transport: Transport;
  /** Provider key (or bare name, for all its regions) → base URL, overriding the config's. */
  upstreams?: Record<string, string> | undefined;
  clock: Clock;
  /** Jitter draws; the policies that draw more get streams split off it, in build order. */
  rng: Rng;
  metrics: RouterMetrics;
}

/**
 * A built router: what every request is handled against. The maps hold the stateful
 * policies by scope (router.ts shows them as RouterPolicies); `routes` are in match order.
 */
export interface RouterState {
  readonly config: RouterConfig;
  readonly clock: Clock;
  readonly metrics: RouterMetrics;
  readonly transport: Transport;
  readonly providers: ProviderRegistry;
  readonly trusted: TrustedProxies;
  readonly routes: readonly CompiledRoute[];
  /** Body limit of a request no route takes, and of routes that set none. */
  readonly defaultBodyLimit: number;
  readonly globalLimiter: RateLimiter | undefined;
  readonly shedder: LoadShedder | undefined;
  /** The header a trusted proxy may name a request's priority in. */
  readonly priorityHeader: string | undefined;
  /** By provider key. */
  readonly breakers: Map<string, CircuitBreaker>;
  /** By provider key. */
  readonly bulkheads: Map<string, Bulkhead>;
  /** By provider key. */
  readonly throttles: Map<string, AdaptiveThrottle<UpstreamResponse>>;
  /** By route label. */
  readonly routeBulkheads: Map<string, Bulkhead>;
  /** By route label. */
  readonly outliers: Map<string, OutlierDetector>;
  /** By route label. */
  readonly budgets: Map<string, RetryBudget>;
  /** `global`, or a route label. */
  readonly rateLimiters: Map<string, RateLimiter>;
  /** By route label. */
  readonly queues: Map<string, ManualQueue<{ method: string; path: string; body?: Uint8Array }>>;
  /** By route label. */
  readonly canaries: Map<string, Canary>;
  /** Stop the metrics watching breakers and canaries; run first on close. */
  readonly unsubscribe: Array<() => void>;
  /** Stop the policies' timers. */
  readonly disposers: Array<() => void>;
}

/**
 * How a tier of upstreams answers a request: the handling's (handle.ts `callUpstreams`),
 * handed to the build so that a route's fallback chain can be made with the rest of it.
 */
export type CallUpstreams = (state: RouterState, route: CompiledRoute, tier: UpstreamTier, ctx: PolicyContext) => Promise<Answer>;

/** What rides in `PolicyContext.request` on a route (handle.ts's Exchange): the request, for the local tiers. */
export interface Carried {
  readonly req: RouterRequest;
}

/** What a tier of a route's fallback chain answers with. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** Who answered: a provider key, or `none`. */
  provider: string;
}

export interface CompiledUpstream {
  provider: Provider;
  pipeline: Policy;
  breaker: CircuitBreaker | undefined;
  skip: (() => FailoverReason | undefined) | undefined;
}

/** One failover target of a request: a provider's pipeline, with the body to send it (an LLM model's). */
export interface Target {
  upstream: CompiledUpstream;
  /** The body for this target, made when it is first called (an LLM model's rewrite). */
  body?: () => Uint8Array | undefined;
  model?: LlmChainEntry;
}

/** Who may serve one request, in order; empty with `refusal` when nobody may. */
export interface Plan {
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

/** A list of upstreams a tier calls: `routed` takes the request's plan instead. */
export interface UpstreamTier {
  routed: boolean;
  list: CompiledUpstream[];
}

export interface CompiledRoute {
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
 * Builds every policy and route of `inputs.config`. Construction order is part of the
 * behaviour: the policies that draw split their streams off `inputs.rng` in this order.
 */
export function buildRouterState(inputs: RouterInputs, callTier: CallUpstreams): RouterState {
  const { config, clock, rng, metrics } = inputs;
  // Policies that draw (throttle, queue tickets) get streams of their own, made only when
  // configured, so adding one does not shift the jitter draws of a config without it.
  const childRng = () => seededRng(Math.floor(rng.next() * 0x7fff_ffff));
  const providers = new ProviderRegistry(
    config.providers.map(({ key, name, region, url }) => ({ key, name, url, ...(region !== undefined && { region }) })),
    inputs.upstreams,
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

  function makeTier(route: CompiledRoute, t: FallbackTierConfig): FallbackTier<Answer> {
    switch (t.tier) {
      case 'upstreams': {
        const tier: UpstreamTier = { routed: t.routed, list: t.upstreams.map((k) => route.byKey.get(k)!) };
        return { name: t.name, local: false, run: (ctx) => callTier(state, route, tier, ctx) };
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

  const state: RouterState = {
    config,
    clock,
    metrics,
    transport: inputs.transport,
    providers,
    trusted,
    routes,
    defaultBodyLimit,
    globalLimiter,
    shedder,
    priorityHeader,
    breakers,
    bulkheads,
    throttles,
    routeBulkheads,
    outliers,
    budgets,
    rateLimiters,
    queues,
    canaries,
    unsubscribe,
    disposers,
  };
  return state;
}

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

/** Tiers get only the PolicyContext; the request rides along in it, with its routing. */
const requestOf = (ctx: PolicyContext): RouterRequest => (ctx.request as Carried).req;

/** The last-good cache's key for a request: GET and HEAD only. */
export const cacheKey = (ctx: PolicyContext): string | undefined => {
  const req = requestOf(ctx);
  return req.method === 'GET' || req.method === 'HEAD' ? `${req.method} ${req.path}` : undefined;
};

const encoder = new TextEncoder();

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
