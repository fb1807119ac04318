/**
 * A delay as a scenario file writes it — a duration (fixed), or a distribution with its
 * parameters — and as the model holds it: a `Distribution` in ms. Shared by the latency,
 * slow_headers and slow_body faults and by a provider's service time, so each reads the same.
 * The schema fragment, the checks a JSON Schema cannot express, and the normalisation.
 */
import Type from 'typebox';
import type { Distribution } from '../core/distributions.ts';
import { formatDuration, parseDuration } from '../core/units.ts';
import { durationOf, rec, type At, type Path } from './checks.ts';
import { duration } from './quantities.ts';

const distribution = <K extends string, P extends Record<string, Type.TSchema>>(kind: K, description: string, params: P) =>
  Type.Object(
    { distribution: Type.Literal(kind, { description }), ...params },
    { additionalProperties: false, description: `A ${kind} distribution: ${description}` },
  );

/** The schema of a delay field, with its own description. */
export const Delay = (description: string) =>
  Type.Union(
    [
      duration('A fixed delay, e.g. 800ms.'),
      distribution('fixed', 'always the same delay.', { value: duration('The delay, e.g. 20ms.') }),
      distribution('uniform', 'any delay from min to max, equally likely.', {
        min: duration('The shortest delay, e.g. 10ms.'),
        max: duration('The longest delay, e.g. 50ms (at least min).'),
      }),
      distribution('normal', 'a bell curve around the mean, cut off at 0.', {
        mean: duration('The mean, e.g. 100ms.'),
        stddev: duration('The standard deviation, e.g. 20ms.'),
      }),
      distribution('lognormal', 'skewed to the right, as real latency is; given by its median and 99th percentile.', {
        p50: duration('The median, e.g. 20ms (above 0).'),
        p99: duration('The 99th percentile, e.g. 120ms (above p50).'),
      }),
      distribution('pareto', 'a heavy tail: most delays near scale, a few very long ones.', {
        scale: duration('The minimum delay x_m, e.g. 10ms (above 0).'),
        shape: Type.Number({ exclusiveMinimum: 0, maximum: 1000, expected: 'a number above 0, like 1.5', description: 'The shape α: smaller is heavier-tailed (α ≤ 1 has no finite mean; give a cap).' }),
        cap: Type.Optional(duration('The longest delay; longer draws are cut to it, e.g. 10s.')),
      }),
      distribution('exponential', 'memoryless, the service time of an M/M/c queue.', {
        mean: duration('The mean, e.g. 20ms.'),
      }),
    ],
    {
      expected: 'a duration like 800ms, or a distribution like { distribution: lognormal, p50: 20ms, p99: 120ms }',
      description: `${description} A duration, or \`{ distribution: fixed | uniform | normal | lognormal | pareto | exponential, ... }\` with that distribution's parameters.`,
    },
  );

/** A delay as written, after schema validation. */
export type RawDelay = Type.Static<ReturnType<typeof Delay>>;

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
