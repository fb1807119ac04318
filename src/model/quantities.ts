/**
 * How a scenario file writes quantities and names, as TypeBox fragments: shared by the
 * scenario schema (src/scenario/schema.ts) and the fault kinds' schema fragments
 * (src/model/faults/), so every field of one unit reads, and is bounded, the same.
 *
 * Durations and percentages are strings with a unit only: a bare `2` could be seconds or
 * milliseconds, a bare `0.3` a fraction or a percent. `quantity` bounds the value
 * (src/core/units.ts); a ramp's ends, a union of units, are bounded in timelines.ts instead.
 */
import Type from 'typebox';
import { DURATION_PATTERN, PERCENT_PATTERN } from '../core/units.ts';

/** Names used as identifiers and folder names: lower case, digits, dashes. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]*$';
/** A name's longest: a folder name (255 bytes on every common file system) with room for the run id beside it. */
export const MAX_NAME_LENGTH = 100;
/** The largest count faultline takes (bytes, packet sizes, queue places): a 32-bit signed integer. */
export const MAX_COUNT = 2 ** 31 - 1;
/** Connections of the closed model, and slots of a provider: each is real work of this process. */
export const MAX_CONNECTIONS = 10_000;

export const duration = (description: string, bounded = true) =>
  Type.String({ pattern: DURATION_PATTERN, ...(bounded && { quantity: 'duration' }), expected: 'a duration like 250ms or 30s', description });
export const percent = (description: string, bounded = true) =>
  Type.String({ pattern: PERCENT_PATTERN, ...(bounded && { quantity: 'percent' }), expected: 'a percentage like 30%', description });
export const name = (description: string) =>
  Type.String({ pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH, expected: 'lower-case letters, digits and dashes, like joke-5xx', description });
export const route = (description: string) =>
  Type.String({ pattern: '^/', expected: 'a path starting with /', description });
