/**
 * An SLO's window as plain data, as the scenario states it and the evaluator reads it.
 * Resolving it against a run's fault switches is the SLO layer's (src/slo/window.ts).
 */

/**
 * Which part of the run an SLO judges.
 * - `run`: all of it
 * - `during`: from when the fault switched on until it switched off (or the run ended)
 * - `recovery`: from when the fault switched off, for `forMs` or until the run ended
 *
 * @example const w: SloWindow = { kind: 'recovery', fault: 'primary-down', forMs: 10_000 };
 */
export type SloWindow = { kind: 'run' } | { kind: 'during'; fault: string } | { kind: 'recovery'; fault: string; forMs?: number };
