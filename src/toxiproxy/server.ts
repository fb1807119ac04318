/**
 * The embedded Toxiproxy-compatible server: the HTTP API on one port, proxies on others.
 * Toxiproxy's own clients (toxiproxy-node-client, the Go and Ruby clients, toxiproxy-cli)
 * can drive it as they would the real one.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../core/clock.ts';
import { seededRng, type Rng } from '../core/rng.ts';
import { formatHostPort } from './address.ts';
import { ApiError } from './api-error.ts';
import { errorResponse, ToxiproxyApi, type ApiResponse } from './api.ts';
import { silentLogger, type ToxiproxyLogger } from './proxy.ts';

export interface ToxiproxyServerOptions {
  /** API address; loopback unless told otherwise. */
  host?: string;
  /** API port; Toxiproxy's 8474 by default, 0 for any free port. */
  port?: number;
  /** Jitter, toxicity draws and slicer sizes. Seeded from the clock when absent. */
  rng?: Rng;
  /** Every toxic's delays. `systemClock` when absent. */
  clock?: Clock;
  logger?: ToxiproxyLogger;
}

export interface ToxiproxyServer {
  /** Base URL for Toxiproxy clients, e.g. `http://127.0.0.1:8474`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops the API, every proxy, every connection and every toxic's timers. */
  close(): Promise<void>;
}

/** Request bodies are small JSON documents; anything bigger is refused, not buffered. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the server.
 *
 * @example
 *   const server = await startToxiproxyServer({ port: 0 });
 *   const toxiproxy = new Toxiproxy(server.url); // toxiproxy-node-client
 *   const proxy = await toxiproxy.createProxy({ name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:5432' });
 *   await proxy.addToxic({ type: 'latency', attributes: { latency: 100, jitter: 10 } } as never);
 *   await server.close();
 */
export async function startToxiproxyServer(opts: ToxiproxyServerOptions = {}): Promise<ToxiproxyServer> {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? seededRng(Math.floor(clock.now()) | 0);
  const logger = opts.logger ?? silentLogger;
  const api = new ToxiproxyApi({ clock, rng, logger });

  const server = http.createServer((req, res) => {
    serve(api, req, res).catch((e: unknown) => {
      logger.error('request failed', { error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) send(res, errorResponse(e));
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8474 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error('API server error', { error: e.message }));
  const addr = server.address() as AddressInfo;
  const url = `http://${formatHostPort(addr.address, addr.port)}`;
  logger.info('Toxiproxy-compatible API listening', { url });

  let closing: Promise<void> | undefined;
  return {
    url,
    host: addr.address,
    port: addr.port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await api.closeAll();
        await stopped;
      })();
      return closing;
    },
  };
}

async function serve(api: ToxiproxyApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Toxiproxy refuses browsers, so a web page cannot reconfigure proxies through the visitor.
  if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('User agent not allowed\n');
    return;
  }
  const body = await readBody(req);
  if (body === undefined) {
    send(res, { status: 413, body: new ApiError(`request body too large (limit ${MAX_BODY_BYTES} bytes)`, 413).toJSON() }, true);
    return;
  }
  send(res, await api.handle(req.method ?? 'GET', req.url ?? '/', body));
}

/** The body as text, or undefined when it exceeds the limit (reading stops there). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      parts.push(b);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: ApiResponse, closeAfter = false): void {
  const headers: Record<string, string> = { ...r.headers };
  if (closeAfter) headers['Connection'] = 'close';
  if (r.status === 204 || (r.body === undefined && r.raw === undefined)) {
    res.writeHead(r.status, headers).end();
    return;
  }
  // Like Toxiproxy: data bodies bare, error bodies (Go's http.Error) end with a newline.
  const text = r.raw ?? JSON.stringify(r.body) + (r.status >= 400 ? '\n' : '');
  headers['Content-Type'] ??= 'application/json';
  res.writeHead(r.status, headers).end(text);
  if (closeAfter) res.once('finish', () => res.socket?.destroy());
}
