import { describe, expect, it } from 'vitest';
import { CancelSource, offAbort, onAbort, type AbortListener } from './cancel.ts';

const listener = (log: string[], name: string): AbortListener => ({
  abortPrev: undefined,
  abortNext: undefined,
  handleEvent: () => log.push(name),
});

describe('CancelSource', () => {
  it('tells the listeners still linked, once each, in the order they came, after the signal itself has aborted', () => {
    const source = new CancelSource();
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => listener(log, n)) as [AbortListener, AbortListener, AbortListener, AbortListener];
    for (const l of [a, b, c, d]) onAbort(source.signal, l);
    offAbort(source.signal, c);
    offAbort(source.signal, a);
    offAbort(source.signal, a); // twice: nothing
    source.signal.addEventListener('abort', () => log.push(`standard, aborted=${source.signal.aborted}`));
    const reason = new Error('gone');
    source.abort(reason);
    source.abort(new Error('again'));
    expect(log).toEqual(['standard, aborted=true', 'b', 'd']);
    expect(source.signal.reason).toBe(reason);
    // Unlinked by the abort: removing them now is a no-op.
    offAbort(source.signal, b);
  });

  it('listens to any other AbortSignal the standard way', () => {
    const controller = new AbortController();
    const log: string[] = [];
    const kept = listener(log, 'kept');
    const dropped = listener(log, 'dropped');
    onAbort(controller.signal, kept);
    onAbort(controller.signal, dropped);
    offAbort(controller.signal, dropped);
    controller.abort();
    controller.abort();
    expect(log).toEqual(['kept']);
  });
});
