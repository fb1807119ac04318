/**
 * The HTTP-fault and capacity fields a JSON Schema cannot fully check, and their
 * normalisation: delay distributions (lognormal p99 above p50, uniform min ≤ max, …),
 * truncation sizes, capacity faults, request matches. Kept apart from load.ts, which calls
 * in here once per fault and provider for the checks and once for normalisation.
 *
 * Like load.ts's checks, these read a document that may have failed the schema: each reads
 * only values of the right shape and leaves the rest to the schema's own messages.
 */
import { DURATION_PATTERN, formatDuration, parseDuration, parsePercent, PERCENT_PATTERN } from '../core/units.ts';
import { jittered, type Distribution } from '../core/distributions.ts';
import type { FaultSpec, ProviderCapacity, RequestMatch } from './model.ts';
import type { ScenarioFile } from './schema.ts';

type Raw = Record<string, unknown>;
type Path = (string | number)[];
type At = (p: Path, message: string, extra?: { expected?: string; found?: string }) => void;
type RawFault = NonNullable<ScenarioFile['faults']>[number];
type RawHttpFault = Exclude<Extract<RawFault, { layer: 'http' }>, { kind: 'error' }>;
type RawDelay = Extract<RawHttpFault, { kind: 'slow_body' }>['delay'];
type RawCapacity = NonNullable<ScenarioFile['providers'][number]['capacity']>;

const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const DURATION = new RegExp(DURATION_PATTERN);
const PERCENT = new RegExp(PERCENT_PATTERN);
const durationOf = (v: unknown): number | undefined => (typeof v === 'string' && DURATION.test(v) ? parseDuration(v) : undefined);

/** The fields of each HTTP fault kind that hold a delay. */
const DELAY_FIELDS: Record<string, string> = { latency: 'latency', slow_headers: 'delay', slow_body: 'delay', capacity: 'serviceTime' };

/**
 * Checks a delay written as a distribution: the relations between its parameters. A plain
 * duration, or a value of the wrong shape, is the schema's to judge.
 */
export function checkDelay(v: unknown, base: Path, at: At): void {
  const d = rec(v);
  if (!d) return;
  switch (d.distribution) {
    case 'uniform': {
      const min = durationOf(d.min);
      const max = durationOf(d.max);
      if (min !== undefined && max !== undefined && min > max) at([...base, 'max'], `max must be at least min (${formatDuration(min)})`, { found: formatDuration(max) });
      break;
    }
    case 'lognormal': {
      const p50 = durationOf(d.p50);
      const p99 = durationOf(d.p99);
      if (p50 === 0) at([...base, 'p50'], 'p50 must be above 0 (a lognormal delay is never 0)');
      else if (p50 !== undefined && p99 !== undefined && p99 <= p50) {
        at([...base, 'p99'], `p99 must be above p50 (${formatDuration(p50)}); for a delay that does not vary, write the duration itself`, { found: formatDuration(p99) });
      }
      break;
    }
    case 'pareto': {
      const scale = durationOf(d.scale);
      const cap = durationOf(d.cap);
      if (scale === 0) at([...base, 'scale'], 'scale must be above 0 (it is the shortest delay)');
      else if (scale !== undefined && cap !== undefined && cap < scale) at([...base, 'cap'], `cap must be at least scale (${formatDuration(scale)})`, { found: formatDuration(cap) });
      if (typeof d.shape === 'number' && d.shape > 0 && d.shape <= 1 && d.cap === undefined) {
        at([...base, 'shape'], `shape ${d.shape} has no finite mean: a few delays would be practically endless; give a \`cap\`, or a shape above 1`);
      }
      break;
    }
  }
}

/** Checks a provider's `capacity`. */
export function checkCapacity(v: unknown, base: Path, at: At): void {
  const c = rec(v);
  if (c) checkDelay(c.serviceTime, [...base, 'serviceTime'], at);
}

export interface HttpFaultContext {
  /** Whether the provider of this name states a capacity (undefined: no such provider). */
  providerHasCapacity(name: string): boolean | undefined;
}

/** Checks one HTTP fault's own fields (its target, window and rate are load.ts's). */
export function checkHttpFault(f: Raw, base: Path, at: At, ctx: HttpFaultContext): void {
  const kind = typeof f.kind === 'string' ? f.kind : undefined;
  if (kind === undefined) return;
  const delayField = DELAY_FIELDS[kind];
  if (delayField) checkDelay(f[delayField], [...base, delayField], at);

  const target = rec(f.target);
  checkMatch(target?.match, [...base, 'target', 'match'], at);

  if (kind === 'latency' && rec(f.latency)) {
    if (f.jitter !== undefined) {
      at([...base, 'jitter'], 'jitter goes with a fixed latency; for a spread, use a distribution such as { distribution: uniform, min: 50ms, max: 150ms }');
    }
  }

  if (kind === 'truncate') {
    if (f.bytes !== undefined && f.fraction !== undefined) at([...base, 'fraction'], 'give `bytes` or `fraction`, not both');
    if (typeof f.fraction === 'string' && PERCENT.test(f.fraction) && parsePercent(f.fraction) >= 1) {
      at([...base, 'fraction'], 'fraction must be below 100%: a truncated body leaves something out');
    }
  }

  if (kind === 'capacity') {
    for (const field of ['route', 'match'] as const) {
      if (target?.[field] !== undefined) {
        at([...base, 'target', field], `a capacity fault acts on the whole provider: ${field} does not apply (scope the requests with another kind, such as latency or error)`);
      }
    }
    const provider = typeof target?.provider === 'string' ? target.provider : undefined;
    if (provider !== undefined && f.serviceTime === undefined && ctx.providerHasCapacity(provider) === false) {
      at([...base, 'kind'], `provider \`${provider}\` has no \`capacity\` of its own, so this fault needs a \`serviceTime\` (how long each request takes)`);
    }
  }
}

/** Body paths are dotted field names: `customer.tier`, `items.0.sku`. */
function checkMatch(v: unknown, base: Path, at: At): void {
  const body = rec(rec(v)?.body);
  if (!body) return;
  for (const path of Object.keys(body)) {
    if (path.split('.').some((seg) => seg === '')) {
      at([...base, 'body', path], `\`${path}\` is not a dotted path (write field names joined by dots, like customer.tier)`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Normalisation, on a document that passed the schema and the checks.

/** A delay in ms: a duration is a fixed delay; a distribution has each duration in ms. */
export function normalizeDelay(d: RawDelay): Distribution {
  if (typeof d === 'string') return { distribution: 'fixed', value: parseDuration(d) };
  switch (d.distribution) {
    case 'fixed':
      return { distribution: 'fixed', value: parseDuration(d.value) };
    case 'uniform':
      return { distribution: 'uniform', min: parseDuration(d.min), max: parseDuration(d.max) };
    case 'normal':
      return { distribution: 'normal', mean: parseDuration(d.mean), stddev: parseDuration(d.stddev) };
    case 'lognormal':
      return { distribution: 'lognormal', p50: parseDuration(d.p50), p99: parseDuration(d.p99) };
    case 'pareto':
      return { distribution: 'pareto', scale: parseDuration(d.scale), shape: d.shape, ...(d.cap !== undefined && { cap: parseDuration(d.cap) }) };
    case 'exponential':
      return { distribution: 'exponential', mean: parseDuration(d.mean) };
  }
}

export function normalizeCapacity(c: RawCapacity): ProviderCapacity {
  return { concurrency: c.concurrency, ...(c.queue !== undefined && { queue: c.queue }), serviceTime: normalizeDelay(c.serviceTime) };
}

/** A request match as written (header names as written: they are matched in any case). */
export function normalizeMatch(m: RequestMatch | undefined): { match?: RequestMatch } {
  if (!m || (m.headers === undefined && m.body === undefined)) return {};
  return { match: { ...(m.headers && { headers: { ...m.headers } }), ...(m.body && { body: { ...m.body } }) } };
}

const fraction = (value: string | undefined): number => (value === undefined ? 1 : parsePercent(value));

/** Every HTTP fault kind but `error` (load.ts keeps that one), with defaults and units applied. */
export function normalizeHttpFault(f: RawHttpFault, common: Pick<FaultSpec, 'name' | 'target' | 'fromMs' | 'toMs'>): FaultSpec {
  const http = { ...common, layer: 'http' as const };
  switch (f.kind) {
    case 'latency': {
      // `latency ± jitter` is today's shorthand for a uniform delay; a distribution is taken as written.
      const delay = typeof f.latency === 'string' ? jittered(parseDuration(f.latency), f.jitter === undefined ? 0 : parseDuration(f.jitter)) : normalizeDelay(f.latency);
      return { ...http, kind: 'latency', delay, rate: fraction(f.rate) };
    }
    case 'hang':
      return { ...http, kind: 'hang', rate: fraction(f.rate) };
    case 'truncate':
      return {
        ...http,
        kind: 'truncate',
        rate: fraction(f.rate),
        ...(f.bytes !== undefined ? { bytes: f.bytes } : { fraction: f.fraction === undefined ? 0.5 : parsePercent(f.fraction) }),
      };
    case 'malformed':
      return { ...http, kind: 'malformed', style: f.style ?? 'truncated', rate: fraction(f.rate) };
    case 'content_type':
      return { ...http, kind: 'content_type', contentType: f.contentType ?? 'text/html; charset=utf-8', status: f.status ?? 200, rate: fraction(f.rate) };
    case 'slow_headers':
      return { ...http, kind: 'slow_headers', delay: normalizeDelay(f.delay), rate: fraction(f.rate) };
    case 'slow_body':
      return { ...http, kind: 'slow_body', delay: normalizeDelay(f.delay), rate: fraction(f.rate) };
    case 'capacity':
      return {
        ...http,
        kind: 'capacity',
        concurrency: f.concurrency,
        ...(f.queue !== undefined && { queue: f.queue }),
        ...(f.serviceTime !== undefined && { serviceTime: normalizeDelay(f.serviceTime) }),
      };
  }
}
