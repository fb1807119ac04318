/**
 * Fault timelines: the `ramp`, `repeat` and `flap` every fault kind takes — the checks a
 * JSON Schema cannot express, and their normalisation. load.ts calls in here once per fault
 * for the checks and once for normalisation; what each kind can ramp, and the field a ramp
 * moves, is the kind's (`ramps` in src/model/faults/).
 *
 * Like load.ts's checks, these read a document that may have failed the schema: each reads
 * only values of the right shape and leaves the rest to the schema's own messages.
 */
import { formatDuration, parseDuration, parsePercent, QUANTITY_BOUNDS, withinBounds } from '../core/units.ts';
import { DURATION, durationOf, PERCENT, rec, type At, type Path, type Raw } from '../model/checks.ts';
import { RAMP_PARAMS, type RampParam } from '../model/faults/common.ts';
import { rampField, rampFields, type FaultSpec } from '../model/faults/index.ts';
import type { ScenarioFile } from './schema.ts';

type RawFault = NonNullable<ScenarioFile['faults']>[number];

/** Switches closer together than this cannot be told apart: a switch itself takes a few ms, more on a busy machine. */
export const MIN_SWITCH_SPACING_MS = 50;
/** Occurrences of one repeating or flapping fault: each is a switch in result.json and a band in the report. */
export const MAX_OCCURRENCES = 1000;

/** The unit each parameter is written in, as the issues say it. */
const RAMP_UNITS: Record<RampParam, { test: (v: unknown) => boolean; phrase: string }> = {
  rate: { test: (v) => typeof v === 'string' && PERCENT.test(v), phrase: 'percentages like 50%' },
  toxicity: { test: (v) => typeof v === 'string' && PERCENT.test(v), phrase: 'percentages like 50%' },
  latency: { test: (v) => typeof v === 'string' && DURATION.test(v), phrase: 'durations like 800ms' },
  kbps: { test: (v) => typeof v === 'number', phrase: 'numbers of KB/s like 64' },
};

/** The parameter a ramp value's unit names, for a fault of this layer. */
function inferParam(layer: unknown, v: unknown): RampParam | undefined {
  if (typeof v === 'number') return 'kbps';
  if (typeof v !== 'string') return undefined;
  if (PERCENT.test(v)) return layer === 'http' ? 'rate' : 'toxicity';
  if (DURATION.test(v)) return 'latency';
  return undefined;
}

/** The parameters a fault of this layer and kind can ramp: its kind's (and, for an outage, its shape's). */
function rampable(f: Raw): RampParam[] {
  return Object.keys(rampFields(f)) as RampParam[];
}

function rampValue(param: RampParam, v: string | number): number {
  switch (param) {
    case 'rate':
    case 'toxicity':
      return parsePercent(v);
    case 'latency':
      return parseDuration(v);
    case 'kbps':
      return Number(v);
  }
}

export interface TimingWindow {
  /** The fault's window as written, in ms; undefined where unreadable. */
  fromMs: number | undefined;
  toMs: number | undefined;
  /** The run's length; undefined where unreadable. */
  durationMs: number | undefined;
}

/**
 * Checks a fault's `ramp`, `repeat` and `flap` fields, reporting through
 * `at` with paths under `base`. Returns when the fault's last occurrence ends (for the
 * recovery windows' checks), or undefined where that cannot be read.
 */
export function checkFaultTiming(f: Raw, base: Path, w: TimingWindow, at: At): number | undefined {
  const { fromMs, toMs, durationMs } = w;
  const windowMs = fromMs !== undefined && toMs !== undefined && toMs > fromMs ? toMs - fromMs : undefined;
  let lastEnd = toMs;
  /** How long each occurrence lasts: a ramp must fit in it. */
  let occurrenceMs = windowMs;

  const repeat = rec(f.repeat);
  const flap = rec(f.flap);
  if (repeat && flap) at([...base, 'flap'], 'a fault either repeats or flaps, not both');

  if (repeat && !flap) {
    const every = durationOf(repeat.every);
    const times = Number.isInteger(repeat.times) ? (repeat.times as number) : undefined;
    if (every !== undefined && windowMs !== undefined) {
      if (every <= windowMs) {
        const hint = f.to === undefined ? '; set `to`, which defaults to the end of the run' : '';
        at([...base, 'repeat', 'every'], `each occurrence lasts ${formatDuration(windowMs)} (from–to), so \`every\` must be longer${hint}`);
      } else if (times !== undefined && durationMs !== undefined) {
        const end = toMs! + (times - 1) * every;
        if (end > durationMs) {
          at([...base, 'repeat', 'times'], `occurrence ${times} ends at ${formatDuration(end)}, after the run ends at ${formatDuration(durationMs)}`);
        } else lastEnd = end;
      } else if (durationMs !== undefined) {
        lastEnd = Math.min(toMs! + (repeatTimes(fromMs!, every, undefined, durationMs) - 1) * every, durationMs);
      }
    }
  }

  if (flap && !repeat) {
    const down = durationOf(flap.down);
    const up = durationOf(flap.up);
    for (const [field, v] of [['down', down], ['up', up]] as const) {
      if (v !== undefined && v < MIN_SWITCH_SPACING_MS) {
        at([...base, 'flap', field], `flapping faster than every ${MIN_SWITCH_SPACING_MS}ms cannot be switched faithfully`, { found: formatDuration(v) });
      }
    }
    if (down !== undefined && up !== undefined && windowMs !== undefined && down + up > 0) {
      const cycles = Math.ceil(windowMs / (down + up));
      if (cycles > MAX_OCCURRENCES) {
        at([...base, 'flap'], `${cycles} cycles in the window; at most ${MAX_OCCURRENCES} (lengthen down/up or shorten the window)`);
      }
      occurrenceMs = Math.min(down, windowMs);
    }
  }

  const ramp = rec(f.ramp);
  if (ramp) checkRamp(f, ramp, [...base, 'ramp'], occurrenceMs, at);
  return lastEnd;
}

/** The parameter a ramp moves, explicit or read from its values' unit; undefined when unreadable. */
export function inferRampParam(f: Raw): RampParam | undefined {
  const ramp = rec(f.ramp);
  if (!ramp) return undefined;
  if (typeof ramp.param === 'string' && (RAMP_PARAMS as readonly string[]).includes(ramp.param)) return ramp.param as RampParam;
  return inferParam(f.layer, ramp.to) ?? inferParam(f.layer, ramp.from);
}

function checkRamp(f: Raw, ramp: Raw, base: Path, occurrenceMs: number | undefined, at: At): void {
  const param = inferRampParam(f);
  if (param === undefined) return; // the schema reports the values
  const fromParam = inferParam(f.layer, ramp.from);
  if (ramp.param === undefined && fromParam !== undefined && fromParam !== param) {
    at([...base, 'from'], `\`from\` and \`to\` must be in the same unit (${param === 'latency' ? 'durations' : param === 'kbps' ? 'KB/s' : 'percentages'}, as \`to\` is)`, {
      found: JSON.stringify(ramp.from),
    });
    return;
  }
  const allowed = rampable(f);
  const what = f.kind === 'outage' && typeof f.shape === 'string' ? `shape ${f.shape}` : `${String(f.layer)} ${String(f.kind)}`;
  if (!allowed.includes(param)) {
    at([...base, ramp.param !== undefined ? 'param' : 'to'], allowed.length ? `${what} cannot ramp ${param}` : `${what} has nothing to ramp`, {
      ...(allowed.length && { expected: `a ramp of ${allowed.join(' or ')}` }),
    });
    return;
  }
  const unit = RAMP_UNITS[param];
  for (const end of ['from', 'to'] as const) {
    const v = ramp[end];
    if (v === undefined) continue;
    if (!unit.test(v)) at([...base, end], `a ramp of ${param} takes ${unit.phrase}`, { found: JSON.stringify(v) });
    else if ((param === 'rate' || param === 'toxicity') && parsePercent(v as string) > 1) at([...base, end], QUANTITY_BOUNDS.percent);
    else if (param === 'latency' && !withinBounds('duration', v)) at([...base, end], QUANTITY_BOUNDS.duration);
  }
  if (ramp.from !== undefined && f[param] !== undefined) {
    at([...base, 'from'], `\`${param}\` is written too: the ramp starts from one or the other (drop \`ramp.from\` to start from ${param})`);
  }
  if (ramp.from === undefined && f[param] === undefined && (param === 'latency' || param === 'kbps')) {
    at([...base], `the ramp needs \`from\`: this fault sets no ${param} to start from`);
  }
  const over = durationOf(ramp.over);
  if (over === 0) at([...base, 'over'], 'the ramp must last longer than 0');
  if (over !== undefined && occurrenceMs !== undefined && over > occurrenceMs) {
    at([...base, 'over'], `the ramp lasts ${formatDuration(over)}, longer than the fault is on (${formatDuration(occurrenceMs)} at a time)`);
  }
  const rampMs = over ?? occurrenceMs;
  const steps = Number.isInteger(ramp.steps) ? (ramp.steps as number) : undefined;
  if (rampMs !== undefined && rampMs > 0) {
    const n = steps ?? defaultSteps(rampMs);
    if (rampMs / n < MIN_SWITCH_SPACING_MS) {
      at([...base, 'steps'], `${n} steps over ${formatDuration(rampMs)} come every ${formatDuration(rampMs / n)}; keep them at least ${MIN_SWITCH_SPACING_MS}ms apart (at most ${Math.floor(rampMs / MIN_SWITCH_SPACING_MS)} steps)`);
    }
  }
}

/** One step per second of the ramp, at least one. */
function defaultSteps(overMs: number): number {
  return Math.max(1, Math.round(overMs / 1000));
}

/** Occurrences of a repeat: `times`, or as many as start before the run ends (at most MAX_OCCURRENCES). */
function repeatTimes(fromMs: number, everyMs: number, times: number | undefined, durationMs: number): number {
  if (times !== undefined) return times;
  return Math.min(MAX_OCCURRENCES, Math.max(1, Math.floor((durationMs - fromMs - 1) / everyMs) + 1));
}

/**
 * Adds a normalised fault's timeline: `repeat` resolved to a number of occurrences, `flap`
 * in ms, and `ramp` with its parameter, start value and steps resolved — the fault's own
 * field set to the ramp's start, so switching it on applies step 0.
 */
export function withTiming(spec: FaultSpec, raw: RawFault, durationMs: number): FaultSpec {
  const out: FaultSpec = { ...spec };
  if (raw.repeat) {
    const everyMs = parseDuration(raw.repeat.every);
    out.repeat = { everyMs, times: repeatTimes(spec.fromMs, everyMs, raw.repeat.times, durationMs) };
  }
  if (raw.flap) out.flap = { downMs: parseDuration(raw.flap.down), upMs: parseDuration(raw.flap.up) };
  if (raw.ramp) {
    const param = (raw.ramp.param ?? inferParam(raw.layer, raw.ramp.to) ?? inferParam(raw.layer, raw.ramp.from))!;
    const field = rampField(out, param);
    const fields = out as unknown as Record<string, number | undefined>;
    const from = raw.ramp.from !== undefined ? rampValue(param, raw.ramp.from) : fields[field]!;
    fields[field] = from;
    const occurrenceMs = out.flap ? Math.min(out.flap.downMs, spec.toMs - spec.fromMs) : spec.toMs - spec.fromMs;
    const overMs = raw.ramp.over !== undefined ? parseDuration(raw.ramp.over) : occurrenceMs;
    out.ramp = { param, from, to: rampValue(param, raw.ramp.to), overMs, steps: raw.ramp.steps ?? defaultSteps(overMs) };
  }
  return out;
}
