/**
 * The modelled provider's requests carry the connection's signal, as the fixture server's
 * do: a hung request is released when the client goes, whether the hang sees the request
 * itself or a clone of it (a fault in front of it that waits for the rest of the chain), and
 * the request counts as cut off.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import type { HttpStageFault } from '../model/faults/index.ts';
import { SimClock } from './engine.ts';
import { SimProvider } from './provider.ts';

const fixed = (value: number) => ({ distribution: 'fixed' as const, value });

async function heldThenGone(faults: HttpStageFault[]) {
  const clock = new SimClock(0);
  const provider = new SimProvider({ key: 'joke', provider: 'joke', fixture: 'joke', clock, rng: seededRng(1), overhead: fixed(0) }, 0);
  provider.setFaults(faults);
  const gone = new AbortController();
  let answeredAt: number | undefined;
  const answer = provider.serve('GET', '/joke', {}, undefined, gone.signal).then((a) => {
    answeredAt = clock.now();
    return a;
  });
  clock.schedule(300, () => gone.abort(new DOMException('closed', 'AbortError')));
  await clock.runUntil(10_000);
  const out = { answer: await answer, answeredAt, received: provider.received };
  provider.close();
  return out;
}

describe('SimProvider', () => {
  const hang: HttpStageFault = { name: 'stuck', kind: 'hang', rate: 1 } as HttpStageFault;

  it('releases a hung request when the client goes', async () => {
    const { answer, answeredAt, received } = await heldThenGone([hang]);
    expect(answer).toEqual({ dropped: true });
    expect(answeredAt).toBe(300);
    expect(received).toEqual([{ at: 0, endpoint: 'GET /joke', status: 0, ms: 300, path: 'GET /joke' }]);
  });

  it('releases it when the hang sees a clone of the request (a fault in front waits for the rest of the chain)', async () => {
    const slow: HttpStageFault = { name: 'slow', kind: 'slow_headers', rate: 1, delay: fixed(5) } as HttpStageFault;
    const { answer, answeredAt, received } = await heldThenGone([slow, hang]);
    expect(answer).toEqual({ dropped: true });
    expect(answeredAt).toBe(300);
    expect(received).toEqual([{ at: 0, endpoint: 'GET /joke', status: 0, ms: 300, path: 'GET /joke' }]);
  });
});
