/** HTTP `slow_headers`: the provider's work done, the status line and headers wait `delay` (ms). */
import type { Distribution } from '../../../core/distributions.ts';
import { checkDelay, Delay, normalizeDelay } from '../../delay.ts';
import { FAULT_HEADER, passOn, pause, real } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpSlowHeadersFault extends HttpScoped {
  kind: 'slow_headers';
  delay: Distribution;
}

/** The provider does its work, then the status line and headers wait `delay`. */
export interface SlowHeadersAction {
  kind: 'slow_headers';
  delay: Distribution;
}

const schema = httpFault('slow_headers', 'the provider does its work, then the status line and headers are delayed.', {
  delay: Delay('How long the head waits, e.g. 2s.'),
  rate: rate('Share of requests slowed. Default 100%.'),
});

export const slowHeaders: RequestKind<HttpSlowHeadersFault, SlowHeadersAction, typeof schema> = {
  layer: 'http',
  kind: 'slow_headers',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  check: (f, base, at) => checkDelay(f.delay, [...base, 'delay'], at),
  normalize: (f, common) => ({ ...common, layer: 'http', kind: 'slow_headers', delay: normalizeDelay(f.delay), rate: rateOf(f.rate) }),
  plan: (f) => ({ kind: 'slow_headers', delay: f.delay }),
  async act(f, request, ctx) {
    const got = await real(request, ctx);
    if (passOn(got)) return got;
    await pause(ctx, f.delay);
    got.headers.set(FAULT_HEADER, f.name);
    return new Response(got.body, { status: got.res.status, statusText: got.res.statusText, headers: got.headers });
  },
};
