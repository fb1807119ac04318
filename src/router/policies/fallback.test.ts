import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { CallerAbortedError } from './errors.ts';
import { compileFallback, FallbackChain, FallbackExhaustedError, LastGoodCache, ManualQueue, type FallbackTier } from './fallback.ts';
import { collectIssues, runWithClock } from './testing.ts';

type Behaviour = { kind: 'answer' | 'fail' | 'miss'; after: number } | { kind: 'hang' };

function tier(name: string, local: boolean, b: Behaviour, clock: FakeClock, calls: string[]): FallbackTier<string> {
  return {
    name,
    local,
    async run() {
      calls.push(name);
      if (b.kind === 'hang') return new Promise<never>(() => {}); // ignores its signal, as a stuck call would
      if (!local && b.after > 0) await clock.sleep(b.after);
      if (b.kind === 'fail') throw new Error(`${name} failed`);
      return b.kind === 'answer' ? name : undefined;
    },
  };
}

describe('FallbackChain', () => {
  it('answers from the first tier that answers, never calling the ones after it', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const moved: string[] = [];
    const chain = new FallbackChain(
      [
        tier('primary', false, { kind: 'fail', after: 10 }, clock, calls),
        tier('rules', false, { kind: 'answer', after: 5 }, clock, calls),
        tier('cache', true, { kind: 'answer', after: 0 }, clock, calls),
      ],
      clock,
      { onFallback: (to) => moved.push(to) },
    );
    const r = await runWithClock(clock, chain.execute());
    expect(r).toMatchObject({ value: 'rules', tier: 'rules', index: 1, missed: [{ tier: 'primary', reason: 'error' }] });
    expect(calls).toEqual(['primary', 'rules']);
    expect(moved).toEqual(['rules']);
  });

  it('answers from a local tier at its deadline when the providers are too slow', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const chain = new FallbackChain(
      [tier('primary', false, { kind: 'hang' }, clock, calls), tier('backup', false, { kind: 'answer', after: 1 }, clock, calls), tier('static', true, { kind: 'answer', after: 0 }, clock, calls)],
      clock,
      { deadline: 800 },
    );
    const r = await runWithClock(clock, chain.execute());
    expect(clock.now()).toBe(800);
    expect(r.tier).toBe('static');
    expect(calls).toEqual(['primary', 'static']); // the backup is remote: past the deadline it is skipped
    expect(r.missed.map((m) => `${m.tier}:${m.reason}`)).toEqual(['primary:deadline', 'backup:deadline']);
  });

  it('fails with every miss when no tier answers, and passes a caller abort through', async () => {
    const clock = new FakeClock();
    const chain = new FallbackChain([tier('a', false, { kind: 'fail', after: 1 }, clock, []), tier('cache', true, { kind: 'miss', after: 0 }, clock, [])], clock);
    const err = await runWithClock(clock, chain.execute()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FallbackExhaustedError);
    expect((err as FallbackExhaustedError).missed.map((m) => m.reason)).toEqual(['error', 'miss']);

    const controller = new AbortController();
    const aborting = new FallbackChain<string>(
      [{ name: 'a', local: false, run: async () => Promise.reject(new CallerAbortedError()) }, tier('b', true, { kind: 'answer', after: 0 }, clock, [])],
      clock,
    );
    controller.abort(new CallerAbortedError());
    await expect(aborting.execute({ signal: controller.signal })).rejects.toBeInstanceOf(CallerAbortedError);
  });

  it('answers from the first healthy tier, calls no tier after it, and returns within its deadline, for any tiers', async () => {
    const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
      fc.record({ kind: fc.constantFrom('answer' as const, 'fail' as const, 'miss' as const), after: fc.integer({ min: 0, max: 400 }) }),
      fc.constant({ kind: 'hang' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ local: fc.boolean(), b: behaviour }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined }),
        async (spec, deadline) => {
          // Without a deadline a hung remote tier would hang the chain: only allow hangs under one.
          const tiersSpec = spec.map((t) => (deadline === undefined && t.b.kind === 'hang' ? { ...t, b: { kind: 'fail' as const, after: 1 } } : t));
          const clock = new FakeClock();
          const calls: string[] = [];
          const tiers = tiersSpec.map((t, i) => tier(`t${i}`, t.local, t.local && t.b.kind === 'hang' ? { kind: 'answer', after: 0 } : t.b, clock, calls));
          const chain = new FallbackChain(tiers, clock, deadline === undefined ? {} : { deadline });

          // The specification, walked by hand: time passes only in remote tiers; a remote tier
          // counts only if it ends before the deadline; after the deadline only local tiers run.
          let t = 0;
          let expected: number | undefined;
          const expectedCalls: string[] = [];
          for (let i = 0; i < tiers.length; i++) {
            const s = tiersSpec[i]!;
            const b: Behaviour = s.local && s.b.kind === 'hang' ? { kind: 'answer', after: 0 } : s.b;
            const late = deadline !== undefined && t >= deadline;
            if (late && !s.local) continue;
            expectedCalls.push(`t${i}`);
            const takes = s.local ? 0 : b.kind === 'hang' ? Infinity : b.after;
            if (deadline !== undefined && !late && t + takes >= deadline && !s.local) {
              t = deadline;
              continue; // cut by the deadline
            }
            t += takes;
            if (b.kind === 'answer') {
              expected = i;
              break;
            }
          }

          const started = clock.now();
          const result = await runWithClock(clock, chain.execute(), 1).catch((e: unknown) => e);
          const elapsed = clock.now() - started;
          if (expected === undefined) expect(result).toBeInstanceOf(FallbackExhaustedError);
          else expect(result).toMatchObject({ index: expected, value: `t${expected}` });
          expect(calls).toEqual(expectedCalls);
          // No tier after the one that answered was called.
          if (expected !== undefined) expect(calls.at(-1)).toBe(`t${expected}`);
          if (deadline !== undefined) expect(elapsed).toBeLessThanOrEqual(deadline);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LastGoodCache', () => {
  it('keeps the latest answer per key, bounded and aged', () => {
    const clock = new FakeClock();
    const cache = new LastGoodCache<number>(2, 1_000, clock);
    cache.store('a', 1);
    cache.store('b', 2);
    cache.store('a', 3);
    cache.store('c', 4); // evicts b, the least recently stored
    expect(cache.get('b')).toBeUndefined();
    clock.advance(500);
    expect(cache.get('a')).toEqual({ value: 3, age: 500 });
    clock.advance(500);
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('ManualQueue', () => {
  it('hands out seeded tickets until full', () => {
    const q = new ManualQueue<string>(2, new FakeClock(), seededRng(5));
    const t1 = q.enqueue('x');
    const t2 = q.enqueue('y');
    expect(t1).toMatch(/^q-1-[0-9a-f]{8}$/);
    expect(t2).not.toBe(t1);
    expect(q.enqueue('z')).toBeUndefined();
    expect(q.take()).toMatchObject({ ticket: t1, item: 'x' });
    expect(new ManualQueue<string>(2, new FakeClock(), seededRng(5)).enqueue('x')).toBe(t1);
  });
});

describe('fallback config', () => {
  it('names tiers, fills their defaults, and lets an unnamed upstreams tier take the routed list', () => {
    const { issue, issues } = collectIssues();
    const tiers = [{ tier: 'upstreams' as const }, { tier: 'upstreams' as const, upstreams: ['c'] }, { tier: 'cache' as const }, { tier: 'static' as const, json: { ok: false } }, { tier: 'queue' as const }];
    expect(compileFallback({ tiers }, ['a', 'b'], ['a', 'b', 'c'], ['fallback'], issue).tiers).toEqual([
      { tier: 'upstreams', name: 'a+b', upstreams: ['a', 'b'], routed: true },
      { tier: 'upstreams', name: 'c', upstreams: ['c'], routed: false },
      { tier: 'cache', name: 'cache', maxAge: 300_000, maxEntries: 1000 },
      { tier: 'static', name: 'static', status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"ok":false}' },
      { tier: 'queue', name: 'queue', capacity: 1000 },
    ]);
    expect(issues).toEqual([]);
  });

  it('reports unknown providers, twin names and a chain that never calls a provider', () => {
    const { issue, issues } = collectIssues();
    compileFallback({ tiers: [{ tier: 'cache' }, { tier: 'cache' }] }, ['a'], ['a', 'bb'], ['routes', 0, 'fallback'], issue);
    compileFallback({ tiers: [{ tier: 'upstreams', upstreams: ['betta'] }] }, ['alpha'], ['alpha', 'beta'], ['routes', 1, 'fallback'], issue);
    expect(issues).toEqual([
      'routes.0.fallback.tiers.1: two tiers are named "cache"; give one a `name`',
      'routes.0.fallback.tiers: a fallback chain needs an `upstreams` tier, or the route would never call its providers',
      'routes.1.fallback.tiers.0.upstreams.0: unknown provider "betta" (did you mean beta?)',
    ]);
  });
});
