/**
 * HTTP `latency`: a delay before the provider sees the request, drawn from `delay` (ms), for
 * a share `rate` of requests; then the request falls through to the provider.
 */
import { jittered, type Distribution } from '../../../core/distributions.ts';
import { parseDuration } from '../../../core/units.ts';
import { rec } from '../../checks.ts';
import { checkDelay, Delay, normalizeDelay } from '../../delay.ts';
import { duration } from '../../quantities.ts';
import Type from 'typebox';
import { pause } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

/** `latency: 800ms, jitter: 100ms` in the file is uniform on 700–900 ms here. */
export interface HttpLatencyFault extends HttpScoped {
  kind: 'latency';
  delay: Distribution;
}

/** Delay the request before the provider sees it, by a draw from `delay`. */
export interface LatencyAction {
  kind: 'latency';
  delay: Distribution;
}

const schema = httpFault('latency', 'delay the request before the provider answers it.', {
  latency: Delay('Added delay, e.g. 800ms, or { distribution: lognormal, p50: 20ms, p99: 120ms }.'),
  jitter: Type.Optional(duration('With a fixed latency: each delay is uniform in latency ± jitter. Default 0ms.')),
  rate: rate('Share of requests delayed. Default 100%.'),
});

export const latency: RequestKind<HttpLatencyFault, LatencyAction, typeof schema> = {
  layer: 'http',
  kind: 'latency',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  check(f, base, at) {
    checkDelay(f.latency, [...base, 'latency'], at);
    if (rec(f.latency) && f.jitter !== undefined) {
      at([...base, 'jitter'], 'jitter goes with a fixed latency; for a spread, use a distribution such as { distribution: uniform, min: 50ms, max: 150ms }');
    }
  },
  normalize(f, common) {
    // `latency ± jitter` is today's shorthand for a uniform delay; a distribution is taken as written.
    const delay = typeof f.latency === 'string' ? jittered(parseDuration(f.latency), f.jitter === undefined ? 0 : parseDuration(f.jitter)) : normalizeDelay(f.latency);
    return { ...common, layer: 'http', kind: 'latency', delay, rate: rateOf(f.rate) };
  },
  plan: (f) => ({ kind: 'latency', delay: f.delay }),
  act: (f, _request, ctx) => pause(ctx, f.delay).then(() => undefined),
};
