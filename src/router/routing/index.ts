/**
 * # Routing: which upstreams a request may reach, in which order
 *
 * Pure modules the router calls per request, before `FailoverPolicy.execute`. Each decides
 * one thing and returns a value; none does I/O except the two loaders (`loadJwtAuth`,
 * `loadLlmRegistry`), which the router runs once at start.
 *
 * | module      | decides                                                        | config (route) |
 * |-------------|----------------------------------------------------------------|----------------|
 * | `auth.ts`   | whether the caller may use the route (JWT, jose)               | `auth.jwt`     |
 * | `canary.ts` | which version (upstream list) a client gets; rolls back itself | `canary`       |
 * | `llm.ts`    | which model chain (provider + model) serves a prompt           | `llm.registry` |
 * | `select.ts` | which providers may serve the client's region, in cost order   | `select`       |
 * | `schema.ts` | the TypeBox fragments and their compile steps                  |                |
 *
 * ## Wiring (once, at router start)
 *
 * ```ts
 * // config.ts, RouteSchema:  select: Type.Optional(SelectSchema), canary: Type.Optional(CanarySchema),
 * //                          auth: Type.Optional(AuthSchema), llm: Type.Optional(LlmRouteSchema)
 * // compileRouterConfig, per route (issue is its reporter):
 * const canary = r.canary && compileCanary(r.canary, [...providers.keys()], upstreams, [...at, 'canary'], issue);
 * const select = r.select && compileSelect(r.select, [...upstreams, ...(canary?.upstreams ?? [])], [...at, 'select'], issue);
 * const auth = r.auth && compileAuth(r.auth, [...at, 'auth'], issue);
 * const llm = r.llm && compileLlmRoute(r.llm);          // `llm` and `select` are alternatives: refuse both on one route
 *
 * // createRouter, per route:
 * const health = healthFromBreakers(breakers);            // outlier ejection can be folded in here
 * const selectors = select && { baseline: new ProviderSelector(buildSelectOptions(select, upstreams)),
 *                               canary: canary && new ProviderSelector(buildSelectOptions(select, canary.upstreams)) };
 * const arms = canary && new Canary(canary.options, clock);
 * const jwt = auth && (await loadJwtAuth(auth.jwt, dirname(configFile), clock));      // { ok, auth } | { ok: false, problems }
 * const registry = llm && (await loadLlmRegistry(resolve(dirname(configFile), llm.registry), [...providers.keys()]));
 * ```
 *
 * Every upstream a canary, selector or LLM chain can name must have its provider's
 * pipeline (retry → breaker → timeout) built, as the route's upstreams have now.
 *
 * ## Per request, in this order
 *
 * 1. **Match** the route (`compileMatch`, unchanged).
 * 2. **Authenticate**: `const a = await jwt.auth.authenticate(req.headers)`; if `!a.ok`, answer
 *    `a.status` (401) with `www-authenticate: a.wwwAuthenticate` and `{error: a.reason}`; no
 *    upstream is called. Count `auth_failures_total{route, reason}` if wanted.
 * 3. **Canary arm**: `const arm = arms.assign(stickyKey(req, canary.stickyHeader), region)`;
 *    the arm's upstream list is `canary.upstreams` or the route's. When the request ends,
 *    `arms.record(arm, { ok: status < 500 && answered, latency: ms })`; watch
 *    `arms.onTransition` for a `canary_state` gauge / a log line on rollback.
 * 4. **Order the upstreams** — one of:
 *    - `select`: `const s = selector.select(requestAttributes(req, select.sources), health)`.
 *      `s.order.length === 0` → answer **503** `{error: s.reason}` (`no_compliant_provider` or
 *      `no_available_provider`); never fall back to the unfiltered list. Else the targets are
 *      `s.order` in that order. Count `routing_decisions_total{route, provider: s.provider,
 *      reason: s.reason}`; if `s.passedOver`, count `failover_invocations_total{from, to,
 *      reason}` with it (the proactive failover, before any call).
 *    - `llm`: `const p = planLlm(registry, llmRequest(req), health, llm.unhealthy)`; empty
 *      chain → 503 `{error: 'no_available_model', class: p.class}`. One target per entry:
 *      provider `e.provider`, body `withModel(req.body, e.model)`; key it `e.provider` (for
 *      breakers and metrics). Count `routing_decisions_total{route, provider, reason: p.rule}`.
 *    - neither: the route's (or arm's) list as configured, as today.
 * 5. **Failover** over the targets (`FailoverPolicy`, unchanged): it still skips open
 *    breakers and records `failover_invocations_total` for each provider passed over.
 * 6. **Cost**: on an answer from `key`, `provider_cost_total{provider: key}` grows by
 *    `costImpact(s, key)?.cost` (payments: fee × amount), or for LLM routes by
 *    `usageCost(entry, usageOf(res.body) ?? estimate)`. `extra` (cost above the cheapest
 *    compliant provider) is what a failover cost; worth a `provider_cost_extra_total`.
 *
 * Invariants the tests hold these modules to: a request is never sent to a provider not
 * allowed for its region, under any health map or fault pattern (select.test.ts, property);
 * a client always gets the same arm, the canary share sits in its binomial interval, a
 * rollback needs `minSamples` and a breach, and no client reaches the canary after it
 * (canary.test.ts); every JWT rejection is a typed 401 and nothing a client sends makes
 * `authenticate` throw (auth.test.ts); a class with `minTier` never gets a weaker model
 * (llm.test.ts).
 */
export { createJwtAuth, JWT_ALGORITHMS, jwtOptionProblems, loadJwtAuth, loadJwtKeys } from './auth.ts';
export type { AuthFailure, AuthResult, JwtAlgorithm, JwtAuth, JwtAuthConfig, JwtAuthOptions, JwtKeys, JwtKeySources } from './auth.ts';
export { Canary, canaryOptionProblems, stickyKey, stickyPoint } from './canary.ts';
export type { ArmStats, CanaryArm, CanaryOptions, CanaryOutcome, CanaryState, CanaryTransition, RollbackRule } from './canary.ts';
export { classify, compileLlmRegistry, estimateTokens, llmRequest, LLM_TIERS, loadLlmRegistry, parseLlmRegistry, planLlm, usageCost, usageOf, withModel } from './llm.ts';
export type { LlmChainEntry, LlmClass, LlmCondition, LlmModel, LlmPlan, LlmRegistry, LlmRequest, LlmRule, LlmTier } from './llm.ts';
export {
  AuthSchema,
  buildSelectOptions,
  CanarySchema,
  compileAuth,
  compileCanary,
  compileLlmRoute,
  compileSelect,
  LlmRegistrySchema,
  LlmRouteSchema,
  SelectSchema,
} from './schema.ts';
export type { AuthConfig, AuthFile, CanaryConfig, CanaryFile, Issue, LlmRegistryFile, LlmRouteConfig, LlmRouteFile, SelectConfig, SelectFile } from './schema.ts';
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
