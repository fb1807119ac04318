import { getResponse, type RequestHandler } from 'msw';
import { Pool, type Dispatcher } from 'undici';
import { offAbort, onAbort, type AbortListener } from './policies/cancel.ts';
import { NetworkError } from './policies/errors.ts';
import type { Provider } from './providers.ts';

/** What the router sends upstream: the client's method, path with query, headers and body. */
export interface UpstreamRequest {
  method: string;
  /** Path and query, e.g. `/weather/oslo?units=metric`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Uint8Array;
  /** Aborts the attempt (its timeout, or the client leaving). */
  signal?: AbortSignal;
}

/** A provider's answer, body read in full: a retried or failed-over response must not hold a socket. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

/**
 * How the router reaches providers: the seam between policies and sockets. Rejects with a
 * `NetworkError` when no response arrives and with the signal's reason when aborted.
 */
export interface Transport {
  send(provider: Provider, req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * The live transport: one undici Pool per provider origin, with keep-alive, so the router
 * pays the TCP handshake once per connection, not once per request.
 *
 * @example
 *   const transport = undiciTransport();
 *   await transport.send(provider, { method: 'GET', path: '/joke', headers: {} });
 */
export function undiciTransport(options: Pool.Options = {}): Transport {
  const pools = new Map<string, { pool: Pool; prefix: string }>();
  let closed = false;

  function poolFor(provider: Provider): { pool: Pool; prefix: string } {
    let entry = pools.get(provider.url);
    if (!entry) {
      const url = new URL(provider.url);
      entry = {
        pool: new Pool(url.origin, { keepAliveTimeout: 4_000, ...options }),
        prefix: url.pathname.replace(/\/+$/, ''),
      };
      pools.set(provider.url, entry);
    }
    return entry;
  }

  return {
    send(provider, req) {
      if (closed) return Promise.reject(new NetworkError('ROUTER_CLOSED', 'transport is closed'));
      const { pool, prefix } = poolFor(provider);
      return new Promise<UpstreamResponse>((resolve, reject) => {
        const exchange = new BufferedExchange(provider, req.signal, resolve, reject);
        try {
          pool.dispatch(
            {
              method: req.method as Dispatcher.HttpMethod,
              path: prefix + req.path,
              headers: req.headers as Record<string, string | string[]>,
              body: req.body && req.body.byteLength > 0 ? req.body : null,
            },
            exchange,
          );
        } catch (err) {
          exchange.onResponseError(undefined, err as Error);
        }
      });
    },
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map(({ pool }) => pool.destroy()));
    },
  };
}

/**
 * One upstream call on undici's dispatch API, the answer collected into one buffer.
 *
 * `pool.request()` wraps every answer in a Readable stream and its own abort wiring, which a
 * router that reads small answers whole pays for on every call (a quarter of a bare proxy's
 * CPU per request, by bench/router.ts). The handler gets the bytes as they arrive instead,
 * and is itself the abort listener on the attempt's signal.
 */
class BufferedExchange implements Dispatcher.DispatchHandler, AbortListener {
  abortPrev: AbortListener | undefined = undefined;
  abortNext: AbortListener | undefined = undefined;
  readonly #provider: Provider;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (res: UpstreamResponse) => void;
  readonly #reject: (err: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: Record<string, string | string[]> = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;

  constructor(provider: Provider, signal: AbortSignal | undefined, resolve: (res: UpstreamResponse) => void, reject: (err: unknown) => void) {
    this.#provider = provider;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) {
      controller.abort(signal.reason);
      return;
    }
    this.#controller = controller;
    onAbort(signal, this);
  }

  /** The attempt's signal aborted (its timeout, the deadline, the client leaving). */
  handleEvent(): void {
    this.#controller?.abort(this.#signal!.reason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[]>): void {
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
  }

  onResponseEnd(): void {
    if (this.#settle()) return;
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#resolve({ status: this.#status, headers: this.#headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#settle()) return;
    const signal = this.#signal;
    this.#reject(signal?.aborted ? signal.reason : asNetworkError(err, this.#provider));
  }

  /** Marks the exchange settled and drops the abort listener; true if it already was. */
  #settle(): boolean {
    if (this.#settled) return true;
    this.#settled = true;
    if (this.#controller !== undefined) offAbort(this.#signal!, this);
    return false;
  }
}

function asNetworkError(err: unknown, provider: Provider): NetworkError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code ?? 'UNKNOWN';
  return new NetworkError(code, `${provider.key} (${provider.url}): ${e.message ?? String(err)}`, { cause: err });
}

/**
 * An in-process transport for tests: requests go to MSW handlers through `getResponse`,
 * with no sockets. A request no handler matches, or one answered with
 * `HttpResponse.error()`, is a network error, as it would be live.
 *
 * @example
 *   const transport = mswTransport([http.get('http://joke.test/joke', () => HttpResponse.json({ id: 1 }))]);
 */
export function mswTransport(handlers: RequestHandler[]): Transport {
  return {
    async send(provider, req) {
      const url = provider.url.replace(/\/+$/, '') + req.path;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
      }
      const hasBody = req.body !== undefined && req.body.byteLength > 0 && req.method !== 'GET' && req.method !== 'HEAD';
      const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? (req.body as Uint8Array<ArrayBuffer>) : null,
        signal: req.signal,
      });
      const res = await getResponse(handlers, request);
      if (req.signal?.aborted) throw req.signal.reason;
      if (!res) throw new NetworkError('MSW_UNHANDLED', `${provider.key}: no MSW handler for ${req.method} ${url}`);
      if (res.type === 'error') throw new NetworkError('ECONNRESET', `${provider.key}: network error (HttpResponse.error())`);
      const out: Record<string, string | string[]> = {};
      res.headers.forEach((value, key) => {
        if (key !== 'set-cookie') out[key] = value;
      });
      const cookies = res.headers.getSetCookie();
      if (cookies.length > 0) out['set-cookie'] = cookies;
      return { status: res.status, headers: out, body: new Uint8Array(await res.arrayBuffer()) };
    },
    async close() {},
  };
}
