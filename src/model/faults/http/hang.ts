/** HTTP `hang`: no answer; held until the client gives up or the fault ends, then the connection is dropped. */
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';
import type { FaultContext } from '../http-stage.ts';

export interface HttpHangFault extends HttpScoped {
  kind: 'hang';
}

/** Never answer: held until the client gives up, the fault ends or the provider closes; then the connection is dropped. */
export interface HangAction {
  kind: 'hang';
}

const schema = httpFault('hang', 'never answer: the request is held until the client gives up or the fault ends, then the connection is dropped.', {
  rate: rate('Share of requests held. Default 100%.'),
});

export const hang: RequestKind<HttpHangFault, HangAction, typeof schema> = {
  layer: 'http',
  kind: 'hang',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  normalize: (f, common) => ({ ...common, layer: 'http', kind: 'hang', rate: rateOf(f.rate) }),
  plan: () => ({ kind: 'hang' }),
  act: (_f, request, ctx) => held(request, ctx),
};

/** Held until the client aborts or the fault's signal fires; then a network error: the server drops the connection. */
function held(request: Request, ctx: FaultContext): Promise<Response> {
  return new Promise((resolve) => {
    const signals = [ctx.signal, request.signal];
    const release = () => {
      for (const s of signals) s.removeEventListener('abort', release);
      resolve(Response.error());
    };
    if (signals.some((s) => s.aborted)) return release();
    for (const s of signals) s.addEventListener('abort', release, { once: true });
  });
}
