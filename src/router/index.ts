/**
 * faultline's reference router: resilience policies (timeout and deadline, retry with
 * backoff, jitter and a retry budget, circuit breaker, bulkhead, rate limit, load shedding,
 * adaptive throttling, outlier detection, failover, fallback chains), routing (provider
 * selection by compliance, health and cost; canaries; JWT; LLM routing), a YAML config, and
 * an HTTP server around them.
 *
 * @example
 *   import { loadRouterConfig, startRouter } from './router/index.ts';
 *   const loaded = await loadRouterConfig('fixtures/routers/weather.yaml');
 *   if (loaded.ok) await startRouter({ config: loaded.value, upstreams: { 'weather-primary': url } });
 */
export { compileRouterConfig, RouterConfigSchema } from './config.ts';
export type {
  BreakerConfig,
  ConfigMaterial,
  FallbackTierConfig,
  LoadSheddingConfig,
  OutlierConfig,
  ProviderConfig,
  RetryBudgetConfig,
  RetryConfig,
  RouteAuthConfig,
  RouteConfig,
  RouteLlmConfig,
  RouterConfig,
  RouterFile,
  ThrottleConfig,
} from './config.ts';
export { loadRouterConfig, localFiles, parseRouterConfig, readMaterial, ROUTER_PATH_RULES } from './load.ts';
export type { ConfigFiles, RouterLoadOptions } from './load.ts';
export { ARM_HEADER, FALLBACK_HEADER, MODEL_HEADER, PROVIDER_HEADER } from './messages.ts';
export type { RouterRequest, RouterResponse } from './messages.ts';
export { BREAKER_STATE_CODE, CANARY_STATE_CODE, RouterMetrics, routerMetricNames } from './metrics.ts';
export type { PassOverReason, RequestOutcome } from './metrics.ts';
export { backoff, backoffDelay, JITTERS } from './policies/backoff.ts';
export type { BackoffOptions, Jitter } from './policies/backoff.ts';
export { CircuitBreaker, openWait, REJECTED } from './policies/breaker.ts';
export type { BreakerBucket, BreakerMetrics, BreakerOptions, BreakerState, BreakerStateInput, BreakerTransition, CallOutcome, Permit } from './policies/breaker.ts';
export { AWS_RETRY_QUOTA, ConcurrencyRetryBudget, RetryQuota, TokenRetryBudget } from './policies/budget.ts';
export type { RetryBudget, RetryBudgetState, RetryCause } from './policies/budget.ts';
export { Bulkhead } from './policies/bulkhead.ts';
export type { BulkheadOptions, BulkheadState } from './policies/bulkhead.ts';
export { clientAddress, normaliseAddress, TrustedProxies } from './policies/client-address.ts';
export { FallbackChain, FallbackExhaustedError, isFallbackExhaustedError, LastGoodCache, ManualQueue } from './policies/fallback.ts';
export type { FallbackMiss, FallbackOptions, FallbackResult, FallbackTier } from './policies/fallback.ts';
export { ENVOY_OUTLIER_DEFAULTS, OutlierDetector } from './policies/outlier.ts';
export type { EjectionReason, HostState, OutlierOptions } from './policies/outlier.ts';
export { RateLimiter } from './policies/ratelimit.ts';
export type { RateLimitOptions } from './policies/ratelimit.ts';
export { CRITICALITIES, LoadShedder } from './policies/shedding.ts';
export type { LoadShedOptions, LoadShedState } from './policies/shedding.ts';
export { AdaptiveThrottle } from './policies/throttle.ts';
export type { AdaptiveThrottleOptions, AdaptiveThrottleState } from './policies/throttle.ts';
export { BucketWindow } from './policies/window.ts';
export * from './policies/errors.ts';
export { AllTargetsFailedError, FailoverPolicy, isAllTargetsFailedError, NOT_CALLED } from './policies/failover.ts';
export type { FailoverAttempt, FailoverReason, FailoverResult, FailoverTarget } from './policies/failover.ts';
export { wrap } from './policies/compose.ts';
export { noop } from './policies/policy.ts';
export type { Policy, PolicyContext } from './policies/policy.ts';
export { isIdempotent, parseRetryAfter, RetryPolicy } from './policies/retry.ts';
export type { RetryEvent, RetryOptions } from './policies/retry.ts';
export { DeadlinePolicy, TimeoutPolicy } from './policies/timeout.ts';
export { ProviderRegistry } from './providers.ts';
export type { Provider } from './providers.ts';
export { createRouter } from './router.ts';
export * from './routing/index.ts';
export type { Router, RouterOptions, RouterPolicies } from './router.ts';
export { startRouter } from './server.ts';
export type { RunningRouter, StartRouterOptions } from './server.ts';
export { mswTransport, undiciTransport } from './transport.ts';
export type { Transport, UpstreamRequest, UpstreamResponse } from './transport.ts';
