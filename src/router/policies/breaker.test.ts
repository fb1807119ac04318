import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { CircuitBreaker, REJECTED, type BreakerOptions, type BreakerState, type BreakerTransition, type Permit } from './breaker.ts';
import { BrokenCircuitError } from './errors.ts';

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
    expect(breaker.state()).toMatchObject({ kind: 'open', openedAt: 0, until: 5_000 });
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
    expect(breaker.state()).toEqual({ kind: 'half-open', admitted: 0, successes: 0 });
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
    expect(breaker.state()).toEqual({ kind: 'open', openedAt: 6_000, until: 11_000 });
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
    expect(breaker.state()).toEqual({ kind: 'half-open', admitted: 0, successes: 0 });
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
      { kind: 'open', openedAt: 10, until: 5_010 },
      { kind: 'half-open', admitted: 1, successes: 0 },
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

// ---------------------------------------------------------------------------------------
// Model-based: random interleavings of calls starting, finishing and time passing, checked
// against a plain model of the specification (arrays, no ring buffer, no cleverness) and
// against invariants no sequence may break.

interface Model {
  kind: 'closed' | 'open' | 'half-open';
  outcomes: boolean[]; // closed: failures as true, oldest first, all of them
  until: number;
  admitted: number;
  successes: number;
  epoch: number;
  now: number;
}

interface Real {
  clock: FakeClock;
  breaker: CircuitBreaker;
  held: Array<{ permit: Permit; epoch: number }>;
  transitions: BreakerTransition[];
  /** Successful probe completions since the last open→half-open. */
  probeSuccesses: number;
}

const O: BreakerOptions = { failureRate: 0.5, window: 6, minimumCalls: 4, openFor: 1_000, halfOpen: { probes: 3, successesToClose: 2 } };

function refresh(m: Model): void {
  if (m.kind === 'open' && m.now >= m.until) Object.assign(m, { kind: 'half-open', admitted: 0, successes: 0, epoch: m.epoch + 1 });
}
function open(m: Model): void {
  Object.assign(m, { kind: 'open', until: m.now + O.openFor, outcomes: [], epoch: m.epoch + 1 });
}

function check(m: Model, r: Real): void {
  refresh(m);
  const s = r.breaker.state();
  expect(s.kind).toBe(m.kind);
  if (s.kind === 'closed') expect(s.window).toEqual(m.outcomes.slice(-O.window).map((f) => (f ? 'failure' : 'success')));
  if (s.kind === 'open') expect(s.until).toBe(m.until);
  if (s.kind === 'half-open') {
    expect(s.admitted).toBeLessThanOrEqual(O.halfOpen.probes);
    expect(s).toEqual({ kind: 'half-open', admitted: m.admitted, successes: m.successes });
  }
}

class Acquire implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    refresh(m);
    const permit = r.breaker.acquire();
    const admit = m.kind === 'closed' || (m.kind === 'half-open' && m.admitted < O.halfOpen.probes);
    expect(permit !== REJECTED).toBe(admit);
    if (admit) {
      if (m.kind === 'half-open') m.admitted++;
      r.held.push({ permit, epoch: m.epoch });
    }
    check(m, r);
  }
  toString = () => 'acquire';
}

class Finish implements fc.Command<Model, Real> {
  readonly index: number;
  readonly outcome: 'success' | 'failure' | 'release';
  constructor(index: number, outcome: 'success' | 'failure' | 'release') {
    this.index = index;
    this.outcome = outcome;
  }
  check = () => true;
  run(m: Model, r: Real): void {
    if (r.held.length === 0) return;
    const [call] = r.held.splice(this.index % r.held.length, 1);
    refresh(m);
    const before = m.kind;
    r.breaker[this.outcome](call!.permit);
    if (call!.epoch === m.epoch) {
      if (m.kind === 'closed' && this.outcome !== 'release') {
        m.outcomes.push(this.outcome === 'failure');
        const w = m.outcomes.slice(-O.window);
        if (w.length >= O.minimumCalls && w.filter(Boolean).length / w.length >= O.failureRate) open(m);
      } else if (m.kind === 'half-open') {
        if (this.outcome === 'release') m.admitted--;
        else if (this.outcome === 'failure') open(m);
        else if (++m.successes >= O.halfOpen.successesToClose) Object.assign(m, { kind: 'closed', outcomes: [], epoch: m.epoch + 1 });
        if (this.outcome === 'success') r.probeSuccesses++;
      }
    }
    if (before === 'half-open' && m.kind === 'closed') expect(r.probeSuccesses).toBeGreaterThanOrEqual(O.halfOpen.successesToClose);
    check(m, r);
  }
  toString = () => `finish(${this.index}, ${this.outcome})`;
}

class Advance implements fc.Command<Model, Real> {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  check = () => true;
  run(m: Model, r: Real): void {
    r.clock.advance(this.ms);
    m.now += this.ms;
    check(m, r);
  }
  toString = () => `advance(${this.ms})`;
}

describe('CircuitBreaker: model-based', () => {
  it('matches the model and keeps its invariants under any interleaving', () => {
    const commands = fc.commands(
      [
        fc.constant(new Acquire()),
        fc.tuple(fc.nat(20), fc.constantFrom<'success' | 'failure' | 'release'>('success', 'failure', 'failure', 'release')).map(([i, o]) => new Finish(i, o)),
        fc.integer({ min: 1, max: 1_200 }).map((ms) => new Advance(ms)),
      ],
      // 'large': about a hundred commands per run, enough to cycle through every state several times.
      { maxCommands: 200, size: 'large' },
    );
    fc.assert(
      fc.property(commands, (cmds) => {
        const clock = new FakeClock();
        const breaker = new CircuitBreaker(O, clock);
        const real: Real = { clock, breaker, held: [], transitions: [], probeSuccesses: 0 };
        breaker.onStateChange((t) => {
          real.transitions.push(t);
          if (t.to === 'half-open') real.probeSuccesses = 0;
        });
        const model: Model = { kind: 'closed', outcomes: [], until: 0, admitted: 0, successes: 0, epoch: 0, now: 0 };
        fc.modelRun(() => ({ model, real }), cmds);
        // Only the edges of the state machine ever happen: never closed→half-open, never open→closed.
        for (const t of real.transitions) expect(['closed→open', 'open→half-open', 'half-open→closed', 'half-open→open']).toContain(`${t.from}→${t.to}`);
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
