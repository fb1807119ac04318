/**
 * A toxic is one small stage on one direction of one connection, the way Toxiproxy's
 * `toxics/toxic.go` has it: bytes come in, the stage decides when (and whether) they go on.
 * Everything a stage needs from the outside world (time, randomness, the rest of the chain)
 * is handed to it, so a stage runs the same over real sockets and under a FakeClock.
 *
 * Toxicity is not a stage's business: the link draws once per connection whether a toxic
 * applies, and an unaffected connection simply skips the stage (see link.ts).
 */
import type { Clock } from '../../core/clock.ts';
import type { Rng } from '../../core/rng.ts';

/** A piece of the byte stream and when it entered the current stage (Clock milliseconds). */
export interface Chunk {
  readonly data: Buffer;
  readonly at: number;
}

/** The rest of the chain, as seen by one stage. Calls after the stage was stopped are ignored. */
export interface StageOutput {
  /** Passes bytes on to the next stage (or the destination socket). */
  push(chunk: Chunk): void;
  /** Passes the end of the stream on: the source closed its sending side. */
  end(): void;
  /** Closes the whole connection once what was pushed has been written (Toxiproxy's `stub.Close`). */
  close(): void;
  /** Aborts the whole connection with a TCP RST. */
  reset(): void;
  /** Accounts for bytes the stage swallowed, so the link's backpressure stays right. */
  discard(bytes: number): void;
}

export interface StageContext {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly out: StageOutput;
}

/** What a stopped stage still held, in stream order. */
export interface Held {
  readonly chunks: Chunk[];
  /** The end of the stream had reached the stage but not left it. */
  readonly ended: boolean;
  /**
   * When the toxic is removed, what the stage's history leaves the connection fit for: by
   * default it goes on; a stage that has swallowed bytes cannot hand on an intact stream,
   * so it asks for the connection to be closed or reset instead.
   */
  readonly onRemove?: 'close' | 'reset';
}

/** One toxic running on one link. */
export interface Stage {
  /** Data from the previous stage. */
  write(chunk: Chunk): void;
  /** The previous stage passed the end of the stream on. */
  end(): void;
  /**
   * Stops the stage because its toxic was removed or updated: cancels its timers and hands
   * back what it holds, so no byte is lost or reordered while the chain is rewired.
   */
  stop(): Held;
}

/** Toxics' attributes are all integers (Toxiproxy declares them int/int64). */
export type Attributes = Record<string, number>;

/** One attribute as the API accepts it: an integer within bounds, in the unit Toxiproxy uses. */
export interface AttributeSpec {
  readonly key: string;
  readonly min: number;
  readonly max: number;
  /** For error messages: "milliseconds", "KB/s", "bytes", "microseconds". */
  readonly unit: string;
}

/**
 * A toxic type: its attributes, their rules, and how to open a stage for one link.
 *
 * @example
 *   const stage = latency.open({ latency: 100, jitter: 10 }, { clock, rng, out }, undefined);
 *   stage.write({ data: Buffer.from('hi'), at: clock.now() }); // pushed to `out` ~100 ms later
 */
export interface ToxicKind<A extends Attributes = Attributes, S = unknown> {
  readonly type: string;
  readonly attributes: readonly AttributeSpec[];
  /** A rule across attributes; returns the reason when they do not fit together. */
  check?(attrs: A): string | undefined;
  /** Per-connection state that survives updates of the toxic (limit_data's byte count). */
  newState?(): S;
  open(attrs: A, ctx: StageContext, state: S): Stage;
}

/** Identity for type inference: `defineToxic({...})` checks a toxic against its own attribute type. */
export function defineToxic<A extends Attributes, S = undefined>(kind: ToxicKind<A, S>): ToxicKind<A, S> {
  return kind;
}

export const HOUR_MS = 3_600_000;

/**
 * How close to its due time a chunk counts as due. Node's timers have millisecond resolution
 * and can fire a fraction of a millisecond before a deadline read from performance.now();
 * waiting out that fraction costs a whole further millisecond (no timer is shorter), which
 * would make every delay systematically ~1 ms long. Delivering within the timer's own
 * resolution keeps the error centred instead. A FakeClock fires exactly on time, so under
 * test a delay stays exact.
 */
export const TIMER_SLACK_MS = 1;
