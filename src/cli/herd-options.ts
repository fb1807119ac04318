/** Option parsers the `herd` subcommands share (commander's InvalidArgumentError: exit 2 with the message). */
import { InvalidArgumentError } from 'commander';

/** A whole number from `min` to `max`. */
export const wholeNumber = (what: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${what} is a whole number from ${min} to ${max}`);
  return n;
};

/** A comma-separated list of whole numbers from `min` to `max`, e.g. 1,2,5,10. */
export const wholeNumbers = (what: string, min: number, max: number) => (v: string) => {
  const one = wholeNumber(what, min, max);
  const parts = v.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new InvalidArgumentError(`${what}: a comma-separated list, e.g. 1,2,5,10`);
  return [...new Set(parts.map(one))];
};

/** Any safe whole number, as `run --seed` takes. */
export const seedNumber = wholeNumber('a seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
