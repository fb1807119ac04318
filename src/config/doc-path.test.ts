import { describe, expect, it } from 'vitest';
import { applyDocOverrides, parseDocPath, repositionIssues, type DocOverride, type PathRules } from './doc-path.ts';

const at = { file: 's.yaml', line: 7, column: 12, path: 'variants[0].set["x"]' };
const o = (path: string, value: unknown): DocOverride => ({ path, value, at });
const ROUTER: PathRules = {
  names: { routes: ['match'] },
  shorthand: { roots: ['name', 'providers', 'routes', 'rateLimit'], within: ['routes', 'providers'], what: 'route or provider' },
};
const router = () => ({
  name: 'r',
  providers: { backend: { url: 'http://x', breaker: { failureRate: '50%' } }, other: { url: 'http://y' } },
  routes: [
    { match: '/api/**', upstreams: ['backend'], retry: { maxAttempts: 5, backoff: { base: '20ms', jitter: 'full' }, budget: { type: 'tokens' } } },
    { match: '/health', upstreams: ['other'] },
    { match: '/v1.2/**', upstreams: ['other'], retry: { maxAttempts: 2 } },
  ],
});

describe('parseDocPath', () => {
  it('reads keys, picks by name, index and *, and brackets holding dots', () => {
    expect(parseDocPath('retry.backoff.jitter')).toEqual({ ok: true, segments: [{ key: 'retry' }, { key: 'backoff' }, { key: 'jitter' }] });
    expect(parseDocPath('routes[/v1.2/**].retry')).toEqual({ ok: true, segments: [{ key: 'routes', pick: '/v1.2/**' }, { key: 'retry' }] });
    expect(parseDocPath('routes[0].timeout')).toEqual({ ok: true, segments: [{ key: 'routes', pick: '0' }, { key: 'timeout' }] });
    expect(parseDocPath('faults[brownout]')).toEqual({ ok: true, segments: [{ key: 'faults', pick: 'brownout' }] });
  });
  it.each([
    ['', /is empty/],
    ['retry.', /ends with a dot/],
    ['.retry', /key is missing at character 1/],
    ['retry..x', /key is missing at character 7/],
    ['routes[/api', /never closed/],
    ['routes[]', /is empty/],
    ['routes[a]x', /expected \. after \]/],
    ['re try', /not a key/],
    ['__proto__.polluted', /not a setting/],
    ['providers[__proto__].x', /not a setting/],
  ])('rejects %j', (text, message) => {
    const r = parseDocPath(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('applyDocOverrides', () => {
  it('sets a value by a full path, a route picked by its match and a provider by its key', () => {
    const doc = router();
    const r = applyDocOverrides(doc, [o('routes[/api/**].retry.backoff.base', '50ms'), o('providers[backend].breaker.failureRate', '20%'), o('routes[1].timeout', '1s')], ROUTER);
    expect(r.issues).toEqual([]);
    expect(doc.routes[0]!.retry!.backoff!.base).toBe('50ms');
    expect(doc.providers.backend.breaker.failureRate).toBe('20%');
    expect((doc.routes[1] as Record<string, unknown>).timeout).toBe('1s');
    expect(r.applied.map((a) => a.paths)).toEqual([[['routes', 0, 'retry', 'backoff', 'base']], [['providers', 'backend', 'breaker', 'failureRate']], [['routes', 1, 'timeout']]]);
  });
  it('a shorthand reaches every route (and provider) that has its first key, and no other', () => {
    const doc = router();
    const r = applyDocOverrides(doc, [o('retry.maxAttempts', 3)], ROUTER);
    expect(r.issues).toEqual([]);
    expect(r.applied[0]!.paths).toEqual([['routes', 0, 'retry', 'maxAttempts'], ['routes', 2, 'retry', 'maxAttempts']]);
    expect(doc.routes.map((x) => (x as { retry?: { maxAttempts: number } }).retry?.maxAttempts)).toEqual([3, undefined, 3]);
    const b = router();
    applyDocOverrides(b, [o('breaker.failureRate', '10%')], ROUTER);
    expect(b.providers.backend.breaker.failureRate).toBe('10%');
    expect('breaker' in b.providers.other).toBe(false);
  });
  it('off (or null) removes a block; a mapping adds one; * picks every item', () => {
    const doc = router();
    const r = applyDocOverrides(doc, [o('retry.budget', 'off'), o('routes[/health].retry', { maxAttempts: 2 }), o('routes[*].upstreams', ['backend'])], ROUTER);
    expect(r.issues).toEqual([]);
    expect('budget' in doc.routes[0]!.retry!).toBe(false);
    expect((doc.routes[1] as { retry?: unknown }).retry).toEqual({ maxAttempts: 2 });
    expect(doc.routes.map((x) => x.upstreams)).toEqual([['backend'], ['backend'], ['backend']]);
    const d2 = router();
    applyDocOverrides(d2, [o('providers[backend].breaker', null)], ROUTER);
    expect('breaker' in d2.providers.backend).toBe(false);
  });
  it('removes picked list items back to front', () => {
    const doc = { faults: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
    const r = applyDocOverrides(doc, [o('faults[*]', 'off')], { names: {} });
    expect(r.issues).toEqual([]);
    expect(doc.faults).toEqual([]);
    const d2 = { faults: [{ name: 'a' }, { name: 'b' }] };
    applyDocOverrides(d2, [o('faults[b]', 'off')], { names: {} });
    expect(d2.faults).toEqual([{ name: 'a' }]);
  });
  it('values are copied, not shared between documents', () => {
    const value = { maxAttempts: 2 };
    const a = router();
    applyDocOverrides(a, [o('routes[/health].retry', value)], ROUTER);
    value.maxAttempts = 9;
    expect((a.routes[1] as { retry?: { maxAttempts: number } }).retry!.maxAttempts).toBe(2);
  });
  it('reports every path that names nothing at once, each at the override, with a hint', () => {
    const doc = router();
    const before = JSON.stringify(doc);
    const r = applyDocOverrides(
      doc,
      [
        o('retyr.jitter', 'none'),
        o('routes[/apx/**].retry.backoff.base', '50ms'),
        o('routes[7].timeout', '1s'),
        o('providers[backnd].breaker.failureRate', '20%'),
        o('routes[/health].retry.budget.maxTokens', 3),
        o('routes[/api/**].retry.backof.base', '1ms'),
        o('routes[/api/**].timeout', 'off'),
        o('name.x', 1),
        o('a[', 1),
      ],
      ROUTER,
    );
    expect(r.applied).toEqual([]);
    expect(JSON.stringify(doc)).toBe(before);
    const messages = r.issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringMatching(/^`retyr\.jitter`: names nothing: `retyr` is no top-level field, and no route or provider has it$/),
      expect.stringMatching(/routes: no item has match "\/apx\/\*\*" \(did you mean `\/api\/\*\*`\?\); there are: \/api\/\*\*, \/health, \/v1\.2\/\*\*/),
      expect.stringMatching(/routes: has 3 items, so no \[7\]/),
      expect.stringMatching(/providers: has no `backnd` \(did you mean `backend`\?\); there are: backend, other/),
      expect.stringMatching(/routes\[1\] has no `retry`; to add a block, set `routes\[\/health\]\.retry` to a mapping/),
      expect.stringMatching(/routes\[0\]\.retry has no `backof` \(did you mean `backoff`\?\)/),
      expect.stringMatching(/routes\[0\] has no `timeout` to remove/),
      expect.stringMatching(/name is not a mapping/),
      expect.stringMatching(/never closed/),
    ]);
    for (const i of r.issues) expect(i).toMatchObject({ file: 's.yaml', line: 7, column: 12, path: 'variants[0].set["x"]' });
    expect(r.issues[0]!.expected).toMatch(/top-level field \(name, providers, routes, rateLimit\)/);
  });
  it('reaches only the fields of the document itself, never a prototype', () => {
    const doc = router();
    const r = applyDocOverrides(doc, [o('constructor.prototype.polluted', 1), o('providers[toString].x', 1), o('toString', 'off')], ROUTER);
    expect(r.applied).toEqual([]);
    expect(r.issues).toHaveLength(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('without shorthand rules, a path starts at the top level', () => {
    const doc = { load: { rate: '60/s' }, faults: [{ name: 'brownout', to: '3s' }] };
    const r = applyDocOverrides(doc, [o('load.rate', '80/s'), o('faults[brownout].to', '4s'), o('retry.x', 1)], { names: { faults: ['name'] } });
    expect(doc).toEqual({ load: { rate: '80/s' }, faults: [{ name: 'brownout', to: '4s' }] });
    expect(r.issues.map((i) => i.message)).toEqual([expect.stringMatching(/the top level has no `retry`/)]);
  });
});

describe('repositionIssues', () => {
  it('moves issues on overridden values to the override, and notes the rest', () => {
    const applied = [{ override: o('retry.backoff.jitter', 'nope'), paths: [['routes', 0, 'retry', 'backoff', 'jitter']] }];
    const issues = [
      { file: 'r.yaml', line: 3, column: 5, path: 'routes[0].retry.backoff.jitter', message: 'must be one of none, full', found: '"full" (the file\'s old value)' },
      { file: 'r.yaml', line: 3, column: 5, path: 'routes[0].retry.backoff.jitterish', message: 'not under it' },
      { file: 'r.yaml', line: 9, column: 1, path: 'routes[1]', message: 'other' },
    ];
    const out = repositionIssues(issues, applied, 'with variant x');
    expect(out[0]).toMatchObject({ file: 's.yaml', line: 7, column: 12, path: 'variants[0].set["x"]' });
    expect(out[0]!.message).toBe('`retry.backoff.jitter: nope` sets routes[0].retry.backoff.jitter in r.yaml: must be one of none, full');
    expect(out[0]!.found).toBe('"nope"');
    expect(out[1]).toMatchObject({ file: 'r.yaml', line: 3, message: 'not under it (with variant x)' });
    expect(out[2]).toMatchObject({ file: 'r.yaml', line: 9, message: 'other (with variant x)' });
  });
});

describe('a key added beside the block that has it', () => {
  it('retry.jitter (a new key beside retry.backoff.jitter): the schema\'s "unknown field" offers retry.backoff.jitter', () => {
    const doc = router();
    const r = applyDocOverrides(doc, [o('retry.jitter', 'none')], ROUTER);
    expect(r.issues).toEqual([]);
    expect(r.applied[0]!.nearby).toEqual(['retry.backoff.jitter']);
    const out = repositionIssues([{ file: 'r.yaml', line: 3, column: 5, path: 'routes[0].retry.jitter', message: 'unknown field `jitter`' }], r.applied);
    expect(out[0]!.message).toBe('`retry.jitter: none` sets routes[0].retry.jitter in r.yaml: unknown field `jitter` (did you mean `retry.backoff.jitter`?)');
    // A key the block already has, or one no inner block has, offers nothing.
    expect(applyDocOverrides(router(), [o('retry.maxAttempts', 3), o('retry.nothing', 1)], ROUTER).applied.map((a) => a.nearby)).toEqual([undefined, undefined]);
  });
});

describe('any path, any value (fast-check)', () => {
  it('never throws, never reaches a prototype; each override is applied or has issues at its own place', async () => {
    const fc = (await import('fast-check')).default;
    const objectProto = Object.getOwnPropertyNames(Object.prototype);
    const arrayProto = Object.getOwnPropertyNames(Array.prototype);
    // Few keys and short paths, so the hostile ones (`__proto__.x`, `providers[__proto__].x`) come up often.
    const key = fc.constantFrom('retry', 'budget', 'routes', 'providers', 'breaker', '__proto__', 'constructor', 'prototype', 'x', '');
    const pick = fc.constantFrom('', '', '', '[0]', '[*]', '[/api/**]', '[backend]', '[__proto__]', '[', ']');
    const path = fc.array(fc.tuple(key, pick).map(([k, p]) => k + p), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
    const value = fc.oneof(fc.constant('off'), fc.constant(null), fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string()));
    fc.assert(
      fc.property(fc.array(fc.tuple(path, value), { minLength: 1, maxLength: 4 }), (pairs) => {
        const doc = router();
        const r = applyDocOverrides(doc, pairs.map(([p, v]) => o(p, v)), ROUTER);
        expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(objectProto);
        expect(Object.getOwnPropertyNames(Array.prototype)).toEqual(arrayProto);
        const plain = (v: unknown): void => {
          if (v === null || typeof v !== 'object') return;
          expect([Object.prototype, Array.prototype]).toContain(Object.getPrototypeOf(v));
          Object.values(v).forEach(plain);
        };
        plain(doc);
        for (const i of r.issues) expect(i).toMatchObject(at);
        // Each override is applied, or is one issue.
        expect(r.applied.length + r.issues.length).toBe(pairs.length);
      }),
      { numRuns: 500, seed: 20261203 },
    );
  });
});
