import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { BreakerSchema, CircuitBreaker, compileBreaker, REJECTED, type BreakerOptions, type BreakerState, type BreakerTransition, type Permit } from './breaker.ts';
import { BrokenCircuitError } from './errors.ts';
import { collectIssues } from './testing.ts';

const options: BreakerOptions = { failureRate: 0.5, window: 10, minimumCalls: 5, openFor: 5_000, halfOpen: { probes: 2, successesToClose: 2 } };

function setup(o: Partial<BreakerOptions> = {}) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ ...options, ...o }, clock);
  const transitions: string[] = [];
  breaker.onStateChange((t) => transitions.push(`${t.from}→${t.to}`));
  const call = (ok: boolean) => {
    const p = breaker.acquire();
    if (p === REJECTED) return 'rejected';
    if (ok) breaker.success(p);
    else breaker.failure(p);
    return 'admitted';
  };
  return { clock, breaker, transitions, call };
}

describe('CircuitBreaker: closed', () => {
  it('opens only once minimumCalls are in the window and the failure rate reaches the threshold', () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 4; i++) call(false);
    expect(breaker.state().kind).toBe('closed'); // 4 of 4 failed, but 4 < minimumCalls
    call(false);
    expect(breaker.state()).toEqual({ kind: 'open', openedAt: 0, until: 5_000, opens: 1 });
  });

  it('stays closed below the threshold', () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 10; i++) call(i % 5 < 3); // 40 % failures
    expect(breaker.state().kind).toBe('closed');
  });

  it('can be tripped by a success: the call that reaches minimumCalls', () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 4; i++) call(false);
    call(true); // 4 of 5 failed
    expect(breaker.state().kind).toBe('open');
  });

  it('judges only the last `window` calls', () => {
    const { breaker, call } = setup({ failureRate: 0.6, minimumCalls: 10 });
    for (let i = 0; i < 10; i++) call(i >= 4); // f f f f s s s s s s: 40 %
    for (let i = 0; i < 4; i++) call(true); // the 4 failures slide out
    for (let i = 0; i < 5; i++) call(false); // 5 of the last 10 fail: 50 % < 60 %
    expect(breaker.state()).toEqual({ kind: 'closed', window: [...Array(5).fill('success'), ...Array(5).fill('failure')] });
    call(false); // 6 of the last 10
    expect(breaker.state().kind).toBe('open');
  });

  it('counts 3 of 10 as 30 % exactly (no float drift at the threshold)', () => {
    const { breaker, call } = setup({ failureRate: 0.3, minimumCalls: 10 });
    for (let i = 0; i < 10; i++) call(i >= 3);
    expect(breaker.state().kind).toBe('open');
  });
});

describe('CircuitBreaker: open and half-open', () => {
  function opened() {
    const s = setup();
    for (let i = 0; i < 5; i++) s.call(false);
    return s;
  }

  it('refuses calls until openFor has passed on the clock, with no timer of its own', () => {
    const { clock, breaker } = opened();
    expect(clock.pending).toBe(0);
    clock.advance(4_999);
    expect(breaker.acquire()).toBe(REJECTED);
    expect(breaker.retryAt()).toBe(5_000);
    clock.advance(1);
    expect(breaker.state()).toEqual({ kind: 'half-open', admitted: 0, successes: 0, opens: 1 });
  });

  it('admits at most `probes` calls while half-open', () => {
    const { clock, breaker } = opened();
    clock.advance(5_000);
    const a = breaker.acquire();
    const b = breaker.acquire();
    expect(a).not.toBe(REJECTED);
    expect(b).not.toBe(REJECTED);
    expect(breaker.acquire()).toBe(REJECTED);
    expect(breaker.isCallPermitted()).toBe(false);
  });

  it('closes only after successesToClose successful probes', () => {
    const { clock, breaker, transitions } = opened();
    clock.advance(5_000);
    const a = breaker.acquire();
    const b = breaker.acquire();
    breaker.success(a);
    expect(breaker.state().kind).toBe('half-open');
    breaker.success(b);
    expect(breaker.state()).toEqual({ kind: 'closed', window: [] });
    expect(transitions).toEqual(['closed→open', 'open→half-open', 'half-open→closed']);
  });

  it('reopens on a failed probe, for a fresh openFor', () => {
    const { clock, breaker, transitions } = opened();
    clock.advance(6_000);
    const a = breaker.acquire();
    const b = breaker.acquire();
    breaker.success(a);
    breaker.failure(b);
    expect(breaker.state()).toEqual({ kind: 'open', openedAt: 6_000, until: 11_000, opens: 2 });
    expect(transitions.at(-1)).toBe('half-open→open');
  });

  it('ignores a late result from before the breaker opened: it is not a probe', () => {
    const { clock, breaker, call } = setup();
    const slow = breaker.acquire(); // admitted while closed
    for (let i = 0; i < 5; i++) call(false);
    clock.advance(5_000);
    expect(breaker.state().kind).toBe('half-open');
    breaker.success(slow);
    breaker.success(slow);
    expect(breaker.state()).toEqual({ kind: 'half-open', admitted: 0, successes: 0, opens: 1 });
  });

  it('hands a released probe slot back, so half-open cannot wedge', () => {
    const { clock, breaker } = opened();
    clock.advance(5_000);
    const a = breaker.acquire();
    const b = breaker.acquire();
    breaker.release(a);
    breaker.release(b);
    expect(breaker.isCallPermitted()).toBe(true);
    breaker.success(breaker.acquire());
    breaker.success(breaker.acquire());
    expect(breaker.state().kind).toBe('closed');
  });
});

describe('CircuitBreaker: execute, state and restore', () => {
  it('throws BrokenCircuitError with the time it will probe again', async () => {
    const { breaker, clock } = setup();
    breaker.restore({ kind: 'open', openedAt: 0, until: 5_000 });
    const err = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokenCircuitError);
    expect((err as BrokenCircuitError).retryAt).toBe(5_000);
    clock.advance(5_000);
    await expect(breaker.execute(async () => 1)).resolves.toBe(1);
  });

  it('judges outcomes with the given predicate, and releases when the caller aborted', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ ...options, minimumCalls: 4, window: 4 }, clock, {
      result: (r) => (r as { status: number }).status >= 500,
      error: (e) => !(e instanceof TypeError),
    });
    await breaker.execute(async () => ({ status: 503 }));
    await breaker.execute(async () => Promise.reject(new TypeError('not the provider’s fault'))).catch(() => {});
    expect(breaker.state()).toEqual({ kind: 'closed', window: ['failure', 'success'] });
    const controller = new AbortController();
    controller.abort();
    await breaker.execute(async () => Promise.reject(new Error('aborted')), { signal: controller.signal }).catch(() => {});
    expect(breaker.state()).toEqual({ kind: 'closed', window: ['failure', 'success'] });
  });

  it('reads out and restores every state', () => {
    const { breaker } = setup();
    const states: BreakerState[] = [
      { kind: 'closed', window: ['success', 'failure', 'failure'] },
      { kind: 'open', openedAt: 10, until: 5_010, opens: 1 },
      { kind: 'half-open', admitted: 1, successes: 0, opens: 3 },
    ];
    for (const s of states) {
      breaker.restore(s);
      expect(breaker.state()).toEqual(s);
    }
  });

  it('rejects options under which it could never open or close', () => {
    const clock = new FakeClock();
    expect(() => new CircuitBreaker({ ...options, minimumCalls: 11 }, clock)).toThrow(/could never open/);
    expect(() => new CircuitBreaker({ ...options, halfOpen: { probes: 1, successesToClose: 2 } }, clock)).toThrow(/could never close/);
    expect(() => new CircuitBreaker({ ...options, failureRate: 0 }, clock)).toThrow(/failureRate/);
  });
});

describe('CircuitBreaker: time-based window', () => {
  const timeOptions: BreakerOptions = { failureRate: 0.1, windowType: 'time', window: 30_000, buckets: 30, minimumCalls: 10, openFor: 5_000, halfOpen: { probes: 1, successesToClose: 1 } };

  it('opens on more than 10 % failures over 30 s, counting only calls inside the window', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker(timeOptions, clock);
    const call = (ok: boolean) => (ok ? breaker.success(breaker.acquire()) : breaker.failure(breaker.acquire()));
    call(false); // at 0
    clock.advance(31_000); // that failure has slid out of the window
    for (let i = 0; i < 9; i++) call(true);
    call(false); // 1 of 10 in the window: 10 % reaches the threshold
    expect(breaker.state().kind).toBe('open');

    // The same, with the first failure still inside the window, opens one call earlier.
    const b2 = new CircuitBreaker(timeOptions, new FakeClock());
    for (let i = 0; i < 8; i++) b2.success(b2.acquire());
    b2.failure(b2.acquire());
    expect(b2.metrics()).toEqual({ calls: 9, failures: 1, slowCalls: 0, failureRate: 1 / 9, slowCallRate: 0 });
    expect(b2.state().kind).toBe('closed'); // 9 < minimumCalls, whatever the rate
  });

  it('reads out and restores its buckets', () => {
    const clock = new FakeClock(100_000);
    const breaker = new CircuitBreaker(timeOptions, clock);
    breaker.failure(breaker.acquire());
    clock.advance(1_500);
    breaker.success(breaker.acquire());
    breaker.success(breaker.acquire());
    const state = breaker.state();
    expect(state).toEqual({
      kind: 'closed',
      window: [],
      buckets: [
        { at: 100_000, calls: 1, failures: 1, slowCalls: 0 },
        { at: 101_000, calls: 2, failures: 0, slowCalls: 0 },
      ],
    });
    const copy = new CircuitBreaker(timeOptions, clock);
    copy.restore(state);
    expect(copy.state()).toEqual(state);
    expect(() => copy.restore({ kind: 'closed', window: ['failure'] })).toThrow(/time window/);
  });

  it('opens on the slow-call rate, and a slow probe reopens it', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ ...timeOptions, failureRate: 1, minimumCalls: 4, slowCall: { duration: 1_000, rate: 0.5 } }, clock);
    breaker.success(breaker.acquire(), 200);
    breaker.success(breaker.acquire(), 1_000); // not slow: slow means longer than the duration
    breaker.success(breaker.acquire(), 1_001);
    expect(breaker.metrics().slowCalls).toBe(1);
    breaker.success(breaker.acquire(), 5_000); // 2 of 4 slow
    expect(breaker.state().kind).toBe('open');
    clock.advance(5_000);
    breaker.success(breaker.acquire(), 2_000);
    expect(breaker.state()).toMatchObject({ kind: 'open', opens: 2 });
  });

  it('measures slow calls itself when run through execute', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ ...options, minimumCalls: 2, window: 2, failureRate: 1, slowCall: { duration: 100, rate: 1 } }, clock);
    const slow = () => breaker.execute(() => clock.sleep(150));
    const p1 = slow();
    clock.advance(150);
    await p1;
    const p2 = slow();
    clock.advance(150);
    await p2;
    expect(breaker.state().kind).toBe('open');
  });
});

describe('CircuitBreaker: growing open wait', () => {
  it('waits openFor · multiplierⁿ⁻¹ for the n-th opening in a row, capped, and starts over once closed', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ ...options, window: 1, minimumCalls: 1, openFor: 1_000, openBackoff: { multiplier: 2, max: 5_000 }, halfOpen: { probes: 1, successesToClose: 1 } }, clock);
    breaker.failure(breaker.acquire());
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = breaker.state() as { until: number; openedAt: number };
      waits.push(s.until - s.openedAt);
      clock.advance(s.until - clock.now());
      breaker.failure(breaker.acquire()); // the probe fails
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    clock.advance(5_000);
    breaker.success(breaker.acquire()); // a good probe closes it
    breaker.failure(breaker.acquire());
    expect(breaker.state()).toMatchObject({ kind: 'open', opens: 1, until: clock.now() + 1_000 });
  });

  it('rejects an openBackoff that could shrink the wait', () => {
    const clock = new FakeClock();
    expect(() => new CircuitBreaker({ ...options, openBackoff: { multiplier: 0.5, max: 60_000 } }, clock)).toThrow(/multiplier/);
    expect(() => new CircuitBreaker({ ...options, openBackoff: { multiplier: 2, max: 1_000 } }, clock)).toThrow(/shorter than openFor/);
  });
});

// ---------------------------------------------------------------------------------------
// Model-based: random interleavings of calls starting, finishing (after random durations)
// and time passing, for random options (count or time window, with and without slow calls
// and a growing open wait), checked against a plain model of the specification (arrays of
// every call, no ring buffer, no buckets kept incrementally) and against invariants no
// sequence may break.

interface ModelCall {
  t: number;
  failed: boolean;
  slow: boolean;
}

interface Model {
  kind: 'closed' | 'open' | 'half-open';
  calls: ModelCall[]; // closed: every recorded call since the window was last reset
  until: number;
  opens: number;
  admitted: number;
  successes: number;
  epoch: number;
  now: number;
}

interface Real {
  clock: FakeClock;
  breaker: CircuitBreaker;
  held: Array<{ permit: Permit; epoch: number; since: number }>;
  transitions: BreakerTransition[];
  /** Successful probe completions since the last open→half-open. */
  probeSuccesses: number;
}

/** The calls the window holds now: the last `window` calls, or those in the current and the previous buckets − 1 buckets. */
function inWindow(m: Model, o: BreakerOptions): ModelCall[] {
  if (o.windowType !== 'time') return m.calls.slice(-o.window);
  const width = o.window / (o.buckets ?? 10);
  const current = Math.floor(m.now / width);
  return m.calls.filter((c) => Math.floor(c.t / width) > current - (o.buckets ?? 10));
}

function refresh(m: Model): void {
  if (m.kind === 'open' && m.now >= m.until) Object.assign(m, { kind: 'half-open', admitted: 0, successes: 0, epoch: m.epoch + 1 });
}
function open(m: Model, o: BreakerOptions): void {
  const opens = m.opens + 1;
  const wait = o.openBackoff ? Math.min(o.openBackoff.max, o.openFor * o.openBackoff.multiplier ** (opens - 1)) : o.openFor;
  Object.assign(m, { kind: 'open', until: m.now + wait, opens, calls: [], epoch: m.epoch + 1 });
}

function check(m: Model, r: Real, o: BreakerOptions): void {
  refresh(m);
  const s = r.breaker.state();
  expect(s.kind).toBe(m.kind);
  if (s.kind === 'closed') {
    const w = inWindow(m, o);
    const expected = { calls: w.length, failures: w.filter((c) => c.failed).length, slowCalls: w.filter((c) => c.slow).length };
    expect(r.breaker.metrics()).toMatchObject(expected);
    if (o.windowType !== 'time') expect(s.window).toEqual(w.map((c) => (c.slow ? 'slow-' : '') + (c.failed ? 'failure' : 'success')));
  }
  if (s.kind === 'open') expect(s).toEqual({ kind: 'open', openedAt: expect.any(Number), until: m.until, opens: m.opens });
  if (s.kind === 'half-open') {
    expect(s.admitted).toBeLessThanOrEqual(o.halfOpen.probes);
    expect(s).toEqual({ kind: 'half-open', admitted: m.admitted, successes: m.successes, opens: m.opens });
    // Never more probes in flight than configured.
    expect(r.held.filter((h) => h.epoch === m.epoch).length).toBeLessThanOrEqual(o.halfOpen.probes);
  }
}

class Acquire implements fc.Command<Model, Real> {
  readonly o: BreakerOptions;
  constructor(o: BreakerOptions) {
    this.o = o;
  }
  check = () => true;
  run(m: Model, r: Real): void {
    refresh(m);
    const permit = r.breaker.acquire();
    const admit = m.kind === 'closed' || (m.kind === 'half-open' && m.admitted < this.o.halfOpen.probes);
    expect(permit !== REJECTED).toBe(admit);
    if (admit) {
      if (m.kind === 'half-open') m.admitted++;
      r.held.push({ permit, epoch: m.epoch, since: m.now });
    }
    check(m, r, this.o);
  }
  toString = () => 'acquire';
}

class Finish implements fc.Command<Model, Real> {
  readonly o: BreakerOptions;
  readonly index: number;
  readonly outcome: 'success' | 'failure' | 'release';
  constructor(o: BreakerOptions, index: number, outcome: 'success' | 'failure' | 'release') {
    this.o = o;
    this.index = index;
    this.outcome = outcome;
  }
  check = () => true;
  run(m: Model, r: Real): void {
    if (r.held.length === 0) return;
    const o = this.o;
    const [call] = r.held.splice(this.index % r.held.length, 1);
    refresh(m);
    const before = m.kind;
    const duration = m.now - call!.since;
    const slow = o.slowCall !== undefined && duration > o.slowCall.duration;
    if (this.outcome === 'release') r.breaker.release(call!.permit);
    else r.breaker[this.outcome](call!.permit, duration);
    if (call!.epoch === m.epoch) {
      if (m.kind === 'closed' && this.outcome !== 'release') {
        m.calls.push({ t: m.now, failed: this.outcome === 'failure', slow });
        const w = inWindow(m, o);
        const failures = w.filter((c) => c.failed).length;
        const slows = w.filter((c) => c.slow).length;
        if (w.length >= o.minimumCalls && (failures / w.length >= o.failureRate || (o.slowCall !== undefined && slows / w.length >= o.slowCall.rate))) open(m, o);
      } else if (m.kind === 'half-open') {
        if (this.outcome === 'release') m.admitted--;
        else if (this.outcome === 'failure' || slow) open(m, o);
        else if (++m.successes >= o.halfOpen.successesToClose) Object.assign(m, { kind: 'closed', calls: [], opens: 0, epoch: m.epoch + 1 });
        if (this.outcome === 'success' && !slow) r.probeSuccesses++;
      }
    }
    // Open → closed only through half-open, after enough successful probes.
    if (before === 'half-open' && m.kind === 'closed') expect(r.probeSuccesses).toBeGreaterThanOrEqual(o.halfOpen.successesToClose);
    check(m, r, o);
  }
  toString = () => `finish(${this.index}, ${this.outcome})`;
}

class Advance implements fc.Command<Model, Real> {
  readonly o: BreakerOptions;
  readonly ms: number;
  constructor(o: BreakerOptions, ms: number) {
    this.o = o;
    this.ms = ms;
  }
  check = () => true;
  run(m: Model, r: Real): void {
    r.clock.advance(this.ms);
    m.now += this.ms;
    check(m, r, this.o);
  }
  toString = () => `advance(${this.ms})`;
}

/** Options a breaker may be given: count or time windows, optionally slow calls and a growing wait. */
const breakerOptions: fc.Arbitrary<BreakerOptions> = fc
  .record({
    time: fc.boolean(),
    failureRate: fc.constantFrom(0.1, 0.25, 0.5, 1),
    count: fc.integer({ min: 1, max: 8 }),
    windowMs: fc.integer({ min: 200, max: 5_000 }),
    buckets: fc.integer({ min: 1, max: 10 }),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    openFor: fc.integer({ min: 1, max: 1_500 }),
    backoff: fc.option(fc.record({ multiplier: fc.constantFrom(1, 1.5, 2, 3), extra: fc.integer({ min: 0, max: 4_000 }) }), { nil: undefined }),
    slow: fc.option(fc.record({ duration: fc.integer({ min: 1, max: 600 }), rate: fc.constantFrom(0.2, 0.5, 1) }), { nil: undefined }),
    probes: fc.integer({ min: 1, max: 3 }),
    toClose: fc.integer({ min: 1, max: 3 }),
  })
  .map((g): BreakerOptions => ({
    failureRate: g.failureRate,
    ...(g.time ? { windowType: 'time' as const, window: g.windowMs, buckets: g.buckets } : { window: g.count }),
    minimumCalls: g.time ? g.minimumCalls : Math.min(g.minimumCalls, g.count),
    openFor: g.openFor,
    ...(g.backoff && { openBackoff: { multiplier: g.backoff.multiplier, max: g.openFor + g.backoff.extra } }),
    ...(g.slow && { slowCall: g.slow }),
    halfOpen: { probes: g.probes, successesToClose: Math.min(g.toClose, g.probes) },
  }));

describe('CircuitBreaker: model-based', () => {
  it('matches the model and keeps its invariants under any interleaving, for count and time windows', () => {
    const scenario = breakerOptions.chain((o) =>
      fc.tuple(
        fc.constant(o),
        fc.commands(
          [
            fc.constant(new Acquire(o)),
            fc.tuple(fc.nat(20), fc.constantFrom<'success' | 'failure' | 'release'>('success', 'failure', 'failure', 'release')).map(([i, r]) => new Finish(o, i, r)),
            fc.integer({ min: 1, max: 1_200 }).map((ms) => new Advance(o, ms)),
          ],
          // 'large': about a hundred commands per run, enough to cycle through every state several times.
          { maxCommands: 200, size: 'large' },
        ),
      ),
    );
    fc.assert(
      fc.property(scenario, ([o, cmds]) => {
        const clock = new FakeClock();
        const breaker = new CircuitBreaker(o, clock);
        const real: Real = { clock, breaker, held: [], transitions: [], probeSuccesses: 0 };
        breaker.onStateChange((t) => {
          real.transitions.push(t);
          if (t.to === 'half-open') real.probeSuccesses = 0;
        });
        const model: Model = { kind: 'closed', calls: [], until: 0, opens: 0, admitted: 0, successes: 0, epoch: 0, now: 0 };
        fc.modelRun(() => ({ model, real }), cmds);
        // Only the edges of the state machine ever happen: never closed→half-open, never open→closed.
        for (const t of real.transitions) expect(['closed→open', 'open→half-open', 'half-open→closed', 'half-open→open']).toContain(`${t.from}→${t.to}`);
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('opens exactly when the window holds minimumCalls and a rate reaches its threshold (closed-state property)', () => {
    fc.assert(
      fc.property(
        breakerOptions,
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 800 }), failed: fc.boolean(), duration: fc.integer({ min: 0, max: 800 }) }), { maxLength: 60 }),
        (o, script) => {
          const clock = new FakeClock();
          const breaker = new CircuitBreaker(o, clock);
          const m: Model = { kind: 'closed', calls: [], until: 0, opens: 0, admitted: 0, successes: 0, epoch: 0, now: 0 };
          for (const step of script) {
            clock.advance(step.gap);
            m.now = clock.now();
            const p = breaker.acquire();
            if (step.failed) breaker.failure(p, step.duration);
            else breaker.success(p, step.duration);
            m.calls.push({ t: m.now, failed: step.failed, slow: o.slowCall !== undefined && step.duration > o.slowCall.duration });
            const w = inWindow(m, o);
            const breached = w.filter((c) => c.failed).length / w.length >= o.failureRate || (o.slowCall !== undefined && w.filter((c) => c.slow).length / w.length >= o.slowCall.rate);
            const opened = breaker.state().kind === 'open';
            expect(opened).toBe(w.length >= o.minimumCalls && breached);
            if (opened) return; // from here on it is the model test's business
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('breaker config', () => {
  it('compiles a count window to calls and a time window to ms in buckets, defaults filled', () => {
    const { issue, issues } = collectIssues();
    expect(compileBreaker({ failureRate: '50%', window: 20, openFor: '5s' }, ['breaker'], issue)).toEqual({
      failureRate: 0.5,
      window: 20,
      minimumCalls: 20,
      openFor: 5_000,
      halfOpen: { probes: 1, successesToClose: 1 },
      failureOn: ['5xx', 'network', 'timeout'],
    });
    expect(compileBreaker({ failureRate: '10%', window: '30s', openFor: '1s', halfOpen: { probes: 3 }, failureOn: ['5xx', 429] }, ['breaker'], issue)).toMatchObject({
      windowType: 'time',
      window: 30_000,
      buckets: 10,
      minimumCalls: 100,
      halfOpen: { probes: 3, successesToClose: 3 },
      failureOn: ['5xx', '429'],
    });
    expect(issues).toEqual([]);
  });

  it('reports what the constructor would throw on at its field, and compiles nothing then', () => {
    const { issue, issues } = collectIssues();
    expect(compileBreaker({ failureRate: '50%', window: 10, minimumCalls: 20, openFor: '1s', halfOpen: { probes: 1, successesToClose: 2 } }, ['providers', 'a', 'breaker'], issue)).toBeUndefined();
    expect(issues).toEqual([
      'providers.a.breaker.minimumCalls: minimumCalls (20) exceeds window (10): the breaker could never open',
      'providers.a.breaker.halfOpen.successesToClose: halfOpen.successesToClose (2) exceeds halfOpen.probes (1): the breaker could never close',
    ]);
  });

  it('reports buckets on a count window but still compiles it', () => {
    const { issue, issues } = collectIssues();
    expect(compileBreaker({ failureRate: '50%', window: 10, buckets: 5, openFor: '1s' }, ['breaker'], issue)).toBeDefined();
    expect(issues).toEqual(['breaker.buckets: buckets apply to a time window (window: 30s) only']);
    expect(Object.keys(BreakerSchema.properties)).toContain('openBackoff');
  });
});
