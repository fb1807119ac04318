/** HTTP `truncate`: status, headers (with the full Content-Length) and part of the body (`bytes`, else `fraction` of it), then the connection is dropped. */
import Type from 'typebox';
import { parsePercent } from '../../../core/units.ts';
import { PERCENT } from '../../checks.ts';
import { MAX_COUNT, percent } from '../../quantities.ts';
import { cutShort, passOn, real } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpTruncateFault extends HttpScoped {
  kind: 'truncate';
  bytes?: number;
  fraction?: number;
}

/** Send the status, headers (with the full Content-Length) and part of the body, then drop the connection. */
export interface TruncateAction {
  kind: 'truncate';
  bytes?: number;
  fraction?: number;
}

const schema = httpFault('truncate', 'send the status, the headers and part of the body, then drop the connection.', {
  bytes: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'Bytes of the body sent before the cut (at most all but one).' })),
  fraction: Type.Optional(percent('Share of the body sent before the cut, e.g. 50%. Default 50% (unless `bytes`).')),
  rate: rate('Share of requests cut. Default 100%.'),
});

export const truncate: RequestKind<HttpTruncateFault, TruncateAction, typeof schema> = {
  layer: 'http',
  kind: 'truncate',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  check(f, base, at) {
    if (f.bytes !== undefined && f.fraction !== undefined) at([...base, 'fraction'], 'give `bytes` or `fraction`, not both');
    if (typeof f.fraction === 'string' && PERCENT.test(f.fraction) && parsePercent(f.fraction) >= 1) {
      at([...base, 'fraction'], 'fraction must be below 100%: a truncated body leaves something out');
    }
  },
  normalize: (f, common) => ({
    ...common,
    layer: 'http',
    kind: 'truncate',
    rate: rateOf(f.rate),
    ...(f.bytes !== undefined ? { bytes: f.bytes } : { fraction: f.fraction === undefined ? 0.5 : parsePercent(f.fraction) }),
  }),
  plan: (f) => ({ kind: 'truncate', ...(f.bytes !== undefined && { bytes: f.bytes }), ...(f.fraction !== undefined && { fraction: f.fraction }) }),
  async act(f, request, ctx) {
    const got = await real(request, ctx);
    if (passOn(got)) return got;
    const { body } = got;
    if (body.length === 0) return Response.error(); // nothing to cut: drop the connection at once
    const wanted = f.bytes ?? Math.floor(body.length * (f.fraction ?? 0.5));
    const keep = Math.max(0, Math.min(wanted, body.length - 1)); // at least one byte short
    return cutShort(got, body.subarray(0, keep), f.name, `truncated by fault ${f.name} after ${keep} of ${body.length} bytes`);
  },
};
