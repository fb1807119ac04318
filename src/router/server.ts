/**
 * The reference router behind node:http: the thin shell around `createRouter`. Besides the
 * configured routes it answers `GET /healthz` and `GET /metrics` (Prometheus text), which
 * take precedence over any route.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Rng } from '../core/rng.ts';
import type { RouterConfig } from './config.ts';
import { RouterMetrics } from './metrics.ts';
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

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      // handle() turns upstream failures into answers; reaching here is a router bug.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'router_error', message: err instanceof Error ? err.message : String(err) }));
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': healthz.byteLength });
      res.end(healthz);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType });
      res.end(text);
      return;
    }
    // The client leaving aborts the upstream calls made for it, sleeps included.
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new CallerAbortedError());
    });
    const body = await readBody(req);
    const answer = await router.handle({
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      signal: controller.signal,
      ...(req.socket.remoteAddress !== undefined && { remoteAddress: req.socket.remoteAddress }),
      ...(body && { body }),
    });
    if (res.destroyed) return;
    res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.byteLength });
    res.end(answer.body);
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

/** The request body, or undefined when there is none (most GETs: no buffering, no await on data). */
async function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : Buffer.concat(chunks);
}
