/**
 * Parsers for the command line's option values, shared by every command that takes them
 * (run, suite, validate, sim): a bad value is a usage error (exit 2) naming what was expected.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/units.ts';
import { checkOverrides } from '../scenario/overrides.ts';
import { parseReporters, REPORTER_NAMES, type ReporterChoice } from '../report/reporter.ts';

/** `-e KEY=VALUE`, repeatable: a variable for `${KEY}` in scenario files (the last one wins). */
export const variable = (v: string, all: Record<string, string> = {}) => {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
  if (!m) throw new InvalidArgumentError('expected KEY=VALUE, KEY being letters, digits and _ (not starting with a digit)');
  return { ...all, [m[1]!]: m[2]! };
};

/** `--duration`/`--rate`: checked as the scenario file's own field would be. */
export const override = (field: 'duration' | 'rate') => (v: string) => {
  // A bare number is per second, as in a scenario file.
  const value = field === 'rate' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? `${v.trim()}/s` : v;
  const bad = checkOverrides({ [field]: value });
  if (bad.length) throw new InvalidArgumentError(bad[0]!.slice(field.length + 2));
  return value;
};

/** `--bin 10ms`: the width of the fine upstream bins, in ms. */
export const bin = (v: string) => {
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch {
    throw new InvalidArgumentError('a duration such as 10ms');
  }
  if (!(ms > 0)) throw new InvalidArgumentError('a bin is wider than 0ms');
  return ms;
};

/** `--seed 7`: a whole number. */
export const seed = (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('a seed is a whole number');
  return n;
};

/**
 * `--reporter summary,json=-` (repeatable, comma-separated, as vitest's): the reporters to use,
 * each `name` or `name=path` (`-`: standard output). An unknown name is a usage error (exit 2).
 */
export const reporter = (v: string, all: ReporterChoice[] = []): ReporterChoice[] => {
  let parsed: ReporterChoice[];
  try {
    parsed = parseReporters(v);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
  if (parsed.length === 0) throw new InvalidArgumentError(`name at least one reporter: ${REPORTER_NAMES.join(', ')}`);
  return [...all, ...parsed];
};

/** `--reporter`'s help, on every command that writes results. */
export const REPORTER_HELP = `reporters, repeatable or comma-separated: ${REPORTER_NAMES.join(', ')}; name=path for a file, json=- for stdout (the screen summary then goes to stderr); default summary,json,html,junit`;
