/**
 * A canary release with automatic rollback: a share of clients (sticky: the same client
 * always lands on the same arm) goes to a new version's upstreams; the canary arm's error and
 * slow-call rates are watched over a sliding time window, and the first breach of its SLO,
 * once enough calls back it, rolls the canary back for good — no client reaches the canary
 * after that, until someone restores or restarts it.
 *
 * Stickiness is a hash, not a table: `hash(seed, clientKey)` maps a client to a point in
 * [0, 1), and the client is in the canary when the point falls below the weight. Nothing to
 * store, the same answer in every router process with the same seed, and raising the weight
 * only adds clients (a client in the 10 % canary is still in it at 25 %).
 *
 * State machine (readable with `state()`, restorable with `restore()`):
 *
 * ```
 *   canary{weight} ──breach after minSamples──► rolled-back{at, reason}
 *        │
 *        └──promote()──► promoted              (every client on the new version)
 * ```
 *
 * No timers: the window is a ring of time buckets on the injected clock, aged when read.
 *
 * @example
 *   const canary = new Canary({ weight: 0.1, seed: 7, window: 60_000, minSamples: 50, rollback: { errorRate: 0.05 } }, clock);
 *   const arm = canary.assign(clientKey);                 // 'canary' for ~10 % of clients, always the same ones
 *   const upstreams = arm === 'canary' ? ['checkout-v2'] : route.upstreams;
 *   // ... after the call:
 *   canary.record(arm, { ok: res.status < 500, latency: ms });
 *   canary.state();                                        // { kind: 'rolled-back', at, reason: 'error rate 12% over 50 calls > 5%' }
 */
import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { DURATION_PATTERN, parseDuration, parsePercent, PERCENT_PATTERN } from '../../core/units.ts';
import { counting, headerName, region, upstream, type Issue } from '../schema-kit.ts';
import { header, type Headers } from './request.ts';

export type CanaryArm = 'baseline' | 'canary';

export type CanaryState =
  | { kind: 'canary'; weight: number }
  | { kind: 'rolled-back'; at: number; reason: string }
  | { kind: 'promoted'; at: number };

/** When the canary has breached its SLO. Each check that is set can trigger a rollback. */
export interface RollbackRule {
  /** Ceiling on the canary's error rate over the window, a fraction (0.05). */
  errorRate?: number;
  /** Ceiling on the share of canary calls slower than `over` ms. */
  slowCall?: { over: number; rate: number };
  /**
   * Ceiling on how much worse than the baseline the canary may be, in error-rate points
   * (0.02: a 1 % baseline allows 3 %). Judged once both arms have `minSamples` calls; a
   * shared outage raises both arms and does not roll the canary back.
   */
  vsBaseline?: number;
}

export interface CanaryOptions {
  /** Share of clients on the canary, in [0, 1]. */
  weight: number;
  /** Seeds the client hash: a new seed reshuffles who is in the canary. */
  seed: number;
  /** Sliding window the SLO is judged over, ms. */
  window: number;
  /** Time buckets in the window (its resolution). Default 10. */
  buckets?: number;
  /** No verdict before the canary has this many calls in the window. */
  minSamples: number;
  rollback: RollbackRule;
  /** Only clients from these regions take part (`a 10 % canary in us-east`); default all. */
  regions?: readonly string[];
}

/** One finished call: did it succeed (not 5xx, answered), and how long it took in ms. */
export interface CanaryOutcome {
  ok: boolean;
  latency: number;
}

/** One arm's calls in the window. */
export interface ArmStats {
  calls: number;
  errors: number;
  slow: number;
}

export interface CanaryTransition {
  from: CanaryState;
  to: CanaryState;
}

interface Bucket {
  /** Which bucket-width slice of time this slot holds; -1 empty. */
  slice: number;
  calls: number;
  errors: number;
  slow: number;
}

class Window {
  readonly #width: number;
  readonly #ring: Bucket[];

  constructor(window: number, buckets: number) {
    this.#width = window / buckets;
    this.#ring = Array.from({ length: buckets }, () => ({ slice: -1, calls: 0, errors: 0, slow: 0 }));
  }

  add(now: number, error: boolean, slow: boolean): void {
    const slice = Math.floor(now / this.#width);
    const b = this.#ring[slice % this.#ring.length]!;
    if (b.slice !== slice) {
      b.slice = slice;
      b.calls = b.errors = b.slow = 0;
    }
    b.calls++;
    if (error) b.errors++;
    if (slow) b.slow++;
  }

  stats(now: number): ArmStats {
    const current = Math.floor(now / this.#width);
    const out: ArmStats = { calls: 0, errors: 0, slow: 0 };
    for (const b of this.#ring) {
      if (b.slice < 0 || b.slice <= current - this.#ring.length || b.slice > current) continue;
      out.calls += b.calls;
      out.errors += b.errors;
      out.slow += b.slow;
    }
    return out;
  }

  clear(): void {
    for (const b of this.#ring) b.slice = -1;
  }
}

/** Problems with canary options, as `{field, message}`; empty when sound. */
export function canaryOptionProblems(o: CanaryOptions): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (!(o.weight >= 0 && o.weight <= 1)) problems.push({ field: 'weight', message: 'weight must be between 0% and 100%' });
  if (!(o.window > 0)) problems.push({ field: 'window', message: 'window must be more than 0' });
  if (!(Number.isInteger(o.minSamples) && o.minSamples >= 1)) problems.push({ field: 'minSamples', message: 'minSamples must be a whole number ≥ 1' });
  if (o.buckets !== undefined && !(Number.isInteger(o.buckets) && o.buckets >= 1)) problems.push({ field: 'buckets', message: 'buckets must be a whole number ≥ 1' });
  const r = o.rollback;
  if (r.errorRate === undefined && r.slowCall === undefined && r.vsBaseline === undefined) {
    problems.push({ field: 'rollback', message: 'a canary needs at least one rollback check (errorRate, slowCall or vsBaseline), or it can never roll back' });
  }
  for (const [name, v] of [['errorRate', r.errorRate], ['vsBaseline', r.vsBaseline], ['slowCall.rate', r.slowCall?.rate]] as const) {
    if (v !== undefined && !(v >= 0 && v < 1)) problems.push({ field: `rollback.${name}`, message: `${name} must be at least 0% and under 100% (at 100% the canary could never breach it)` });
  }
  if (r.slowCall && !(r.slowCall.over > 0)) problems.push({ field: 'rollback.slowCall.over', message: 'slowCall.over must be more than 0' });
  return problems;
}

const pct = (x: number) => `${+(x * 100).toFixed(2)}%`;

export class Canary {
  readonly options: Readonly<CanaryOptions>;
  readonly #clock: Clock;
  #state: CanaryState;
  readonly #canary: Window;
  readonly #baseline: Window;
  readonly #regions: ReadonlySet<string> | undefined;
  #listeners: Array<(t: CanaryTransition) => void> = [];

  constructor(options: CanaryOptions, clock: Clock, state?: CanaryState) {
    const problems = canaryOptionProblems(options);
    if (problems.length > 0) throw new RangeError(`invalid canary options: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.options = options;
    this.#clock = clock;
    this.#state = state ?? { kind: 'canary', weight: options.weight };
    const buckets = options.buckets ?? 10;
    this.#canary = new Window(options.window, buckets);
    this.#baseline = new Window(options.window, buckets);
    this.#regions = options.regions ? new Set(options.regions) : undefined;
  }

  /**
   * The arm for a client: sticky for a given seed and weight. After a rollback, always
   * `baseline`; after promotion, always `canary`. A client outside `regions` stays on baseline.
   */
  assign(clientKey: string, region?: string): CanaryArm {
    const s = this.#state;
    if (s.kind === 'rolled-back') return 'baseline';
    if (s.kind === 'promoted') return 'canary';
    if (this.#regions && (region === undefined || !this.#regions.has(region))) return 'baseline';
    return stickyPoint(this.options.seed, clientKey) < s.weight ? 'canary' : 'baseline';
  }

  /**
   * Records a finished call on `arm` and judges the canary. Canary calls that finish after a
   * rollback (admitted before it) are dropped. Returns the state after the verdict.
   */
  record(arm: CanaryArm, outcome: CanaryOutcome): CanaryState {
    if (this.#state.kind !== 'canary') return this.#state;
    const now = this.#clock.now();
    const slowOver = this.options.rollback.slowCall?.over;
    (arm === 'canary' ? this.#canary : this.#baseline).add(now, !outcome.ok, slowOver !== undefined && outcome.latency > slowOver);
    const breach = this.breach();
    if (breach) this.#go({ kind: 'rolled-back', at: now, reason: breach });
    return this.#state;
  }

  /** Why the canary breaches its SLO now, or undefined (also below `minSamples`). */
  breach(): string | undefined {
    const now = this.#clock.now();
    const c = this.#canary.stats(now);
    const min = this.options.minSamples;
    if (c.calls < min) return undefined;
    const r = this.options.rollback;
    const errorRate = c.errors / c.calls;
    if (r.errorRate !== undefined && errorRate > r.errorRate) return `error rate ${pct(errorRate)} over ${c.calls} calls > ${pct(r.errorRate)}`;
    if (r.slowCall) {
      const slowRate = c.slow / c.calls;
      if (slowRate > r.slowCall.rate) return `slow calls (> ${r.slowCall.over}ms) ${pct(slowRate)} over ${c.calls} calls > ${pct(r.slowCall.rate)}`;
    }
    if (r.vsBaseline !== undefined) {
      const b = this.#baseline.stats(now);
      if (b.calls >= min) {
        const baseRate = b.errors / b.calls;
        if (errorRate > baseRate + r.vsBaseline) {
          return `error rate ${pct(errorRate)} over ${c.calls} calls > baseline ${pct(baseRate)} over ${b.calls} calls + ${pct(r.vsBaseline)}`;
        }
      }
    }
    return undefined;
  }

  /** Each arm's calls in the current window (for metrics and reports). */
  stats(): { canary: ArmStats; baseline: ArmStats } {
    const now = this.#clock.now();
    return { canary: this.#canary.stats(now), baseline: this.#baseline.stats(now) };
  }

  state(): CanaryState {
    return { ...this.#state };
  }

  /** Puts the canary in `state` (tests, a restart that should remember a rollback); clears the windows. */
  restore(state: CanaryState): void {
    this.#canary.clear();
    this.#baseline.clear();
    this.#go({ ...state });
  }

  /** Changes the canary's share (a ramp: 1 % → 10 % → 50 %); only while it is a canary. */
  setWeight(weight: number): CanaryState {
    if (this.#state.kind === 'canary' && weight >= 0 && weight <= 1) this.#go({ kind: 'canary', weight });
    return this.#state;
  }

  /** Every client to the new version. */
  promote(): CanaryState {
    if (this.#state.kind === 'canary') this.#go({ kind: 'promoted', at: this.#clock.now() });
    return this.#state;
  }

  /** Rolls back by hand (an operator, or an SLO judged elsewhere). */
  rollback(reason: string): CanaryState {
    if (this.#state.kind === 'canary') this.#go({ kind: 'rolled-back', at: this.#clock.now(), reason });
    return this.#state;
  }

  onTransition(listener: (t: CanaryTransition) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  #go(to: CanaryState): void {
    const from = this.#state;
    this.#state = to;
    for (const l of this.#listeners) l({ from: { ...from }, to: { ...to } });
  }
}

/**
 * A client's fixed point in [0, 1): a 53-bit string hash (cyrb53's construction: two
 * multiply-xorshift lanes mixed at the end), seeded. Uniform enough that a share of distinct
 * clients lands within its binomial interval (see the tests).
 */
export function stickyPoint(seed: number, key: string): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)) / 9007199254740992;
}

/**
 * The key a client is kept sticky by: a header (`x-client-id`, a user id a gateway sets)
 * when configured and present, else the client's IP, else `''` (every anonymous client
 * shares one arm — configure a header when clients sit behind one NAT).
 *
 * @example
 *   stickyKey({ headers: { 'x-client-id': 'u-42' }, ip: '10.0.0.1' }, 'x-client-id') // 'u-42'
 */
export function stickyKey(req: { headers: Headers; ip?: string | undefined }, byHeader?: string): string {
  return (byHeader !== undefined ? header(req.headers, byHeader) : undefined) ?? req.ip ?? '';
}

// ---------------------------------------------------------------------------------------
// Config: a route's `canary` section of a router file, and its compile step.

const duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, expected: 'a duration like 250ms or 5s', description });
const percent = (description: string) => Type.String({ pattern: PERCENT_PATTERN, expected: 'a percentage like 2.9%', description });

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
