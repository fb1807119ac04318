import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { parseDuration, parsePercent } from '../../core/units.ts';
import { duration, percent, PROVIDER_NAME_PATTERN, reportProblems, type ConfigPath, type Issue } from '../schema-kit.ts';
import { LoadShedError } from './errors.ts';
import type { Gate } from './gate.ts';
import type { Policy, PolicyContext } from './policy.ts';

/**
 * Request priorities, highest first: the Google SRE book's criticalities ("Handling
 * Overload": CRITICAL_PLUS, CRITICAL, SHEDDABLE_PLUS, SHEDDABLE), CRITICAL the default.
 */
export const CRITICALITIES = ['critical-plus', 'critical', 'sheddable-plus', 'sheddable'] as const;

/**
 * The share of capacity at which each criticality starts being shed: sheddable traffic goes
 * first, at half the in-flight limit; critical traffic only at the limit itself.
 */
export const DEFAULT_SHED_AT: Readonly<Record<string, number>> = { 'critical-plus': 1, critical: 1, 'sheddable-plus': 0.75, sheddable: 0.5 };

export interface LoadShedOptions {
  /** Priorities, highest first. Default: the SRE criticalities. */
  priorities?: readonly string[];
  /** Priority of a request that names none (or an unknown one). Default `critical`, or the second-highest. */
  defaultPriority?: string;
  /** Priority → share of capacity in (0, 1] at which it is shed. Default `DEFAULT_SHED_AT`; 1 for names it lacks. */
  shedAt?: Readonly<Record<string, number>>;
  /** Capacity: requests in flight through this shedder. */
  maxInFlight?: number;
  /**
   * Capacity: the queueing delay bulkheads report, ms. Like CoDel (Nichols & Jacobson, 2012)
   * it looks at the *minimum* delay over the last `interval`: a standing queue, not a burst.
   */
  maxQueueDelay?: number;
  /** CoDel's interval, ms. Default 100. */
  interval?: number;
}

export interface LoadShedState {
  inFlight: number;
  /** The minimum queueing delay over the last complete interval, ms (0 with no queue). */
  queueDelay: number;
}

/**
 * Load shedding by priority: when the router is overloaded — too many requests in flight, or
 * a standing queue in front of its bulkheads — it drops low-priority requests first, at once
 * and cheaply, so the capacity left goes to the important ones and they stay within their SLO.
 *
 * Load is a share of capacity, `max(inFlight / maxInFlight, queueDelay / maxQueueDelay)`; a
 * request of priority p is admitted while its own admission keeps the in-flight share within
 * `shedAt[p]` and the delay share below it. The success path is two counter updates; the
 * delay signal is updated by the bulkheads, not per request here.
 *
 * @example
 *   const shedder = new LoadShedder({ maxInFlight: 200 }, clock, (p) => metrics.shed(p));
 *   await shedder.execute(fn, { priority: 'sheddable' });
 */
export class LoadShedder implements Policy, Gate {
  readonly priorities: readonly string[];
  readonly defaultPriority: string;
  readonly #shedAt: Map<string, number>;
  readonly #maxInFlight: number;
  readonly #maxDelay: number;
  readonly #interval: number;
  readonly #clock: Clock;
  readonly #onShed: ((priority: string) => void) | undefined;
  #inFlight = 0;
  // CoDel-style minimum over fixed intervals: the current one and the last complete one.
  #intervalIndex = -Infinity;
  #minNow = Infinity;
  #minLast = 0;

  constructor(options: LoadShedOptions, clock: Clock, onShed?: (priority: string) => void) {
    for (const p of loadShedOptionProblems(options)) throw new RangeError(p.message);
    this.priorities = options.priorities ?? CRITICALITIES;
    this.defaultPriority = options.defaultPriority ?? this.priorities[Math.min(1, this.priorities.length - 1)]!;
    const shedAt = options.shedAt ?? DEFAULT_SHED_AT;
    this.#shedAt = new Map(this.priorities.map((p) => [p, shedAt[p] ?? 1]));
    this.#maxInFlight = options.maxInFlight ?? Infinity;
    this.#maxDelay = options.maxQueueDelay ?? Infinity;
    this.#interval = options.interval ?? 100;
    this.#clock = clock;
    this.#onShed = onShed;
  }

  /** A known priority, or the default for anything else (a missing or misspelt header). */
  priorityOf(name: string | undefined): string {
    return name !== undefined && this.#shedAt.has(name) ? name : this.defaultPriority;
  }

  /**
   * A request's priority when it asks for `asked` (a header) on a route of priority `own`.
   * Only a trusted proxy (the edge that sets the header) can raise it; a client can only
   * lower its own, so claiming `critical-plus` cannot carry a batch job through an overload.
   */
  requested(asked: string | undefined, own: string | undefined, trusted: boolean): string {
    const base = this.priorityOf(own);
    if (asked === undefined) return base;
    const wanted = this.priorityOf(asked);
    if (trusted) return wanted;
    // Lower means later in the list (highest first).
    return this.priorities.indexOf(wanted) > this.priorities.indexOf(base) ? wanted : base;
  }

  state(): LoadShedState {
    return { inFlight: this.#inFlight, queueDelay: this.#queueDelay() };
  }

  /** A queued call waited `ms` (0 when it found a free slot): the queueing-delay signal. */
  observeQueueDelay(ms: number): void {
    if (this.#maxDelay === Infinity) return;
    this.#roll();
    if (ms < this.#minNow) this.#minNow = ms;
  }

  /** Why a request of `priority` would be shed now; undefined when it would be admitted. */
  verdict(priority: string): string | undefined {
    const at = this.#shedAt.get(priority) ?? 1;
    if (this.#inFlight + 1 > at * this.#maxInFlight) return `${this.#inFlight} requests in flight (sheds ${priority} above ${Math.floor(at * this.#maxInFlight)})`;
    if (this.#maxDelay !== Infinity) {
      const delay = this.#queueDelay();
      if (delay >= at * this.#maxDelay) return `queueing delay ${delay.toFixed(1)}ms (sheds ${priority} from ${(at * this.#maxDelay).toFixed(1)}ms)`;
    }
    return undefined;
  }

  async execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    this.enter(ctx);
    try {
      return await fn(ctx);
    } finally {
      this.#inFlight--;
    }
  }

  /** Gate: admits the request (counted in flight until it settles), or throws `LoadShedError`. */
  enter(ctx: PolicyContext): number {
    const priority = this.priorityOf(ctx.priority);
    const why = this.verdict(priority);
    if (why !== undefined) {
      this.#onShed?.(priority);
      throw new LoadShedError(priority, why);
    }
    this.#inFlight++;
    return 0;
  }

  readonly timing = undefined;

  returned(): void {
    this.#inFlight--;
  }

  threw(): void {
    this.#inFlight--;
  }

  #roll(): void {
    const i = Math.floor(this.#clock.now() / this.#interval);
    if (i === this.#intervalIndex) return;
    // An interval without a single observation had no queue to speak of.
    this.#minLast = i === this.#intervalIndex + 1 && this.#minNow !== Infinity ? this.#minNow : 0;
    this.#minNow = Infinity;
    this.#intervalIndex = i;
  }

  #queueDelay(): number {
    this.#roll();
    return this.#minLast;
  }
}

// ---------------------------------------------------------------------------------------
// Config: the options' checks (the constructor throws on them, the config reports them at
// their lines), the router's `loadShedding` section, and its compile step.

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function loadShedOptionProblems(o: LoadShedOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const priorities = o.priorities ?? CRITICALITIES;
  if (priorities.length === 0) out.push({ field: 'priorities', message: 'name at least one priority' });
  if (new Set(priorities).size !== priorities.length) out.push({ field: 'priorities', message: 'a priority is listed twice' });
  if (o.defaultPriority !== undefined && !priorities.includes(o.defaultPriority)) {
    out.push({ field: 'defaultPriority', message: `defaultPriority ${JSON.stringify(o.defaultPriority)} is not one of ${priorities.join(', ')}` });
  }
  for (const [p, at] of Object.entries(o.shedAt ?? {})) {
    if (!priorities.includes(p)) out.push({ field: `shedAt.${p}`, message: `${JSON.stringify(p)} is not one of the priorities (${priorities.join(', ')})` });
    else if (!(at > 0 && at <= 1)) out.push({ field: `shedAt.${p}`, message: `shedAt must be in (0%, 100%], got ${at * 100}%` });
  }
  if (o.maxInFlight === undefined && o.maxQueueDelay === undefined) out.push({ field: 'maxInFlight', message: 'give maxInFlight, maxQueueDelay or both: load shedding needs a capacity' });
  if (o.maxInFlight !== undefined && !(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1)) out.push({ field: 'maxInFlight', message: `maxInFlight must be a whole number ≥ 1, got ${o.maxInFlight}` });
  if (o.maxQueueDelay !== undefined && !(o.maxQueueDelay > 0)) out.push({ field: 'maxQueueDelay', message: `maxQueueDelay must be more than 0, got ${o.maxQueueDelay}` });
  if (o.interval !== undefined && !(o.interval > 0)) out.push({ field: 'interval', message: `interval must be more than 0, got ${o.interval}` });
  return out;
}

export const LoadSheddingSchema = Type.Object(
  {
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, description: 'Capacity: requests in flight in the router.' })),
    maxQueueDelay: Type.Optional(duration('Capacity: the standing queueing delay in front of bulkheads (CoDel-style minimum over `interval`).')),
    interval: Type.Optional(duration('The interval the queueing delay\'s minimum is taken over. Default 100ms (CoDel).')),
    priorities: Type.Optional(
      Type.Array(Type.String({ pattern: PROVIDER_NAME_PATTERN, expected: 'lower-case letters, digits and dashes' }), {
        minItems: 1,
        description: 'Priorities, highest first. Default the SRE book\'s criticalities: critical-plus, critical, sheddable-plus, sheddable.',
      }),
    ),
    defaultPriority: Type.Optional(Type.String({ description: 'A request\'s priority when neither its route nor its header names one. Default critical.' })),
    priorityHeader: Type.Optional(
      Type.String({ pattern: '^[a-z0-9-]+$', expected: 'a lower-case header name', description: 'Request header carrying the priority, e.g. x-priority. A client may only lower its route\'s priority with it; a trusted proxy (clients.trustedProxies) may set any. Default: none (routes decide).' }),
    ),
    shedAt: Type.Optional(
      Type.Record(Type.String(), percent('Share of capacity.'), {
        description: 'Priority → share of capacity at which it is shed. Default sheddable 50%, sheddable-plus 75%, others 100%.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Load shedding by priority under overload.' },
);
export type LoadSheddingFile = Type.Static<typeof LoadSheddingSchema>;

export interface LoadSheddingConfig extends LoadShedOptions {
  priorities: string[];
  defaultPriority: string;
  priorityHeader?: string;
}

/** `loadShedding` as written → options in ms and fractions; undefined when they would not construct. */
export function compileLoadShedding(l: LoadSheddingFile, at: ConfigPath, issue: Issue): LoadSheddingConfig | undefined {
  const priorities = l.priorities ?? [...CRITICALITIES];
  const shedAt: Record<string, number> = {};
  if (l.shedAt) for (const [k, v] of Object.entries(l.shedAt)) shedAt[k] = parsePercent(v);
  const options: LoadSheddingConfig = {
    priorities,
    defaultPriority: l.defaultPriority ?? priorities[Math.min(1, priorities.length - 1)]!,
    ...(l.priorityHeader !== undefined && { priorityHeader: l.priorityHeader }),
    ...(l.maxInFlight !== undefined && { maxInFlight: l.maxInFlight }),
    ...(l.maxQueueDelay !== undefined && { maxQueueDelay: parseDuration(l.maxQueueDelay) }),
    ...(l.interval !== undefined && { interval: parseDuration(l.interval) }),
    ...(l.shedAt && { shedAt }),
  };
  return reportProblems(issue, at, loadShedOptionProblems(options)) ? options : undefined;
}
