/**
 * `json` answers as MSW's `HttpResponse.json` does, read every way a Response is read: whole
 * (arrayBuffer, bytes, text, json), as a stream, as a blob, cloned; a second read fails as
 * it does; and through MSW in-process (setupServer + fetch), as a client sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { json } from './respond.ts';

const body = { id: 'ord_1', items: [1, 2, 3], name: 'Ada ✓', region: null };

async function streamText(res: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('json', () => {
  const pair = (init?: { status?: number; headers?: Record<string, string> }) => [json(body, init), HttpResponse.json(body, init)] as const;

  it('has the status, reason phrase and headers HttpResponse.json has', () => {
    const inits: ({ status?: number; headers?: Record<string, string> } | undefined)[] = [undefined, { status: 201 }, { status: 503, headers: { 'x-faultline-capacity': 'queue full' } }, { headers: { 'Content-Type': 'application/problem+json' } }];
    for (const init of inits) {
      const [ours, msw] = pair(init);
      expect(ours.status).toBe(msw.status);
      expect(ours.statusText).toBe(msw.statusText);
      expect(ours.ok).toBe(msw.ok);
      expect(ours.type).toBe(msw.type);
      expect([...ours.headers]).toEqual([...msw.headers]);
    }
  });

  it('reads the same bytes every way, once', async () => {
    const reads: ((r: Response) => Promise<string>)[] = [
      async (r) => Buffer.from(await r.arrayBuffer()).toString('utf8'),
      async (r) => Buffer.from(await r.bytes()).toString('utf8'),
      (r) => r.text(),
      async (r) => JSON.stringify(await r.json()),
      streamText,
      async (r) => (await r.blob()).text(),
      (r) => r.clone().text(),
    ];
    for (const read of reads) {
      const [ours, msw] = pair();
      expect(ours.bodyUsed).toBe(false);
      expect(await read(ours)).toBe(await read(msw));
      expect(ours.bodyUsed).toBe(msw.bodyUsed);
    }
    const [ours, msw] = pair();
    await ours.text();
    await msw.text();
    await expect(ours.text()).rejects.toThrow(TypeError);
    await expect(msw.text()).rejects.toThrow(TypeError);
    expect(() => ours.clone()).toThrow(TypeError);
    expect(() => msw.clone()).toThrow(TypeError);
    // A clone reads alike, and leaves the original whole.
    const [a] = pair();
    const c = a.clone();
    expect(await c.text()).toBe(await a.text());
  });

  describe('through MSW in-process', () => {
    const server = setupServer(http.get('http://json.test/ours', () => json(body, { status: 201 })), http.get('http://json.test/msw', () => HttpResponse.json(body, { status: 201 })));
    beforeAll(() => server.listen());
    afterAll(() => server.close());

    it('reaches a fetch client as HttpResponse.json does', async () => {
      const [ours, msw] = await Promise.all([fetch('http://json.test/ours'), fetch('http://json.test/msw')]);
      expect(ours.status).toBe(msw.status);
      expect([...ours.headers]).toEqual([...msw.headers]);
      expect(await ours.text()).toBe(await msw.text());
    });
  });
});
