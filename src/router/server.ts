/**
 * The reference router behind node:http: the thin shell around `createRouter`. Besides the
 * configured routes it answers `GET /healthz` and `GET /metrics` (Prometheus text), which
 * take precedence over any route.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import type { RouterConfig } from './config.ts';
import { RouterMetrics } from './metrics.ts';
import { CancelSource } from './policies/cancel.ts';
import { CallerAbortedError } from './policies/errors.ts';
import { createRouter, type Router, type RouterRequest } from './router.ts';
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

  const server = createServer((req, res) => {
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
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) forward(req, res, undefined);
    else readBody(req).then((body) => forward(req, res, body), (err: unknown) => routerError(res, err));
  });

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

/** The request body; undefined when it is empty. */
async function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : Buffer.concat(chunks);
}
