/**
 * Abort listening among the router's own layers without EventTarget.
 *
 * A proxied request passes three nested AbortSignals: the client's connection, the request
 * deadline, the attempt's timeout; each layer listens to the one outside it, and the
 * transport to the innermost. Node's AbortSignal `addEventListener`/`removeEventListener`
 * pair costs about half a microsecond at rest and several under load (listener records, the
 * signal's bookkeeping for dependent signals), three times per request. A signal made by a
 * CancelSource carries its source, and `onAbort`/`offAbort` put a listener of ours in the
 * source's intrusive list instead: O(1), no allocation. Any other signal (a caller's own, a
 * test's) is listened to the standard way, so both kinds work everywhere.
 */

const SOURCE = Symbol('faultline.cancelSource');

/** Something told when a signal aborts; the two links are the source's, not the listener's to touch. */
export interface AbortListener {
  handleEvent(): void;
  abortPrev: AbortListener | undefined;
  abortNext: AbortListener | undefined;
}

type Sourced = AbortSignal & { [SOURCE]?: CancelSource };

/**
 * An AbortController whose signal our layers listen to through `onAbort`: aborting it aborts
 * the signal (standard listeners run) and then tells each listener in its list.
 */
export class CancelSource {
  readonly #controller = new AbortController();
  #head: AbortListener | undefined;
  #tail: AbortListener | undefined;

  constructor() {
    (this.#controller.signal as Sourced)[SOURCE] = this;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    let l = this.#head;
    this.#head = this.#tail = undefined;
    while (l) {
      const next = l.abortNext;
      l.abortPrev = l.abortNext = undefined;
      l.handleEvent();
      l = next;
    }
  }

  add(l: AbortListener): void {
    l.abortNext = undefined;
    l.abortPrev = this.#tail;
    if (this.#tail) this.#tail.abortNext = l;
    else this.#head = l;
    this.#tail = l;
  }

  /** Unlinks `l`; nothing when it is not linked (told already, or never added). */
  remove(l: AbortListener): void {
    if (l.abortPrev) l.abortPrev.abortNext = l.abortNext;
    else if (this.#head === l) this.#head = l.abortNext;
    else return;
    if (l.abortNext) l.abortNext.abortPrev = l.abortPrev;
    else this.#tail = l.abortPrev;
    l.abortPrev = l.abortNext = undefined;
  }
}

/** Tells `l` (once) when `signal` aborts. The caller checks `signal.aborted` first. */
export function onAbort(signal: AbortSignal, l: AbortListener): void {
  const source = (signal as Sourced)[SOURCE];
  if (source) source.add(l);
  else signal.addEventListener('abort', l, { once: true });
}

/** Stops telling `l` about `signal`. */
export function offAbort(signal: AbortSignal, l: AbortListener): void {
  const source = (signal as Sourced)[SOURCE];
  if (source) source.remove(l);
  else signal.removeEventListener('abort', l);
}
