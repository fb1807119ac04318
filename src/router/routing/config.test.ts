import { readFile } from 'node:fs/promises';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../config/load.ts';
import { issueAt, type ConfigIssue, type Locate } from '../../config/issues.ts';
import { FakeClock } from '../../core/clock.ts';
import { AuthSchema, compileAuth, type AuthFile } from './auth.ts';
import { Canary, CanarySchema, compileCanary, type CanaryFile } from './canary.ts';
import { compileLlmRoute, LlmRouteSchema, type LlmRouteFile } from './llm.ts';
import { buildSelectOptions, compileSelect, patternMatches, ProviderSelector, SelectSchema, type SelectFile } from './select.ts';

// A stand-in for config.ts's RouteSchema with the four routing fragments spliced in, as config.ts does.
const RouteSchema = Type.Object(
  {
    match: Type.String(),
    upstreams: Type.Array(Type.String(), { minItems: 1 }),
    select: Type.Optional(SelectSchema),
    canary: Type.Optional(CanarySchema),
    auth: Type.Optional(AuthSchema),
    llm: Type.Optional(LlmRouteSchema),
  },
  { additionalProperties: false },
);
const FileSchema = Type.Object({ routes: Type.Array(RouteSchema) }, { additionalProperties: false });
interface RouteFile {
  match: string;
  upstreams: string[];
  select?: SelectFile;
  canary?: CanaryFile;
  auth?: AuthFile;
  llm?: LlmRouteFile;
}

const PROVIDERS = ['stripe@eu', 'stripe@us', 'adyen@eu', 'adyen@us', 'braintree@us', 'checkout-v1', 'checkout-v2', 'order-service', 'openai', 'anthropic'];

/** Loads `text` and compiles every fragment of every route, as compileRouterConfig would. */
function compileAll(text: string) {
  const loaded = parseYaml<{ routes: RouteFile[] }>(text, 'router.yaml', FileSchema);
  if (!loaded.ok) return { issues: loaded.issues, routes: [] };
  const issues: ConfigIssue[] = [];
  const locate: Locate = loaded.locate;
  const issue = (path: (string | number)[], message: string, extra?: { expected?: string; found?: string }) => issues.push(issueAt(locate, 'router.yaml', path, message, extra));
  const routes = loaded.value.routes.map((r, i) => {
    const at = ['routes', i];
    const canary = r.canary ? compileCanary(r.canary, PROVIDERS, r.upstreams, [...at, 'canary'], issue) : undefined;
    const select = r.select ? compileSelect(r.select, [...r.upstreams, ...(canary?.upstreams ?? [])], [...at, 'select'], issue) : undefined;
    const auth = r.auth ? compileAuth(r.auth, [...at, 'auth'], issue) : undefined;
    const llm = r.llm ? compileLlmRoute(r.llm) : undefined;
    return { upstreams: r.upstreams, select, canary, auth, llm };
  });
  return { issues: issues.sort((a, b) => a.line - b.line || a.column - b.column), routes };
}
const brief = (issues: ConfigIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);

describe('routing schema fragments', () => {
  it('the YAML example in index.ts validates and compiles', async () => {
    const source = await readFile(new URL('./index.ts', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(source)![1]!;
    const yaml = block
      .split('\n')
      .map((l) => l.replace(/^ \* ?/, ''))
      .join('\n');
    const { issues, routes } = compileAll(yaml);
    expect(brief(issues)).toEqual([]);
    expect(routes).toHaveLength(4);
    const [payments, checkout, orders, chat] = routes;

    const select = payments!.select!;
    expect(select.sources).toEqual({ regionHeader: 'x-region', defaultRegion: 'us', amountHeader: 'x-amount', amountField: 'amount', currencyHeader: 'x-currency', currencyField: 'currency' });
    const selector = new ProviderSelector(buildSelectOptions(select, payments!.upstreams));
    expect(selector.select({ region: 'eu', amount: 100 }, () => 'healthy').order.map((r) => r.key)).toEqual(['adyen@eu', 'stripe@eu']);
    expect(selector.select({ region: 'us', amount: 100 }, () => 'healthy').order.map((r) => r.key)).toEqual([
      'adyen@eu',
      'adyen@us',
      'stripe@eu',
      'stripe@us',
      'braintree@us',
    ]);

    expect(checkout!.canary).toEqual({
      upstreams: ['checkout-v2'],
      stickyHeader: 'x-client-id',
      options: { weight: 0.1, seed: 7, window: 30_000, minSamples: 50, regions: ['us-east'], rollback: { errorRate: 0.05, slowCall: { over: 500, rate: 0.1 }, vsBaseline: 0.02 } },
    });
    expect(() => new Canary(checkout!.canary!.options, new FakeClock())).not.toThrow();

    expect(orders!.auth).toEqual({
      jwt: {
        algorithms: ['RS256', 'ES256'],
        keys: { jwks: '../keys/orders-jwks.json', publicKeys: [{ file: '../keys/orders-rs256.pem', alg: 'RS256', kid: 'k1' }] },
        issuer: 'https://id.example.test',
        audience: 'orders',
        clockSkew: 30_000,
        requiredClaims: ['exp', 'sub'],
      },
    });
    expect(chat!.llm).toEqual({ registry: '../routing/llm-registry.yaml', unhealthy: 'last' });
  });

  it('select: every upstream needs a fee under by: cost; names must be upstreams; patterns must match one', () => {
    const text = [
      'routes:',
      '  - match: /pay',
      '    upstreams: [stripe@eu, adyen@eu]',
      '    select:',
      '      fees: { stripe: 2.9%, adyn: 2.6% }',
      '      lastResort: [braintree]',
      '      compliance: { eu: ["*@eu", "mollie"] }',
    ].join('\n');
    expect(brief(compileAll(text).issues)).toEqual([
      '5:13 routes[0].select.fees by: cost needs a fee for every upstream; missing adyen@eu',
      '5:35 routes[0].select.fees.adyn adyn is not an upstream of this route',
      '6:20 routes[0].select.lastResort[0] braintree matches no upstream of this route',
      '7:34 routes[0].select.compliance.eu[1] mollie matches no upstream of this route',
    ]);
  });

  it('select: by: order needs no fees, keeps the listed order, and still filters by compliance', () => {
    const text = 'routes:\n  - match: /pay\n    upstreams: [stripe@us, adyen@eu, stripe@eu]\n    select: { by: order, compliance: { eu: ["*@eu"] }, unlisted: deny }\n';
    const { issues, routes } = compileAll(text);
    expect(issues).toEqual([]);
    const s = new ProviderSelector(buildSelectOptions(routes[0]!.select!, routes[0]!.upstreams));
    expect(s.select({ region: 'eu' }, () => 'healthy').order.map((r) => r.key)).toEqual(['adyen@eu', 'stripe@eu']);
    expect(s.select({ region: 'us' }, () => 'healthy').order).toEqual([]);
  });

  it('select: schema errors read as people write values', () => {
    const text = 'routes:\n  - match: /pay\n    upstreams: [stripe@eu]\n    select: { fees: { stripe: cheap }, unhealthy: never }\n';
    const issues = compileAll(text).issues;
    expect(issues.map((i) => i.path)).toEqual(['routes[0].select.fees.stripe', 'routes[0].select.unhealthy']);
    expect(issues[1]).toMatchObject({ expected: expect.stringContaining('last') });
  });

  it('canary: unknown upstreams, a canary of itself, and a rollback that can never happen', () => {
    const text = [
      'routes:',
      '  - match: /checkout',
      '    upstreams: [checkout-v1]',
      '    canary: { upstreams: [checkout-v1], weight: 10%, window: 30s, minSamples: 20, rollback: {} }',
      '  - match: /checkout2',
      '    upstreams: [checkout-v1]',
      '    canary: { upstreams: [checkout-v3], weight: 150%, window: 30s, minSamples: 20, rollback: { errorRate: 5% } }',
    ].join('\n');
    expect(brief(compileAll(text).issues)).toEqual([
      "4:26 routes[0].canary.upstreams the canary's upstreams are the route's own: nothing new is tried",
      '4:93 routes[0].canary.rollback a canary needs at least one rollback check (errorRate, slowCall or vsBaseline), or it can never roll back',
      '7:27 routes[1].canary.upstreams[0] unknown provider "checkout-v3"',
      '7:49 routes[1].canary.weight weight must be between 0% and 100%',
    ]);
  });

  it('auth: keys that do not fit the algorithms, and a PEM as the HMAC secret', () => {
    const text = [
      'routes:',
      '  - match: /orders',
      '    upstreams: [order-service]',
      '    auth:',
      '      jwt:',
      '        algorithms: [HS256, ES256]',
      '        secret: { value: "-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" }',
      '        publicKeys: [{ file: k.pem, alg: RS256 }]',
      '  - match: /orders2',
      '    upstreams: [order-service]',
      '    auth: { jwt: { algorithms: [none] } }',
    ].join('\n');
    const issues = compileAll(text).issues;
    expect(brief(issues)).toEqual(['11:33 routes[1].auth.jwt.algorithms[0] invalid value']);
    expect(issues[0]!.expected).toContain('RS256');
    const valid = compileAll(text.split('\n').slice(0, 8).join('\n')).issues;
    expect(brief(valid)).toEqual([
      '7:17 routes[0].auth.jwt.secret this is a PEM key, not a shared secret: using a public key as an HMAC secret is the algorithm-confusion attack',
      '8:42 routes[0].auth.jwt.publicKeys[0].alg RS256 is not in algorithms',
    ]);
  });

  it('auth: an HS256 secret shorter than 32 bytes, and HS256 without one', () => {
    const text = 'routes:\n  - match: /a\n    upstreams: [order-service]\n    auth: { jwt: { algorithms: [HS256], secret: { value: short } } }\n  - match: /b\n    upstreams: [order-service]\n    auth: { jwt: { algorithms: [HS512] } }\n';
    expect(brief(compileAll(text).issues)).toEqual([
      '4:49 routes[0].auth.jwt.secret HS256 need a secret of at least 32 bytes (RFC 7518 §3.2); this one has 5',
      '7:32 routes[1].auth.jwt.algorithms HS512 need a secret',
    ]);
  });

  it('patterns', () => {
    expect(patternMatches('*', 'a@b')).toBe(true);
    expect(patternMatches('stripe', 'stripe@eu')).toBe(true);
    expect(patternMatches('stripe', 'stripe')).toBe(true);
    expect(patternMatches('*@eu', 'stripe@eu')).toBe(true);
    expect(patternMatches('*@eu', 'stripe')).toBe(false);
    expect(patternMatches('stripe@*', 'stripe@us')).toBe(true);
    expect(patternMatches('stripe@eu', 'stripe@us')).toBe(false);
  });
});
