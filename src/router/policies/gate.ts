import type { Clock } from '../../core/clock.ts';
import type { Policy, PolicyContext } from './policy.ts';

/** `Gate.enter`'s answer when admission needs a wait (a bulkhead's queue): the call goes the nested way. */
export const DEFER = -1;

/**
 * A policy that decides at once whether a call may start and learns how it ended: what lets
 * `wrap` run a chain of them as one level, with one `await` of the call (see FusedPolicies),
 * instead of one async frame per policy. Its `execute` must behave as enter → call →
 * returned/threw does.
 */
export interface Gate {
  /**
   * Admits a call: a ticket for `returned`/`threw` (≥ 0), or `DEFER` (nothing changed) when
   * only the policy's own `execute` can admit it. Throws the policy's refusal.
   */
  enter(ctx: PolicyContext): number;
  /**
   * A clock, when the gate judges calls by their duration (a breaker's slow calls): the fused
   * level then reads it as the call starts and hands the reading to `returned`/`threw`.
   */
  readonly timing: Clock | undefined;
  returned(ticket: number, started: number, value: unknown): void;
  threw(ticket: number, started: number, ctx: PolicyContext, error: unknown): void;
}

/** Whether `p` is a Gate. */
export function isGate(p: Policy): p is Policy & Gate {
  const g = p as Partial<Gate>;
  return typeof g.enter === 'function' && typeof g.returned === 'function' && typeof g.threw === 'function';
}

/**
 * What a gate's own `execute` does, for gates that never defer: enter, the call, then
 * `returned` or `threw`. The fused level does the same steps for a run of gates at once.
 */
export async function throughGate<T>(gate: Gate, fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext): Promise<T> {
  const ticket = gate.enter(ctx);
  const started = gate.timing?.now() ?? 0;
  let value: T;
  try {
    value = await fn(ctx);
  } catch (error) {
    gate.threw(ticket, started, ctx, error);
    throw error;
  }
  gate.returned(ticket, started, value);
  return value;
}

/**
 * A gate that admits every call and only watches how it ends: outlier detection's recorder,
 * the router's attempt counter. Subclasses say what `returned` and `threw` note.
 */
export abstract class Watcher implements Policy, Gate {
  readonly timing = undefined;

  execute<T>(fn: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext = {}): Promise<T> {
    return throughGate(this, fn, ctx);
  }

  enter(): number {
    return 0;
  }

  abstract returned(ticket: number, started: number, value: unknown): void;
  abstract threw(ticket: number, started: number, ctx: PolicyContext, error: unknown): void;
}
