/** The `reset` kind alone: its action on a stubbed chain (no server), its normalisation and its plan step. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import { seededRng } from '../../../core/rng.ts';
import { FAULT_HEADER, isStreamed, type FaultContext } from '../http-stage.ts';
import { reset } from './reset.ts';

const BODY = '{"joke":"knock knock"}';
const ctx = (next: FaultContext['next']): FaultContext => ({ rng: seededRng(1), clock: new FakeClock(), signal: new AbortController().signal, next });
const real = async () => new Response(BODY, { status: 201, statusText: 'Created', headers: { 'content-type': 'application/json', 'x-real': 'yes' } });
const fault = { name: 'rst', rate: 1, kind: 'reset' as const };
const act = (next: FaultContext['next']) => reset.act(fault, new Request('http://provider.test/joke'), ctx(next));

describe('http reset', () => {
  it("keeps the real head (status, headers, the body's full Content-Length), streamed, and errors before any body byte", async () => {
    const res = (await act(real))!;
    expect(isStreamed(res)).toBe(true);
    expect([res.status, res.statusText]).toEqual([201, 'Created']);
    expect(res.headers.get('content-length')).toBe(String(BODY.length));
    expect(res.headers.get('x-real')).toBe('yes');
    expect(res.headers.get(FAULT_HEADER)).toBe('rst');
    const reader = res.body!.getReader();
    let bytes = 0;
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          bytes += value.length;
        }
      })(),
    ).rejects.toThrow(/reset by fault rst after the head/);
    expect(bytes).toBe(0);
  });

  it('drops the connection at once when the real body is empty, and passes on no answer or a network error', async () => {
    expect((await act(async () => new Response(null, { status: 204 })))!.type).toBe('error');
    expect(await act(async () => undefined)).toBeUndefined();
    expect((await act(async () => Response.error()))!.type).toBe('error');
  });

  it('normalises its rate (default 100%) and plans a bare action, ramping its rate', () => {
    const common = { name: 'rst', target: { provider: 'joke' }, fromMs: 0, toMs: 1000 };
    const f = reset.normalize({ name: 'rst', target: { provider: 'joke' }, layer: 'http', kind: 'reset' }, common);
    expect(f).toEqual({ ...common, layer: 'http', kind: 'reset', rate: 1 });
    expect(reset.normalize({ name: 'rst', target: { provider: 'joke' }, layer: 'http', kind: 'reset', rate: '30%' }, common).rate).toBe(0.3);
    expect(reset.plan(f)).toEqual({ kind: 'reset' });
    expect(reset.ramps).toEqual({ rate: 'rate' });
  });
});
