/** HTTP `slow_body`: status and headers at once, the body after `delay` (ms). */
import { sample, type Distribution } from '../../../core/distributions.ts';
import { checkDelay, Delay, normalizeDelay } from '../../delay.ts';
import { FAULT_HEADER, passOn, real, streamed } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpSlowBodyFault extends HttpScoped {
  kind: 'slow_body';
  delay: Distribution;
}

/** Status and headers at once, the body after `delay`. */
export interface SlowBodyAction {
  kind: 'slow_body';
  delay: Distribution;
}

const schema = httpFault('slow_body', 'the status and headers at once, the body after a delay.', {
  delay: Delay('How long the body waits after the head, e.g. 2s.'),
  rate: rate('Share of requests slowed. Default 100%.'),
});

export const slowBody: RequestKind<HttpSlowBodyFault, SlowBodyAction, typeof schema> = {
  layer: 'http',
  kind: 'slow_body',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  check: (f, base, at) => checkDelay(f.delay, [...base, 'delay'], at),
  normalize: (f, common) => ({ ...common, layer: 'http', kind: 'slow_body', delay: normalizeDelay(f.delay), rate: rateOf(f.rate) }),
  plan: (f) => ({ kind: 'slow_body', delay: f.delay }),
  async act(f, request, ctx) {
    const got = await real(request, ctx);
    if (passOn(got)) return got;
    const { res, body, headers } = got;
    headers.set('content-length', String(body.length));
    headers.set(FAULT_HEADER, f.name);
    const delayMs = sample(f.delay, ctx.rng);
    const stream = new ReadableStream<Uint8Array>(
      {
        // An empty first chunk: MSW's in-process interceptor sends the head with the first
        // chunk, and the server flushes it at once for a streamed response.
        start: (c) => c.enqueue(new Uint8Array(0)),
        pull: async (c) => {
          await ctx.clock.sleep(delayMs, ctx.signal).catch(() => {});
          c.enqueue(body);
          c.close();
        },
      },
      { highWaterMark: 1 },
    );
    return streamed(new Response(stream, { status: res.status, statusText: res.statusText, headers }));
  },
};
