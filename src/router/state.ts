/**
 * The shape of a built router (build.ts makes it, handle.ts handles requests against it):
 * the inputs, the state with its stateful policies by scope, and the compiled routes with
 * their upstreams and pipelines. Types only, so the builders and the handler share them
 * without importing each other.
 */
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import type { RouteConfig, RouterConfig } from './config.ts';
import type { RouterRequest } from './messages.ts';
import type { RouterMetrics } from './metrics.ts';
import type { CircuitBreaker } from './policies/breaker.ts';
import type { RetryBudget } from './policies/budget.ts';
import type { Bulkhead } from './policies/bulkhead.ts';
import type { TrustedProxies } from './policies/client-address.ts';
import type { FailoverPolicy, FailoverReason, FailoverTarget } from './policies/failover.ts';
import type { FallbackChain, LastGoodCache, ManualQueue } from './policies/fallback.ts';
import type { OutlierDetector } from './policies/outlier.ts';
import type { Policy, PolicyContext } from './policies/policy.ts';
import type { RateLimiter } from './policies/ratelimit.ts';
import type { LoadShedder } from './policies/shedding.ts';
import type { AdaptiveThrottle } from './policies/throttle.ts';
import type { DeadlinePolicy } from './policies/timeout.ts';
import type { ProviderRegistry, Provider } from './providers.ts';
import type { JwtAuth } from './routing/auth.ts';
import type { Canary } from './routing/canary.ts';
import type { LlmChainEntry, LlmModel, LlmPlan } from './routing/llm.ts';
import type { HealthOf, ProviderSelector, Selection } from './routing/select.ts';
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
