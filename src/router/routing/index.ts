/**
 * # Routing: which upstreams a request may reach, in which order
 *
 * Pure modules the router calls per request, before `FailoverPolicy.execute`. Each decides
 * one thing and returns a value; none does I/O but the loaders (`loadJwtAuth`, `readJwtKeys`,
 * `loadLlmRegistry`), which run once, when the config is loaded.
 *
 * | module      | decides                                                        | config (route) |
 * |-------------|----------------------------------------------------------------|----------------|
 * | `auth.ts`   | whether the caller may use the route (JWT, jose)               | `auth.jwt`     |
 * | `canary.ts` | which version (upstream list) a client gets; rolls back itself | `canary`       |
 * | `llm.ts`    | which model chain (provider + model) serves a prompt           | `llm.registry` |
 * | `select.ts` | which providers may serve the client's region, in cost order   | `select`       |
 * | `schema.ts` | the TypeBox fragments and their compile steps                  |                |
 *
 * ## Where it is wired
 *
 * - **config.ts** splices the four fragments into `RouteSchema` and compiles them with the
 *   compile steps below, reporting every problem at its line. It also reads what they name,
 *   relative to the config file (`ConfigFiles`): the LLM registry (`parseLlmRegistry`, its
 *   issues at the registry's own lines) and the JWT keys (`readJwtKeys`; `publicKeyJwk`
 *   checks each PEM is a public key for its algorithm). It refuses `llm` with `select` or
 *   `canary` on one route, requires every provider an LLM chain reaches among the route's
 *   upstreams, and gives the route's `breaker` to the canary's upstreams too.
 * - **router.ts** builds, per route, one pipeline for every provider its upstreams, canary,
 *   fallback tiers and LLM chains can name; a `Canary` (`router.policies.canaries`); a
 *   verifier (`buildJwtAuth`, synchronous); `ProviderSelector`s per upstream list; and a
 *   health function: `breakerHealth(breaker, select.degradedAt)`, unavailable while
 *   outlier detection ejects the provider.
 *
 * ## Per request, in this order
 *
 * 1. **Match** the route; rate limits.
 * 2. **Authenticate**: `jwt.authenticate(req.headers)`; refused → `a.status` (401) with
 *    `www-authenticate` and `{error: a.reason, message}`; no upstream is called;
 *    `auth_rejections_total{route, reason}`.
 * 3. Load shedding; then the **canary arm**: `canary.assign(stickyKey(req, stickyBy), region)`,
 *    the client being its address after trusted proxies and the region `select.region`'s
 *    (or `x-region`). When the request ends, `canary.record(arm, {ok, latency})`, `ok` being
 *    "a provider answered below 500"; `canary_requests_total`, `canary_state`.
 * 4. **Order the arm's upstreams** — one of:
 *    - `select`: `selector.select(requestAttributes(req, select.sources), health)`; an empty
 *      order → **503** `{error: s.reason}` (`no_compliant_provider`, `no_available_provider`),
 *      never the unfiltered list; `routing_decisions_total{route, provider, reason}`, and
 *      `failover_invocations_total{from, to, reason}` when the cheapest is passed over
 *      (`breaker_open`, `ejected` or `degraded`).
 *    - `llm`: `planLlm(registry, llmRequest(req), health, unhealthy)`; empty → 503
 *      `no_available_model`. One target per entry: provider `e.provider`, body
 *      `withModel(req.body, e.model)`. `routing_decisions_total{reason: p.rule}`.
 *    - neither: the arm's list as configured.
 *    A fallback tier without its own `upstreams` takes this order; one with its own list is
 *    ordered (and filtered by compliance) the same way.
 * 5. **Failover** over the targets (`FailoverPolicy`, unchanged: open breakers and ejected
 *    providers skipped, each counted).
 * 6. **Cost**: a 2xx answer from `key` adds `costImpact(s, key)` to
 *    `provider_cost_total{provider, currency}` and its `extra` to `provider_cost_extra_total`;
 *    an LLM answer its `usage` (else the estimate) at the model's prices, the extra being
 *    above the class's first model.
 *
 * Invariants the tests hold these modules to: a request is never sent to a provider not
 * allowed for its region, under any health map or fault pattern (select.test.ts, property);
 * a client always gets the same arm, the canary share sits in its binomial interval, a
 * rollback needs `minSamples` and a breach, and no client reaches the canary after it
 * (canary.test.ts); every JWT rejection is a typed 401 and nothing a client sends makes
 * `authenticate` throw (auth.test.ts); a class with `minTier` never gets a weaker model
 * (llm.test.ts).
 */
export { AUTH_FAILURES, buildJwtAuth, createJwtAuth, JWT_ALGORITHMS, jwtOptionProblems, loadJwtAuth, loadJwtKeys, publicKeyJwk, readJwtKeys } from './auth.ts';
export type { AuthFailure, AuthResult, JwtAlgorithm, JwtAuth, JwtAuthConfig, JwtAuthOptions, JwtKeys, JwtKeySources } from './auth.ts';
export { Canary, canaryOptionProblems, stickyKey, stickyPoint } from './canary.ts';
export type { ArmStats, CanaryArm, CanaryOptions, CanaryOutcome, CanaryState, CanaryTransition, RollbackRule } from './canary.ts';
export { classify, compileLlmRegistry, estimateTokens, llmRequest, LLM_TIERS, LlmRegistrySchema, loadLlmRegistry, parseLlmRegistry, planLlm, usageCost, usageOf, withModel } from './llm.ts';
export type { LlmChainEntry, LlmClass, LlmCondition, LlmModel, LlmPlan, LlmRegistry, LlmRegistryFile, LlmRequest, LlmRule, LlmTier } from './llm.ts';
export {
  AuthSchema,
  buildSelectOptions,
  CanarySchema,
  compileAuth,
  compileCanary,
  compileLlmRoute,
  compileRouteAuth,
  compileRouteLlm,
  compileSelect,
  LlmRouteSchema,
  SelectSchema,
} from './schema.ts';
export type { AuthConfig, AuthFile, CanaryConfig, CanaryFile, LlmRouteConfig, LlmRouteFile, RouteAuthConfig, RouteLlmConfig, SelectConfig, SelectFile } from './schema.ts';
export type { Issue } from '../schema-kit.ts';
export { breakerHealth, costImpact, feeFor, healthFromBreakers, patternMatches, ProviderSelector, requestAttributes } from './select.ts';
export type {
  AttributeSources,
  BreakerLike,
  Candidate,
  Compliance,
  DecisionReason,
  Fee,
  Health,
  HealthOf,
  Placement,
  Ranked,
  SelectOptions,
  Selection,
  SelectRequest,
} from './select.ts';
