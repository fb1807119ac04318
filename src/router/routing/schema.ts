/**
 * TypeBox schemas for the routing features of a route, to be spliced into `RouteSchema`
 * (`select`, `canary`, `auth`, `llm`), each with its compile step (file as written →
 * runtime options, every semantic problem reported through `issue` at its path), and the
 * schema of the LLM registry file.
 *
 * A route using all four:
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
 * @example
 *   // in config.ts's RouteSchema:   select: Type.Optional(SelectSchema), canary: Type.Optional(CanarySchema), ...
 *   // in compileRouterConfig, per route:
 *   const select = r.select ? compileSelect(r.select, [...upstreams, ...canaryUpstreams], [...at, 'select'], issue) : undefined;
 */
import Type from 'typebox';
import type { ConfigIssue } from '../../config/load.ts';
import { DURATION_PATTERN, parseDuration, parsePercent, PERCENT_PATTERN } from '../../core/units.ts';
import { counting, PROVIDER_NAME_PATTERN, UPSTREAM_PATTERN, type ConfigMaterial, type ConfigPath, type FileRead, type Issue } from '../schema-kit.ts';
import { JWT_ALGORITHMS, jwtOptionProblems, publicKeyJwk, readJwtKeys, type JwtAlgorithm, type JwtAuthConfig, type JwtAuthOptions, type JwtKeySources } from './auth.ts';
import { canaryOptionProblems, type CanaryOptions } from './canary.ts';
import { parseLlmRegistry, type LlmRegistry } from './llm.ts';
import { patternMatches, type AttributeSources, type Candidate, type Compliance, type Fee, type SelectOptions } from './select.ts';

/** `stripe@eu`, `stripe`, `*@eu`, `stripe@*`, `*`. */
const UPSTREAM_GLOB_PATTERN = '^(\\*|[a-z0-9][a-z0-9-]*)(@(\\*|[a-z0-9][a-z0-9-]*))?$';
const HEADER = '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$';

const duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, expected: 'a duration like 250ms or 5s', description });
const percent = (description: string) => Type.String({ pattern: PERCENT_PATTERN, expected: 'a percentage like 2.9%', description });
const headerName = (description: string) => Type.String({ pattern: HEADER, expected: 'an HTTP header name like x-region', description });
const upstream = (description: string) => Type.String({ pattern: UPSTREAM_PATTERN, expected: 'a provider name, or name@region', description });
const region = (description: string) => Type.String({ pattern: PROVIDER_NAME_PATTERN, expected: 'a region name: lower-case letters, digits and dashes', description });

// ---------------------------------------------------------------------------------------
// select

const FeeSchema = Type.Union(
  [
    percent('The fee as a share of the amount, e.g. 2.9%.'),
    Type.Object(
      {
        rate: percent('Share of the amount, e.g. 2.9%.'),
        fixed: Type.Optional(Type.Number({ minimum: 0, description: 'Per payment, in the currency unit, e.g. 0.30.' })),
      },
      { additionalProperties: false, description: 'A share of the amount plus a fixed part.' },
    ),
  ],
  { expected: 'a percentage like 2.9%, or { rate: 2.9%, fixed: 0.30 }', description: "A provider's fee per payment." },
);

const AttributeSourceSchema = (what: string, h: string, f: string) =>
  Type.Object(
    {
      header: Type.Optional(headerName(`Header carrying the ${what}. Default ${h}.`)),
      field: Type.Optional(Type.String({ minLength: 1, description: `Dotted path of the ${what} in a JSON body. Default ${f}.` })),
    },
    { additionalProperties: false, description: `Where the ${what} is read: the header first, then the JSON body.` },
  );

export const SelectSchema = Type.Object(
  {
    by: Type.Optional(
      Type.Union([Type.Literal('cost'), Type.Literal('order')], {
        expected: 'cost or order',
        description: 'cost: cheapest healthy provider first (cost-aware failover). order: as listed. Default cost.',
      }),
    ),
    region: Type.Optional(
      Type.Object(
        {
          header: Type.Optional(headerName('Header naming the client region. Default x-region.')),
          default: Type.Optional(region('Region of a request without the header.')),
        },
        { additionalProperties: false, description: "Where the client's region comes from." },
      ),
    ),
    fees: Type.Optional(Type.Record(Type.String(), FeeSchema, { description: 'Fee per provider name (every region) or key (name@region). Required for every upstream with by: cost.' })),
    lastResort: Type.Optional(
      Type.Array(Type.String({ pattern: UPSTREAM_GLOB_PATTERN, expected: 'a provider name, name@region, *@region or *', description: 'Upstreams of last resort.' }), {
        description: 'Dear but dependable providers: tried only after every other compliant one.',
      }),
    ),
    compliance: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Array(Type.String({ pattern: UPSTREAM_GLOB_PATTERN, expected: 'a provider name, name@region, *@region or *', description: 'Upstreams allowed.' }), {
          description: 'Upstreams allowed to serve this client region.',
        }),
        { description: 'Client region → the only upstreams that may serve it, whatever fails. E.g. eu: ["*@eu"].' },
      ),
    ),
    unlisted: Type.Optional(
      Type.Union([Type.Literal('any'), Type.Literal('deny')], {
        expected: 'any or deny',
        description: 'A region not under compliance, or unknown: any upstream (any) or none (deny: 503). Default any.',
      }),
    ),
    unhealthy: Type.Optional(
      Type.Union([Type.Literal('last'), Type.Literal('skip')], {
        expected: 'last or skip',
        description: 'Unavailable providers: after the rest, for their breakers to decide (last), or left out (skip). Default last.',
      }),
    ),
    degradedAt: Type.Optional(
      percent(
        "A provider whose breaker is closed but whose failure (or slow-call) share over the breaker's window has reached this ranks after the healthy ones, e.g. 20%. Default: off (a provider is healthy until its breaker opens).",
      ),
    ),
    amount: Type.Optional(AttributeSourceSchema('payment amount', 'x-amount', 'amount')),
    currency: Type.Optional(AttributeSourceSchema('currency', 'x-currency', 'currency')),
  },
  { additionalProperties: false, description: 'Provider selection per request: regional compliance, live health and cost (fee %).' },
);
export type SelectFile = Type.Static<typeof SelectSchema>;

/** The compiled `select`: everything but the candidate list, which `buildSelectOptions` adds per upstream list. */
export interface SelectConfig {
  by: 'cost' | 'order';
  /** By provider key or name. */
  fees: ReadonlyMap<string, Fee>;
  lastResort: readonly string[];
  compliance?: Compliance;
  unhealthy: 'last' | 'skip';
  /** A closed breaker's failure share from which its provider reads as degraded; undefined: never. */
  degradedAt?: number;
  sources: AttributeSources;
}

/**
 * `select` as written → `SelectConfig`. `upstreams`: every key the route may call (its
 * upstreams and its canary's), to check fees, last resorts and compliance patterns against.
 */
export function compileSelect(raw: SelectFile, upstreams: readonly string[], at: (string | number)[], report: Issue): SelectConfig | undefined {
  const { report: issue, count } = counting(report);
  const by = raw.by ?? 'cost';
  const fees = new Map<string, Fee>();
  const names = new Set(upstreams.map((u) => u.split('@')[0]!));
  for (const [k, f] of Object.entries(raw.fees ?? {})) {
    if (!upstreams.includes(k) && !names.has(k)) issue([...at, 'fees', k], `${k} is not an upstream of this route`, { expected: `one of ${upstreams.join(', ')}` });
    fees.set(k, typeof f === 'string' ? { rate: parsePercent(f) } : { rate: parsePercent(f.rate), ...(f.fixed !== undefined && { fixed: f.fixed }) });
  }
  if (by === 'cost') {
    const missing = upstreams.filter((u) => !fees.has(u) && !fees.has(u.split('@')[0]!));
    if (missing.length > 0) issue([...at, 'fees'], `by: cost needs a fee for every upstream; missing ${missing.join(', ')}`);
  }
  const matchesSome = (p: string) => upstreams.some((u) => patternMatches(p, u));
  (raw.lastResort ?? []).forEach((p, i) => {
    if (!matchesSome(p)) issue([...at, 'lastResort', i], `${p} matches no upstream of this route`, { expected: `one of ${upstreams.join(', ')}` });
  });
  let compliance: Compliance | undefined;
  if (raw.compliance) {
    for (const [r, patterns] of Object.entries(raw.compliance)) {
      if (!new RegExp(PROVIDER_NAME_PATTERN).test(r)) issue([...at, 'compliance', r], `region name ${JSON.stringify(r)} must be lower-case letters, digits and dashes`);
      patterns.forEach((p, i) => {
        if (!matchesSome(p)) issue([...at, 'compliance', r, i], `${p} matches no upstream of this route`, { expected: `one of ${upstreams.join(', ')}` });
      });
    }
    compliance = { allow: raw.compliance, unlisted: raw.unlisted ?? 'any' };
  } else if (raw.unlisted === 'deny') {
    issue([...at, 'unlisted'], 'unlisted: deny without compliance would refuse every request; list the regions under compliance');
  }
  if (count() > 0) return undefined;
  const sources: AttributeSources = {
    ...(raw.region?.header !== undefined && { regionHeader: raw.region.header.toLowerCase() }),
    ...(raw.region?.default !== undefined && { defaultRegion: raw.region.default }),
    ...(raw.amount?.header !== undefined && { amountHeader: raw.amount.header.toLowerCase() }),
    ...(raw.amount?.field !== undefined && { amountField: raw.amount.field }),
    ...(raw.currency?.header !== undefined && { currencyHeader: raw.currency.header.toLowerCase() }),
    ...(raw.currency?.field !== undefined && { currencyField: raw.currency.field }),
  };
  let degradedAt: number | undefined;
  if (raw.degradedAt !== undefined) {
    degradedAt = parsePercent(raw.degradedAt);
    if (!(degradedAt > 0 && degradedAt <= 1)) {
      issue([...at, 'degradedAt'], 'degradedAt must be more than 0% and at most 100%');
      return undefined;
    }
  }
  return {
    by,
    fees,
    lastResort: raw.lastResort ?? [],
    ...(compliance && { compliance }),
    unhealthy: raw.unhealthy ?? 'last',
    ...(degradedAt !== undefined && { degradedAt }),
    sources,
  };
}

/**
 * The selector's options for one upstream list (the route's, or its canary's).
 *
 * @example
 *   const selector = new ProviderSelector(buildSelectOptions(route.select, route.upstreams));
 */
export function buildSelectOptions(config: SelectConfig, upstreams: readonly string[]): SelectOptions {
  const candidates: Candidate[] = upstreams.map((key) => ({
    key,
    // by: order ranks everyone at the same cost, so ties keep the listed order.
    fee: config.by === 'order' ? { rate: 0 } : (config.fees.get(key) ?? config.fees.get(key.split('@')[0]!) ?? { rate: 0 }),
    ...(config.lastResort.some((p) => patternMatches(p, key)) && { lastResort: true }),
  }));
  return { candidates, ...(config.compliance && { compliance: config.compliance }), unhealthy: config.unhealthy };
}

// ---------------------------------------------------------------------------------------
// canary

export const CanarySchema = Type.Object(
  {
    upstreams: Type.Array(upstream('A provider key of the new version.'), { minItems: 1, description: "The new version's upstreams, in failover order." }),
    weight: percent('Share of clients sent to the new version, e.g. 10%.'),
    seed: Type.Optional(Type.Integer({ description: 'Seeds the client hash; a new seed reshuffles who is in the canary. Default 1.' })),
    stickyBy: Type.Optional(
      Type.Object(
        { header: headerName('Header identifying a client, e.g. x-client-id.') },
        { additionalProperties: false, description: 'What keeps a client on one arm. Default: its IP.' },
      ),
    ),
    regions: Type.Optional(Type.Array(region('A client region.'), { minItems: 1, description: 'Only clients from these regions take part. Default: all.' })),
    window: duration('The SLO is judged over this sliding window, e.g. 30s.'),
    buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: 'Time buckets in the window (its resolution). Default 10.' })),
    minSamples: Type.Integer({ minimum: 1, description: 'No verdict before the canary has this many calls in the window.' }),
    rollback: Type.Object(
      {
        errorRate: Type.Optional(percent("Roll back when the canary's error rate exceeds this, e.g. 5%.")),
        slowCall: Type.Optional(
          Type.Object(
            { over: duration('A call slower than this is slow, e.g. 500ms.'), rate: percent('Roll back when more than this share of canary calls is slow.') },
            { additionalProperties: false, description: 'A slow-call-rate ceiling (Resilience4j slowCallRateThreshold).' },
          ),
        ),
        vsBaseline: Type.Optional(percent("Roll back when the canary's error rate exceeds the baseline's by more than this many points, e.g. 2%.")),
      },
      { additionalProperties: false, description: "The canary's SLO: any check breached, after minSamples, rolls it back." },
    ),
  },
  { additionalProperties: false, description: 'A canary: a sticky share of clients to new upstreams, rolled back automatically on an SLO breach.' },
);
export type CanaryFile = Type.Static<typeof CanarySchema>;

export interface CanaryConfig {
  upstreams: string[];
  /** Header keeping a client sticky; undefined: its IP. */
  stickyHeader?: string;
  options: CanaryOptions;
}

/** `canary` as written → `CanaryConfig`. `providers`: every provider key of the router. */
export function compileCanary(raw: CanaryFile, providers: readonly string[], routeUpstreams: readonly string[], at: (string | number)[], report: Issue): CanaryConfig | undefined {
  const { report: issue, count } = counting(report);
  const upstreams: string[] = [];
  raw.upstreams.forEach((u, j) => {
    if (!providers.includes(u)) issue([...at, 'upstreams', j], `unknown provider ${JSON.stringify(u)}`, { expected: `one of ${providers.join(', ')}` });
    else if (upstreams.includes(u)) issue([...at, 'upstreams', j], `${u} is listed twice`);
    else upstreams.push(u);
  });
  if (upstreams.length > 0 && upstreams.every((u) => routeUpstreams.includes(u)) && routeUpstreams.every((u) => upstreams.includes(u))) {
    issue([...at, 'upstreams'], "the canary's upstreams are the route's own: nothing new is tried");
  }
  const r = raw.rollback;
  const options: CanaryOptions = {
    weight: parsePercent(raw.weight),
    seed: raw.seed ?? 1,
    window: parseDuration(raw.window),
    ...(raw.buckets !== undefined && { buckets: raw.buckets }),
    minSamples: raw.minSamples,
    rollback: {
      ...(r.errorRate !== undefined && { errorRate: parsePercent(r.errorRate) }),
      ...(r.slowCall && { slowCall: { over: parseDuration(r.slowCall.over), rate: parsePercent(r.slowCall.rate) } }),
      ...(r.vsBaseline !== undefined && { vsBaseline: parsePercent(r.vsBaseline) }),
    },
    ...(raw.regions && { regions: raw.regions }),
  };
  // Same checks the Canary constructor makes, reported at their lines instead of thrown.
  for (const p of canaryOptionProblems(options)) issue([...at, ...p.field.split('.')], p.message);
  if (count() > 0) return undefined;
  return { upstreams, ...(raw.stickyBy && { stickyHeader: raw.stickyBy.header.toLowerCase() }), options };
}

// ---------------------------------------------------------------------------------------
// auth

const Algorithm = Type.Union(
  [
    Type.Literal('HS256'),
    Type.Literal('HS384'),
    Type.Literal('HS512'),
    Type.Literal('RS256'),
    Type.Literal('RS384'),
    Type.Literal('RS512'),
    Type.Literal('PS256'),
    Type.Literal('PS384'),
    Type.Literal('PS512'),
    Type.Literal('ES256'),
    Type.Literal('ES384'),
    Type.Literal('ES512'),
    Type.Literal('EdDSA'),
  ],
  { expected: JWT_ALGORITHMS.join(', '), description: 'A JWS algorithm.' },
);
const OneOrMany = (description: string) => Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a string or a list of strings', description });

export const AuthSchema = Type.Object(
  {
    jwt: Type.Object(
      {
        algorithms: Type.Array(Algorithm, { minItems: 1, description: 'The accepted algorithms (allow-list). `none` is never accepted.' }),
        secret: Type.Optional(
          Type.Union(
            [
              Type.Object({ env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Environment variable holding the secret.' }) }, { additionalProperties: false }),
              Type.Object({ value: Type.String({ minLength: 1, description: 'The secret itself (tests, fixtures).' }) }, { additionalProperties: false }),
            ],
            { expected: '{ env: NAME } or { value: ... }', description: 'The HS256/384/512 shared secret. Never a public key.' },
          ),
        ),
        publicKeys: Type.Optional(
          Type.Array(
            Type.Object(
              {
                file: Type.String({ minLength: 1, description: 'SPKI PEM file, relative to this config file.' }),
                alg: Algorithm,
                kid: Type.Optional(Type.String({ minLength: 1, description: 'Key id a token names in its header.' })),
              },
              { additionalProperties: false, description: 'A public key for one algorithm.' },
            ),
            { minItems: 1, description: 'Public keys (RS/PS/ES/EdDSA).' },
          ),
        ),
        jwks: Type.Optional(Type.String({ minLength: 1, description: 'A local JSON Web Key Set file of public keys, relative to this config file.' })),
        issuer: Type.Optional(OneOrMany('Accepted `iss`.')),
        audience: Type.Optional(OneOrMany('Accepted `aud`.')),
        clockSkew: Type.Optional(duration('Tolerated clock difference for exp/nbf. Default 30s.')),
        requiredClaims: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Claims a token must carry. Default [exp].' })),
      },
      { additionalProperties: false, description: 'Bearer JWT verification (jose).' },
    ),
  },
  { additionalProperties: false, description: 'Authentication required on this route: 401 with WWW-Authenticate otherwise.' },
);
export type AuthFile = Type.Static<typeof AuthSchema>;

export interface AuthConfig {
  /** Ready for `loadJwtAuth(config.jwt, dirname(configFile), clock)`. */
  jwt: JwtAuthConfig & { algorithms: JwtAlgorithm[]; clockSkew: number; requiredClaims: string[] };
}

/** `auth` as written → `AuthConfig`: keys stay file names until `loadJwtAuth` reads them. */
export function compileAuth(raw: AuthFile, at: (string | number)[], report: Issue): AuthConfig | undefined {
  const { report: issue, count } = counting(report);
  const j = raw.jwt;
  const jat = [...at, 'jwt'];
  const algorithms = [...new Set(j.algorithms)] as JwtAlgorithm[];
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  const asym = algorithms.filter((a) => !a.startsWith('HS'));
  if (hmac.length > 0 && !j.secret) issue([...jat, 'algorithms'], `${hmac.join(', ')} need a secret`);
  if (j.secret && hmac.length === 0) issue([...jat, 'secret'], 'no HS algorithm is allowed, so the secret would never be used');
  if (asym.length > 0 && !j.publicKeys && j.jwks === undefined) issue([...jat, 'algorithms'], `${asym.join(', ')} need publicKeys or a jwks file`);
  (j.publicKeys ?? []).forEach((k, i) => {
    if (k.alg.startsWith('HS')) issue([...jat, 'publicKeys', i, 'alg'], `${k.alg} is a shared-secret algorithm; public keys are for RS/PS/ES/EdDSA`);
    else if (!algorithms.includes(k.alg)) issue([...jat, 'publicKeys', i, 'alg'], `${k.alg} is not in algorithms`);
  });
  if (j.secret && 'value' in j.secret) {
    if (/-----BEGIN [A-Z ]*KEY-----/.test(j.secret.value)) {
      issue([...jat, 'secret'], 'this is a PEM key, not a shared secret: using a public key as an HMAC secret is the algorithm-confusion attack');
    }
    const bytes = new TextEncoder().encode(j.secret.value).byteLength;
    const min = Math.max(0, ...hmac.map((a) => Number(a.slice(2)) / 8));
    if (bytes < min) issue([...jat, 'secret'], `${hmac.join(', ')} need a secret of at least ${min} bytes (RFC 7518 §3.2); this one has ${bytes}`);
  }
  if (count() > 0) return undefined;
  const keys: JwtKeySources = {
    ...(j.secret && { secret: j.secret }),
    ...(j.publicKeys && { publicKeys: j.publicKeys.map((k) => ({ file: k.file, alg: k.alg, ...(k.kid !== undefined && { kid: k.kid }) })) }),
    ...(j.jwks !== undefined && { jwks: j.jwks }),
  };
  return {
    jwt: {
      algorithms,
      keys,
      ...(j.issuer !== undefined && { issuer: typeof j.issuer === 'string' ? j.issuer : [...j.issuer] }),
      ...(j.audience !== undefined && { audience: typeof j.audience === 'string' ? j.audience : [...j.audience] }),
      clockSkew: j.clockSkew === undefined ? 30_000 : parseDuration(j.clockSkew),
      requiredClaims: j.requiredClaims ?? ['exp'],
    },
  };
}

/** A route's `auth`, its keys read: what `buildJwtAuth` takes, but for the clock. */
export interface RouteAuthConfig {
  jwt: Omit<JwtAuthOptions, 'clock'>;
}

/**
 * `auth` as written → its keys taken from what the loader read (`material`) and checked;
 * problems at the field they concern.
 */
export function compileRouteAuth(raw: AuthFile, at: ConfigPath, material: ConfigMaterial, report: Issue): RouteAuthConfig | undefined {
  const { report: issue, count } = counting(report);
  const compiled = compileAuth(raw, at, issue);
  if (!compiled) return undefined;
  const jat = [...at, 'jwt'];
  // Problems come as `field: words` or `field[i]: words`: put each at its field.
  const atField = (problem: string) => {
    const m = /^(\w+)(?:\[(\d+)\])?(?:\.keys\[\d+\])?: (.*)$/s.exec(problem);
    if (!m) return issue(jat, problem);
    issue(m[2] === undefined ? [...jat, m[1]!] : [...jat, m[1]!, Number(m[2])], m[3]!);
  };
  const keys = readJwtKeys(compiled.jwt.keys, (f) => readMaterial(material.keyFiles.get(f)), material.secrets);
  if (!keys.ok) {
    keys.problems.forEach(atField);
    return undefined;
  }
  const jwt: Omit<JwtAuthOptions, 'clock'> = { ...compiled.jwt, keys: keys.keys };
  jwtOptionProblems(jwt).forEach(atField);
  (keys.keys.publicKeys ?? []).forEach((k, i) => {
    const converted = publicKeyJwk(k.pem, k.alg);
    if (!converted.ok) issue([...jat, 'publicKeys', i, 'file'], converted.problem);
  });
  return count() > 0 ? undefined : { jwt };
}

/** A file's text as the loader read it; throws as `fs` would (`err.code`), so readers word it the same. */
function readMaterial(read: FileRead | undefined): string {
  if (read && 'text' in read) return read.text;
  throw Object.assign(new Error('not read'), { code: read?.error ?? NOT_READ });
}

/** A file the loader did not read: compileRouterConfig was called without it. */
const NOT_READ = 'not read (loadRouterConfig and parseRouterConfig read the files a config names)';

// ---------------------------------------------------------------------------------------
// llm

export const LlmRouteSchema = Type.Object(
  {
    registry: Type.String({ minLength: 1, description: 'The LLM registry file (models, rules, chains), relative to this config file.' }),
    unhealthy: Type.Optional(
      Type.Union([Type.Literal('last'), Type.Literal('skip')], { expected: 'last or skip', description: 'Models whose provider is unavailable: tried last, or left out. Default last.' }),
    ),
  },
  { additionalProperties: false, description: 'LLM routing: a model chain per request class, from a registry file.' },
);
export type LlmRouteFile = Type.Static<typeof LlmRouteSchema>;

export interface LlmRouteConfig {
  /** As written; resolve against the config file's folder, then `loadLlmRegistry`. */
  registry: string;
  unhealthy: 'last' | 'skip';
}

export function compileLlmRoute(raw: LlmRouteFile): LlmRouteConfig {
  return { registry: raw.registry, unhealthy: raw.unhealthy ?? 'last' };
}

export interface RouteLlmConfig {
  /** The registry file, resolved. */
  file: string;
  registry: LlmRegistry;
  /** Models whose provider is unavailable: tried last, or left out. */
  unhealthy: 'last' | 'skip';
}

/**
 * A route's `llm` as written → its registry compiled from the text the loader read. `at` is
 * the route's path; the registry's own issues, positioned in its file, go to `elsewhere`.
 * `providers`: every provider key; `upstreams`: the route's, which every chain must stay in.
 */
export function compileRouteLlm(
  raw: LlmRouteFile,
  read: (FileRead & { path: string }) | undefined,
  providers: readonly string[],
  upstreams: readonly string[],
  at: ConfigPath,
  issue: Issue,
  elsewhere: ConfigIssue[],
): RouteLlmConfig | undefined {
  const l = compileLlmRoute(raw);
  if (!read || !('text' in read)) {
    issue([...at, 'llm', 'registry'], `cannot read the LLM registry ${l.registry}: ${read?.error ?? NOT_READ}`);
    return undefined;
  }
  const loaded = parseLlmRegistry(read.text, read.path, providers);
  if (!loaded.ok) {
    elsewhere.push(...loaded.issues);
    return undefined;
  }
  // Every provider a chain can reach must be one of the route's upstreams, so it has the route's breaker, retry and outlier detection.
  const reached = new Set<string>();
  for (const c of loaded.value.classes.values()) for (const id of c.chain) reached.add(loaded.value.models.get(id)!.provider);
  const missing = [...reached].filter((p) => providers.includes(p) && !upstreams.includes(p));
  if (missing.length > 0) {
    issue([...at, 'upstreams'], `the LLM registry's chains call ${missing.join(', ')}: list ${missing.length > 1 ? 'them' : 'it'} here too, so every provider a chain reaches has this route's policies`);
  }
  return { file: read.path, registry: loaded.value, unhealthy: l.unhealthy };
}
