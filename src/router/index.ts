/**
 * faultline's reference router: resilience policies (timeout, retry with backoff and
 * jitter, circuit breaker, failover), a YAML config, and an HTTP server around them.
 *
 * @example
 *   import { loadRouterConfig, startRouter } from './router/index.ts';
 *   const loaded = await loadRouterConfig('fixtures/routers/weather.yaml');
 *   if (loaded.ok) await startRouter({ config: loaded.value, upstreams: { 'weather-primary': url } });
 */
export { compileRouterConfig, loadRouterConfig, parseRouterConfig, RouterConfigSchema } from './config.ts';
export type { BreakerConfig, ProviderConfig, RetryConfig, RouteConfig, RouterConfig, RouterFile } from './config.ts';
export { BREAKER_STATE_CODE, RouterMetrics } from './metrics.ts';
export type { RequestOutcome } from './metrics.ts';
export { backoff, backoffDelay, JITTERS } from './policies/backoff.ts';
export type { BackoffOptions, Jitter } from './policies/backoff.ts';
export { CircuitBreaker, REJECTED } from './policies/breaker.ts';
export type { BreakerOptions, BreakerState, BreakerTransition, Permit } from './policies/breaker.ts';
export * from './policies/errors.ts';
export { AllTargetsFailedError, FailoverPolicy, isAllTargetsFailedError } from './policies/failover.ts';
export type { FailoverAttempt, FailoverReason, FailoverResult, FailoverTarget } from './policies/failover.ts';
export { noop, wrap } from './policies/policy.ts';
export type { Policy, PolicyContext } from './policies/policy.ts';
export { isIdempotent, parseRetryAfter, RetryPolicy } from './policies/retry.ts';
export type { RetryEvent, RetryOptions } from './policies/retry.ts';
export { TimeoutPolicy } from './policies/timeout.ts';
export { ProviderRegistry } from './providers.ts';
export type { Provider } from './providers.ts';
export { createRouter, PROVIDER_HEADER } from './router.ts';
export type { Router, RouterOptions, RouterRequest, RouterResponse } from './router.ts';
export { startRouter } from './server.ts';
export type { RunningRouter, StartRouterOptions } from './server.ts';
export { mswTransport, undiciTransport } from './transport.ts';
export type { Transport, UpstreamRequest, UpstreamResponse } from './transport.ts';
