/**
 * Quantities as people write them in scenario files: `30s`, `250ms`, `1.5m`, `99.5%`, `50/s`.
 * The patterns are exported so the JSON Schema carries them too, and editors flag a bad
 * value before faultline ever reads the file.
 */

export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(us|µs|ms|s|m|h)\\s*$';
export const PERCENT_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$';
export const RATE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*/\\s*(s|m|min|h)\\s*$';

const DURATION_UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const RATE_UNITS: Record<string, number> = { s: 1, m: 1 / 60, min: 1 / 60, h: 1 / 3600 };

/** A duration in milliseconds. A bare number is already milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/.exec(value);
  if (!m) throw new RangeError(`not a duration: ${JSON.stringify(value)} (write e.g. 250ms, 30s, 2m)`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

/** A fraction in [0, 1] from `99.5%`; a bare number is already a fraction. */
export function parsePercent(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  if (!m) throw new RangeError(`not a percentage: ${JSON.stringify(value)} (write e.g. 99.5%)`);
  return Number(m[1]) / 100;
}

/** A rate in events per second from `50/s`, `600/m`; a bare number is already per second. */
export function parseRate(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|min|h)\s*$/.exec(value);
  if (!m) throw new RangeError(`not a rate: ${JSON.stringify(value)} (write e.g. 50/s, 600/m)`);
  return Number(m[1]) * RATE_UNITS[m[2]!]!;
}

/**
 * The largest quantities faultline accepts: what its machinery can honour. A duration becomes
 * a timer somewhere (setTimeout fires at once beyond 2³¹−1 ms, with a TimeoutOverflowWarning),
 * a share is at most all, and a rate beyond 100000/s is more than one load generator sends.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;
export const MAX_RATE_PER_S = 100_000;
export const MAX_FRACTION = 1;

/** The kinds of quantity a schema can bound with its `quantity` keyword (see config/load.ts). */
export type QuantityKind = 'duration' | 'percent' | 'rate';

/** What each bound reads as in an issue. */
export const QUANTITY_BOUNDS: Record<QuantityKind, string> = {
  duration: 'a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
  percent: 'a percentage cannot exceed 100%',
  rate: `a rate cannot exceed ${MAX_RATE_PER_S}/s`,
};

/**
 * Whether a value of this kind is within faultline's bounds. A value that is not of the kind
 * at all (its pattern fails) counts as within: the pattern reports it.
 */
export function withinBounds(kind: QuantityKind, value: unknown): boolean {
  if (typeof value !== 'string' && typeof value !== 'number') return true;
  try {
    if (kind === 'duration') return parseDuration(value) <= MAX_DURATION_MS;
    if (kind === 'percent') return parsePercent(value) <= MAX_FRACTION;
    return parseRate(value) <= MAX_RATE_PER_S;
  } catch {
    return true;
  }
}

/** Formats milliseconds the way people read them: 850µs, 12.3ms, 4.2s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${+ms.toFixed(ms < 10 ? 2 : 1)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}
