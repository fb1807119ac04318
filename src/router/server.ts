/**
 * The reference router behind node:http: the thin shell around `createRouter`. Besides the
 * configured routes it answers `GET /healthz` and `GET /metrics` (Prometheus text), which
 * take precedence over any route.
 *
 * What a client may hold, bounded by the config (`maxRequestBody`, `server`):
 *
 * - a request body: at most its route's `maxRequestBody` (default 1 MiB). A Content-Length
 *   over it is answered 413 before a byte of the body is read (and before `100 Continue`);
 *   a chunked body is counted as it arrives and answered 413 the moment it passes the limit.
 *   Either way nothing is forwarded, and the connection is closed after the answer (the
 *   rest of the body is discarded, never buffered).
 * - a connection: `headersTimeout` to send the headers (slowloris: 408), `requestTimeout` to
 *   send the whole request, `keepAliveTimeout` idle between requests, `idleTimeout` with no
 *   traffic at all. Node checks the first two every `connectionsCheckingInterval`, set here
 *   to at most 1 s (Node's default is 30 s), so 5,000 parked connections are gone within
 *   about `headersTimeout` + 1 s.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import { DEFAULT_SERVER_TIMEOUTS, type RouterConfig } from './config.ts';
import { PROVIDER_HEADER, type RouterRequest } from './messages.ts';
import { RouterMetrics } from './metrics.ts';
import { CancelSource } from './policies/cancel.ts';
import { CallerAbortedError } from './policies/errors.ts';
import { createRouter, type Router } from './router.ts';
import { undiciTransport, type Transport } from './transport.ts';

export interface StartRouterOptions {
  config: RouterConfig;
  /** Default 127.0.0.1: loopback only unless asked. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Provider key (`weather-primary`, `stripe@eu`) or bare name → base URL, overriding the config's URLs. */
  upstreams?: Record<string, string>;
  clock?: Clock;
  rng?: Rng;
  /** Default: undici pools with keep-alive. */
  transport?: Transport;
}

export interface RunningRouter {
  /** `http://host:port`. */
  url: string;
  port: number;
  metrics: RouterMetrics;
  router: Router;
  /** Stops accepting, drops open connections (in-flight upstream calls are aborted), closes pools and timers. */
  close(): Promise<void>;
}

/**
 * @example
 *   const loaded = await loadRouterConfig('fixtures/routers/joke.yaml');
 *   if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
 *   const router = await startRouter({ config: loaded.value, upstreams: { joke: fixtureUrl } });
 *   await fetch(`${router.url}/joke`);
 *   await router.close();
 */
export async function startRouter(opts: StartRouterOptions): Promise<RunningRouter> {
  const metrics = new RouterMetrics();
  const router = createRouter({
    config: opts.config,
    transport: opts.transport ?? undiciTransport(),
    metrics,
    ...(opts.upstreams && { upstreams: opts.upstreams }),
    ...(opts.clock && { clock: opts.clock }),
    ...(opts.rng && { rng: opts.rng }),
  });
  const healthz = Buffer.from(JSON.stringify({ status: 'ok', name: opts.config.name }));

  // The client leaving aborts the upstream calls made for it, sleeps included. HTTP/1.1 has no
  // way to leave but closing the connection, so one signal per connection serves every
  // request on it (an AbortController and a listener per request cost the router as much as
  // several of its policies).
  const departures = new WeakMap<Socket, AbortSignal>();
  function departureOf(socket: Socket): AbortSignal {
    let signal = departures.get(socket);
    if (!signal) {
      // Its listeners (each request in flight on the connection) are ours: see cancel.ts.
      const source = new CancelSource();
      signal = source.signal;
      socket.once('close', () => source.abort(new CallerAbortedError()));
      departures.set(socket, signal);
    }
    return signal;
  }

  // Refused before the router saw the request: counted here, under route `none`.
  const refuseTooLarge = (res: ServerResponse, limit: number) => {
    metrics.request('none', 'none', 'too_large', 0);
    tooLarge(res, limit);
  };
  const timeouts = opts.config.server ?? DEFAULT_SERVER_TIMEOUTS;
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeout,
      requestTimeout: timeouts.requestTimeout,
      keepAliveTimeout: timeouts.keepAliveTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeouts.headersTimeout / 2))),
    },
    onRequest,
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
  // No 'timeout' listener: a socket idle this long is destroyed.
  server.setTimeout(timeouts.idleTimeout);
  // `Expect: 100-continue`: a body already known to be too large is refused instead of invited.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const limit = router.bodyLimit(req.url ?? '/');
    if (declaredLength(req) > limit) refuseTooLarge(res, limit);
    else {
      res.writeContinue();
      onRequest(req, res);
    }
  });

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': healthz.byteLength });
      res.end(healthz);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
        },
        (err: unknown) => routerError(res, err),
      );
      return;
    }
    // Most requests have no body: they go to the router at once, without a wait for one.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      forward(req, res, undefined);
      return;
    }
    const limit = router.bodyLimit(path);
    if (declaredLength(req) > limit) {
      refuseTooLarge(res, limit);
      return;
    }
    readBody(req, limit).then(
      (body) => (body === TOO_LARGE ? refuseTooLarge(res, limit) : forward(req, res, body)),
      () => badBody(res),
    );
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Uint8Array | undefined): void {
    const request: RouterRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, signal: departureOf(req.socket) };
    const peer = req.socket.remoteAddress;
    if (peer !== undefined) request.remoteAddress = peer;
    if (body) request.body = body;
    router.handle(request).then(
      (answer) => {
        if (res.destroyed) return;
        // The answer is this request's own: its headers can take the length as they are.
        answer.headers['content-length'] = String(answer.body.byteLength);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      },
      (err: unknown) => routerError(res, err),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    metrics,
    router,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await router.close();
      })();
      return closing;
    },
  };
}

/** handle() turns upstream failures into answers; reaching here is a router bug. */
function routerError(res: ServerResponse, err: unknown): void {
  if (res.destroyed) return;
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: 'router_error', message: err instanceof Error ? err.message : String(err) }));
}

const TOO_LARGE = Symbol('too large');

/** The Content-Length the client declared (node:http has checked its syntax); 0 without one. */
function declaredLength(req: IncomingMessage): number {
  const v = req.headers['content-length'];
  return v === undefined ? 0 : Number(v);
}

/**
 * The request body, counted as it arrives; undefined when it is empty, TOO_LARGE as soon as
 * it passes `limit` (what came so far is dropped, and the rest is discarded as it arrives).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      // Whatever else arrives is read and dropped, so the stream never holds it.
      req.on('error', () => {});
      req.resume();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        chunks.length = 0;
        done();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** 413, and the connection closed after it: the rest of the body is not waited for. */
function tooLarge(res: ServerResponse, limit: number): void {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify({ error: 'request_too_large', message: `the request body is over this route's limit of ${limit} bytes`, limit });
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', [PROVIDER_HEADER]: 'none' });
  res.end(body);
}

/** The client broke off or garbled its body: its fault, a 400 if it still listens. */
function badBody(res: ServerResponse): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', connection: 'close', [PROVIDER_HEADER]: 'none' });
  res.end(JSON.stringify({ error: 'bad_body', message: 'the request body could not be read' }));
}
