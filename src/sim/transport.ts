/**
 * The router's transport in virtual time (`Transport`, src/router/transport.ts): each
 * upstream call crosses the modelled network (./network.ts: the leg's latency and the path's
 * network faults) to the modelled provider (./provider.ts) and back. As the live transport,
 * it rejects with a `NetworkError` when no answer arrives and with the signal's reason when
 * the attempt is aborted; the provider sees the connection close one leg later.
 */
import type { Clock } from '../core/clock.ts';
import { sample } from '../core/distributions.ts';
import type { Rng } from '../core/rng.ts';
import type { NamedToxic } from '../model/faults/kind.ts';
import { NetworkError, type Transport, type UpstreamResponse } from '../router/index.ts';
import type { NetworkModel, PathState } from './network.ts';
import type { SimProvider } from './provider.ts';

export interface SimTransportOptions {
  clock: Clock;
  /** Latency and toxicity draws. */
  rng: Rng;
  network: NetworkModel;
  providers: Map<string, SimProvider>;
  paths: Map<string, PathState>;
}

/** Upstream calls made, for the outcome's stats. */
export interface SimTransport extends Transport {
  readonly calls: number;
}

/**
 * The reason the provider's side of a connection aborts with when the router closes it: one
 * shared value (what reads it only asks whether it aborted), so a closing costs no
 * `DOMException` of its own (`abort()` without a reason builds one each time).
 */
const CONNECTION_CLOSED = new DOMException('the client closed the connection', 'AbortError');

export function simTransport(opts: SimTransportOptions): SimTransport {
  const { clock, rng, network, providers, paths } = opts;
  let calls = 0;
  const leg = () => Math.max(0, sample(network.upstreamLeg, rng));
  /** The toxic of `type` on `stream` that hits this request, if one does (toxicity drawn per request). */
  const hits = (path: PathState, stream: 'upstream' | 'downstream'): NamedToxic[] => {
    const out: NamedToxic[] = [];
    for (const t of path.toxics.values()) if (t.stream === stream && (t.toxicity >= 1 || rng.next() < t.toxicity)) out.push(t);
    return out;
  };
  const extraLatency = (toxics: NamedToxic[]) => {
    let ms = 0;
    for (const t of toxics) {
      if (t.type !== 'latency') continue;
      const j = t.attributes.jitter ?? 0;
      ms += Math.max(0, (t.attributes.latency ?? 0) + (j > 0 ? (rng.next() * 2 - 1) * j : 0));
    }
    return ms;
  };
  /** A toxic that stops the exchange on its stream: timeout or reset_peer; the first one listed wins. */
  const stopper = (toxics: NamedToxic[]) => toxics.find((t) => t.type === 'timeout' || t.type === 'reset_peer');

  return {
    get calls() {
      return calls;
    },
    send(p, req) {
      calls++;
      const provider = providers.get(p.key);
      const path = paths.get(p.key);
      if (!provider || !path) return Promise.reject(new NetworkError('ENOTFOUND', `${p.key}: no modelled provider`));
      const signal = req.signal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<UpstreamResponse>((resolve, reject) => {
        let settled = false;
        const gone = new AbortController();
        const timers: (() => void)[] = [];
        const after = (ms: number, fn: () => void) => timers.push(clock.schedule(ms, fn));
        const finish = (fn: () => void) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          path.inFlight.delete(cut);
          for (const t of timers) t();
          fn();
        };
        /** The provider sees the connection close one leg after the router closed it. */
        const hangUp = () => {
          if (!gone.signal.aborted) clock.schedule(leg(), () => gone.abort(CONNECTION_CLOSED));
        };
        const fail = (code: string, what: string) =>
          finish(() => {
            hangUp();
            reject(new NetworkError(code, `${p.key} (${p.url}): ${what}`));
          });
        const onAbort = () =>
          finish(() => {
            hangUp();
            reject(signal!.reason);
          });
        const cut = () => fail('ECONNRESET', 'connection closed: the proxy was disabled');
        signal?.addEventListener('abort', onAbort, { once: true });
        path.inFlight.add(cut);

        const out = leg();
        if (path.downHolds > 0) return after(2 * out, () => fail('ECONNREFUSED', 'connection refused (proxy down)'));
        const up = hits(path, 'upstream');
        const upStop = stopper(up);
        if (upStop) {
          // Never reaches the provider: held (timeout 0) or closed after the toxic's timeout.
          const ms = upStop.attributes.timeout ?? 0;
          if (upStop.type === 'reset_peer') return after(out + ms, () => fail('ECONNRESET', 'connection reset by peer'));
          if (ms > 0) after(out + ms, () => fail('UND_ERR_SOCKET', 'other side closed'));
          return;
        }
        after(out + extraLatency(up), () => {
          if (settled) return;
          void provider.serve(req.method, req.path, req.headers as Record<string, string | string[]>, req.body, gone.signal).then((answer) => {
            if (settled) return;
            // The provider dropped the connection (a hang released, a body cut): the router hears of it a leg later.
            if ('dropped' in answer) return after(leg(), () => fail('UND_ERR_SOCKET', 'other side closed'));
            const down = hits(path, 'downstream');
            const downStop = stopper(down);
            const back = leg() + extraLatency(down);
            if (downStop) {
              const ms = downStop.attributes.timeout ?? 0;
              if (downStop.type === 'reset_peer') return after(back + ms, () => fail('ECONNRESET', 'connection reset by peer'));
              if (ms > 0) after(back + ms, () => fail('UND_ERR_SOCKET', 'other side closed'));
              return;
            }
            after(back, () => finish(() => resolve({ status: answer.status, headers: answer.headers, body: answer.body })));
          });
        });
      });
    },
    async close() {},
  };
}
