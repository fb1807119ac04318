/**
 * What the checks a JSON Schema cannot express share: they read a document that may have
 * failed the schema, so each reads only values of the right shape (these readers) and
 * leaves the rest to the schema's own messages, reporting through `At`.
 */
import { DURATION_PATTERN, parseDuration, PERCENT_PATTERN } from '../core/units.ts';

export type Raw = Record<string, unknown>;
export type Path = (string | number)[];
/** Reports an issue at a path of the document. */
export type At = (p: Path, message: string, extra?: { expected?: string; found?: string }) => void;

export const rec = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
export const DURATION = new RegExp(DURATION_PATTERN);
export const PERCENT = new RegExp(PERCENT_PATTERN);
/** A duration the schema accepts, in ms; undefined for anything the schema reports itself. */
export const durationOf = (v: unknown): number | undefined => (typeof v === 'string' && DURATION.test(v) ? parseDuration(v) : undefined);
