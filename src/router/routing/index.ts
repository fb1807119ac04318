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
 *
 * Each module ends with its config section: the TypeBox fragment of the route, the compiled
 * type and the compile step (file as written → runtime options, every semantic problem
 * reported at its path).
 *
 * ## A route using all four
 *
 * ```yaml
 * routes:
 *   - match: /payments/**
 *     upstreams: [stripe@eu, adyen@eu, stripe@us, adyen@us, braintree@us]
 *     select:                              # provider selection: compliance, then health, then cost
 *       by: cost                           # cost (cheapest healthy first) or order (as listed)
 *       region: { header: x-region, default: us }   # the client's region
 *       fees:                              # per provider name, or per key (adyen@eu) to differ by region
 *         stripe: { rate: 2.9%, fixed: 0.30 }
 *         adyen: 2.6%
 *         braintree: 3.4%
 *       lastResort: [braintree]            # dear but dependable: only after every cheaper compliant provider
 *       compliance:                        # client region → upstreams allowed to serve it
 *         eu: ["*@eu"]                     # an EU payment never leaves the EU endpoints, whatever fails
 *       unlisted: any                      # a region not listed (or unknown): any | deny
 *       unhealthy: last                    # unavailable providers: last (their breakers decide) | skip
 *       degradedAt: 20%                    # a closed breaker this far gone ranks its provider after the healthy (default off)
 *       amount: { header: x-amount, field: amount }        # defaults; `field` is a JSON body path
 *       currency: { header: x-currency, field: currency }
 *
 *   - match: /checkout/**
 *     upstreams: [checkout-v1]
 *     canary:
 *       upstreams: [checkout-v2]           # the new version
 *       weight: 10%                        # of clients, sticky per client
 *       seed: 7                            # a new seed reshuffles who is in the canary
 *       stickyBy: { header: x-client-id }  # default: the client's IP
 *       regions: [us-east]                 # only these client regions take part (optional); the region is
 *                                          # select.region's when the route has one, else the x-region header
 *       window: 30s                        # the SLO is judged over a sliding window
 *       minSamples: 50                     # no verdict before this many canary calls in it
 *       rollback:                          # any check breached → rolled back for good
 *         errorRate: 5%
 *         slowCall: { over: 500ms, rate: 10% }
 *         vsBaseline: 2%                   # canary error rate ≤ baseline's + 2 points
 *
 *   - match: /api/orders/**
 *     upstreams: [order-service]
 *     auth:
 *       jwt:
 *         algorithms: [RS256, ES256]       # the allow-list; `none` is never accepted
 *         jwks: ../keys/orders-jwks.json   # a local JWKS file (public keys), relative to this file
 *         publicKeys: [{ file: ../keys/orders-rs256.pem, alg: RS256, kid: k1 }]
 *         # secret: { env: ORDERS_JWT_SECRET }   # with HS256; never a public key (algorithm confusion)
 *         issuer: https://id.example.test
 *         audience: orders
 *         clockSkew: 30s
 *         requiredClaims: [exp, sub]       # default [exp]
 *
 *   - match: /v1/chat/completions
 *     upstreams: [openai, anthropic]       # every provider a chain reaches must be listed
 *     llm:
 *       registry: ../routing/llm-registry.yaml   # models, classification rules, chains
 *       unhealthy: last
 * ```
 *
 * `llm` excludes `select` and `canary` on the same route. The canary's upstreams get the
 * route's `breaker` as its upstreams do.
 *
 * ## Where it is wired
 *
 * - **config.ts** splices the four fragments into `RouteSchema` and compiles them with
 *   those compile steps, reporting every problem at its line. What they name outside the
 *   config is read by **load.ts**, relative to the config file (`ConfigFiles`), and handed
 *   in as `ConfigMaterial`: the LLM registry (`compileRouteLlm` → `parseLlmRegistry`, its
 *   issues at the registry's own lines) and the JWT keys (`compileRouteAuth` →
 *   `readJwtKeys`; `publicKeyJwk` checks each PEM is a public key for its algorithm). It
 *   refuses `llm` with `select` or `canary` on one route, requires every provider an LLM
 *   chain reaches among the route's upstreams, and gives the route's `breaker` to the
 *   canary's upstreams too.
 * - **build.ts** builds, per route, one pipeline for every provider its upstreams, canary,
 *   fallback tiers and LLM chains can name; a `Canary` (`router.policies.canaries`); a
 *   verifier (`buildJwtAuth`, synchronous); `ProviderSelector`s per upstream list; and a
 *   health function: `breakerHealth(breaker, select.degradedAt)`, unavailable while
 *   outlier detection ejects the provider.
 *
 * ## Per request, in this order (handle.ts, plan.ts)
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
export { AUTH_FAILURES, AuthSchema, buildJwtAuth, compileAuth, compileRouteAuth, createJwtAuth, JWT_ALGORITHMS, jwtOptionProblems, loadJwtAuth, loadJwtKeys, publicKeyJwk, readJwtKeys } from './auth.ts';
export type { AuthConfig, AuthFailure, AuthFile, AuthResult, JwtAlgorithm, JwtAuth, JwtAuthConfig, JwtAuthOptions, JwtKeys, JwtKeySources, RouteAuthConfig } from './auth.ts';
export { Canary, canaryOptionProblems, CanarySchema, compileCanary, stickyKey, stickyPoint } from './canary.ts';
export type { ArmStats, CanaryArm, CanaryConfig, CanaryFile, CanaryOptions, CanaryOutcome, CanaryState, CanaryTransition, RollbackRule } from './canary.ts';
export { classify, compileLlmRegistry, compileLlmRoute, compileRouteLlm, estimateTokens, llmRequest, LLM_TIERS, LlmRegistrySchema, LlmRouteSchema, loadLlmRegistry, parseLlmRegistry, planLlm, usageCost, usageOf, withModel } from './llm.ts';
export type { LlmChainEntry, LlmClass, LlmCondition, LlmModel, LlmPlan, LlmRegistry, LlmRegistryFile, LlmRequest, LlmRouteConfig, LlmRouteFile, LlmRule, LlmTier, RouteLlmConfig } from './llm.ts';
export { breakerHealth, buildSelectOptions, compileSelect, costImpact, feeFor, healthFromBreakers, patternMatches, ProviderSelector, requestAttributes, SelectSchema } from './select.ts';
export type { Issue } from '../schema-kit.ts';
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
  SelectConfig,
  SelectFile,
  SelectOptions,
  Selection,
  SelectRequest,
} from './select.ts';
