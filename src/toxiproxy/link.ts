/**
 * A link is one direction of one proxied connection: bytes from a source socket to a
 * destination socket through the proxy's toxics for that direction, in the order they were
 * added (Toxiproxy's `link.go`).
 *
 * With no toxic affecting it, a link is a bare `source.pipe(dest)`: forwarding costs what a
 * Node TCP pipe costs. When a toxic arrives the link unpipes and feeds the source's chunks
 * through the stages; when the last one goes, every byte the stages held is flushed to the
 * destination (in order) and the link pipes directly again. Node runs all of this on one
 * thread, so a rewire happens between two chunks and cannot lose or reorder bytes.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import type { Direction } from './schema.ts';
import type { Attributes, Chunk, Held, Stage, StageOutput, ToxicKind } from './toxics/index.ts';

/** A toxic as the link sees it: enough to open stages, swapped wholesale on update. */
export interface ToxicEntry {
  readonly name: string;
  readonly stream: Direction;
  readonly toxicity: number;
  readonly attributes: Attributes;
  readonly kind: ToxicKind;
}

/** What a link asks of the connection it belongs to. */
export interface LinkEvents {
  /** A toxic closed the connection (after flushing what it pushed). */
  close(): void;
  /** A toxic reset the connection. */
  reset(): void;
  /** The end of the stream reached the destination end of this link. */
  ended(link: Link): void;
}

/**
 * Staged links stop reading their source when this many bytes are inside the chain or queued
 * on the destination, and start again below half of it. Roughly what Toxiproxy's bounded
 * channels allow (its latency stage buffers 1024 reads); enough that 1 s of latency does not
 * throttle a loopback stream.
 */
export const LINK_HIGH_WATER_MARK = 4 * 1024 * 1024;

interface Node {
  entry: ToxicEntry;
  /** One uniform draw per connection and toxic: affected while `draw < toxicity`, so raising toxicity only adds connections. */
  readonly draw: number;
  readonly state: unknown;
  stage: Stage | null;
  /** Cancels the running stage's timers and silences its output. */
  revoke: (() => void) | null;
}

export interface LinkOptions {
  direction: Direction;
  source: Socket;
  dest: Socket;
  toxics: readonly ToxicEntry[];
  clock: Clock;
  rng: Rng;
  events: LinkEvents;
}

export class Link {
  readonly direction: Direction;
  readonly source: Socket;
  readonly dest: Socket;
  #clock: Clock;
  #rng: Rng;
  #events: LinkEvents;
  #nodes: Node[] = [];
  #started = false;
  /** The source is connected to the destination one way or the other (pipe or stages). */
  #wired = false;
  #staged = false;
  #dead = false;
  #sourceEnded = false;
  #endDelivered = false;
  #pausedByUs = false;
  /** Bytes read from the source and not yet handed to the destination (or swallowed by a toxic). */
  #chainBytes = 0;

  constructor(opts: LinkOptions) {
    this.direction = opts.direction;
    this.source = opts.source;
    this.dest = opts.dest;
    this.#clock = opts.clock;
    this.#rng = opts.rng;
    this.#events = opts.events;
    for (const entry of opts.toxics) this.#nodes.push(this.#newNode(entry));
  }

  /** True when the link forwards through its stages rather than a direct pipe. */
  get staged(): boolean {
    return this.#staged;
  }

  /** True once the end of the stream was handed to the destination. */
  get endDelivered(): boolean {
    return this.#endDelivered;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Starts moving bytes. */
  start(): void {
    if (this.#started || this.#dead) return;
    this.#started = true;
    this.source.on('end', this.#onSourceEnd);
    this.dest.on('drain', this.#onDrain);
    for (const node of this.#nodes) this.#open(node);
    this.#rewire();
  }

  /** A toxic was added to this link's direction: it goes at the end of the chain. */
  addToxic(entry: ToxicEntry): void {
    if (this.#dead) return;
    const node = this.#newNode(entry);
    this.#nodes.push(node);
    if (this.#started) {
      this.#open(node);
      this.#rewire();
    }
  }

  /**
   * A toxic's attributes or toxicity changed: its stage restarts with the new values and is
   * handed what the old one held (with the original arrival times, so latency stays honest).
   */
  updateToxic(entry: ToxicEntry): void {
    const node = this.#nodes.find((n) => n.entry.name === entry.name);
    if (!node || this.#dead) return;
    node.entry = entry;
    if (!this.#started) return;
    const held = this.#stop(node);
    this.#open(node);
    if (node.stage) {
      for (const c of held.chunks) node.stage.write(c);
      if (held.ended) node.stage.end();
    } else {
      this.#forward(node, held.chunks, held.ended);
    }
    this.#rewire();
  }

  /** A toxic was removed: what its stage held moves on to the next stage, at once. */
  removeToxic(name: string): void {
    const i = this.#nodes.findIndex((n) => n.entry.name === name);
    if (i < 0 || this.#dead) return;
    const node = this.#nodes[i]!;
    const wasActive = node.stage !== null;
    const held = this.#stop(node);
    if (wasActive && held.onRemove) {
      this.#nodes.splice(i, 1);
      if (held.onRemove === 'reset') this.#events.reset();
      else this.#events.close();
      return;
    }
    this.#forward(node, held.chunks, held.ended);
    this.#nodes.splice(this.#nodes.indexOf(node), 1);
    this.#rewire();
  }

  /**
   * The source is gone (closed or errored) without a clean end: treat it as the end of the
   * stream, so whatever the stages hold still reaches the destination (Toxiproxy does the same).
   */
  sourceGone(): void {
    if (!this.#sourceEnded) this.#onSourceEnd();
  }

  /** Stops the link for good: cancels every stage's timers and detaches from both sockets. */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const node of this.#nodes) this.#stop(node);
    this.source.unpipe(this.dest);
    this.source.off('data', this.#onData);
    // Nobody will forward what it reads now; let the peer feel TCP backpressure instead.
    this.source.pause();
    this.source.off('end', this.#onSourceEnd);
    this.dest.off('drain', this.#onDrain);
  }

  // ---- the chain ---------------------------------------------------------------------------

  #newNode(entry: ToxicEntry): Node {
    return { entry, draw: this.#rng.next(), state: entry.kind.newState?.(), stage: null, revoke: null };
  }

  /** Opens the node's stage if this connection is among those its toxicity affects. */
  #open(node: Node): void {
    node.stage = null;
    node.revoke = null;
    if (!(node.draw < node.entry.toxicity)) return;
    let live = true;
    const timers = new Set<() => void>();
    // The stage's clock forgets its timers when the stage stops, so no stage can leave one
    // behind, whatever it does after being stopped in the middle of its own call.
    const clock: Clock = {
      now: () => this.#clock.now(),
      schedule: (ms, fn) => {
        if (!live) return () => {};
        const cancel = this.#clock.schedule(ms, () => {
          timers.delete(cancel);
          if (live) fn();
        });
        timers.add(cancel);
        return () => {
          timers.delete(cancel);
          cancel();
        };
      },
      sleep: (ms, signal) => this.#clock.sleep(ms, signal),
    };
    const out: StageOutput = {
      push: (c) => {
        if (live && !this.#dead) this.#deliver(this.#nodes.indexOf(node) + 1, { data: c.data, at: this.#clock.now() });
      },
      end: () => {
        if (live && !this.#dead) this.#deliverEnd(this.#nodes.indexOf(node) + 1);
      },
      close: () => {
        if (live && !this.#dead) this.#events.close();
      },
      reset: () => {
        if (live && !this.#dead) this.#events.reset();
      },
      discard: (bytes) => {
        if (!live) return;
        this.#chainBytes -= bytes;
        this.#checkPressure();
      },
    };
    node.revoke = () => {
      live = false;
      for (const cancel of timers) cancel();
      timers.clear();
    };
    node.stage = node.entry.kind.open(node.entry.attributes, { clock, rng: this.#rng, out }, node.state);
  }

  #stop(node: Node): Held {
    const held = node.stage?.stop() ?? { chunks: [], ended: false };
    node.revoke?.();
    node.stage = null;
    node.revoke = null;
    return held;
  }

  /** Hands chunks (and maybe the end) to whatever follows `node`, as if it had pushed them. */
  #forward(node: Node, chunks: readonly Chunk[], ended: boolean): void {
    const next = this.#nodes.indexOf(node) + 1;
    for (const c of chunks) this.#deliver(next, { data: c.data, at: this.#clock.now() });
    if (ended) this.#deliverEnd(next);
  }

  #deliver(from: number, chunk: Chunk): void {
    for (let i = from; i < this.#nodes.length; i++) {
      const stage = this.#nodes[i]!.stage;
      if (stage) return stage.write(chunk);
    }
    this.#sink(chunk);
  }

  #deliverEnd(from: number): void {
    for (let i = from; i < this.#nodes.length; i++) {
      const stage = this.#nodes[i]!.stage;
      if (stage) return stage.end();
    }
    this.#sinkEnd();
  }

  #sink(chunk: Chunk): void {
    this.#chainBytes -= chunk.data.length;
    if (this.#dead || this.#endDelivered || this.dest.destroyed || this.dest.writableEnded) return;
    this.dest.write(chunk.data);
    this.#checkPressure();
  }

  #sinkEnd(): void {
    if (this.#endDelivered) return;
    this.#endDelivered = true;
    this.#events.ended(this);
  }

  // ---- direct pipe vs stages ---------------------------------------------------------------

  #rewire(): void {
    if (this.#dead || !this.#started) return;
    const staged = this.#nodes.some((n) => n.stage !== null);
    if (staged === this.#staged && this.#wired) return;
    this.#wired = true;
    this.#staged = staged;
    if (this.#sourceEnded) return;
    if (staged) {
      // unpipe() pauses the source; bytes it had not emitted yet stay in its buffer and come
      // out of the next 'data' event, behind everything the pipe already wrote.
      this.source.unpipe(this.dest);
      this.source.on('data', this.#onData);
      this.#pausedByUs = false;
      this.#checkPressure();
      if (!this.#pausedByUs) this.source.resume();
    } else {
      this.source.off('data', this.#onData);
      this.#chainBytes = 0;
      this.#pausedByUs = false;
      this.source.pipe(this.dest, { end: false });
    }
  }

  #onData = (data: Buffer): void => {
    if (this.#dead) return;
    this.#chainBytes += data.length;
    this.#deliver(0, { data, at: this.#clock.now() });
    this.#checkPressure();
  };

  #onSourceEnd = (): void => {
    if (this.#sourceEnded) return;
    this.#sourceEnded = true;
    if (this.#dead || !this.#started) return;
    if (this.#staged) this.#deliverEnd(0);
    else this.#sinkEnd();
  };

  #onDrain = (): void => {
    this.#checkPressure();
  };

  /** Staged links apply their own backpressure: the stages cannot, and the pipe is gone. */
  #checkPressure(): void {
    if (!this.#staged || this.#dead || this.#sourceEnded) return;
    const pressure = this.#chainBytes + this.dest.writableLength;
    if (!this.#pausedByUs && pressure >= LINK_HIGH_WATER_MARK) {
      this.#pausedByUs = true;
      this.source.pause();
    } else if (this.#pausedByUs && pressure < LINK_HIGH_WATER_MARK / 2) {
      this.#pausedByUs = false;
      this.source.resume();
    }
  }
}
