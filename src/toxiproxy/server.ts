/**
 * The embedded Toxiproxy-compatible server: the HTTP API on one port, proxies on others.
 * Toxiproxy's own clients (toxiproxy-node-client, the Go and Ruby clients, toxiproxy-cli)
 * can drive it as they would the real one.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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
  /**
   * Open connections each proxy accepts at most; further ones are refused (closed at once).
   * Bounds a proxy loop the API cannot see. Default: FAULTLINE_TOXIPROXY_MAX_CONNECTIONS, else
   * 4,096 or an eighth of the file-descriptor limit, whichever is lower.
   */
  maxConnectionsPerProxy?: number;
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

/** How long a connection may take to send its first request line before it is answered 408 and closed. */
const REQUEST_LINE_TIMEOUT_MS = 10_000;
/** Bounds on the rest of a request (Node's own defaults are 60 s and 300 s). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

function maxConnectionsFrom(opts: ToxiproxyServerOptions): number | undefined {
  const given = opts.maxConnectionsPerProxy ?? process.env['FAULTLINE_TOXIPROXY_MAX_CONNECTIONS'];
  if (given === undefined || given === '') return undefined;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`maxConnectionsPerProxy (FAULTLINE_TOXIPROXY_MAX_CONNECTIONS) must be a whole number from 1, got ${String(given)}`);
  }
  return n;
}

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
  const maxConnections = maxConnectionsFrom(opts);
  const api = new ToxiproxyApi({ clock, rng, logger, ...(maxConnections ? { maxConnections } : {}) });

  const server = http.createServer((req, res) => {
    serve(api, req, res).catch((e: unknown) => {
      logger.error('request failed', { error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) send(res, errorResponse(e));
      else res.destroy();
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Like Go's server: an unknown method is 405 to Toxiproxy's router, oversized headers 431.
    const status = err.code === 'HPE_INVALID_METHOD' ? 405 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    refuse(socket, status);
  });
  // CONNECT is not a route (Toxiproxy answers 405); without a listener Node would drop the socket.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify(new ApiError(`method not allowed: CONNECT ${req.url ?? ''}`, 405).toJSON()) + '\n';
    refuse(socket, 405, body, { Allow: 'GET, POST, PATCH, DELETE' });
  });
  // Node's parser takes a request line without an HTTP version for HTTP/0.9 and waits for
  // headers that never come; Go's answers 400 at once. Check each connection's first line.
  // (The HTTP server's own 'connection' listener takes each socket once the gate lets it through.)
  const gated = new Set<Socket>();
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  if (httpListeners.length === 1) {
    const httpConnection = httpListeners[0]!;
    server.removeListener('connection', httpConnection);
    server.on('connection', (socket: Socket) => gateRequestLine(socket, gated, () => httpConnection.call(server, socket)));
  }

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
        for (const socket of gated) socket.destroy();
        await api.closeAll();
        await stopped;
      })();
      return closing;
    },
  };
}

/** Answers `status` on a raw socket and closes it once written (at most a second later). */
function refuse(socket: Duplex, status: number, body = '', headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`];
  if (body) head.push('Content-Type: application/json');
  for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => socket.destroy());
}

/** Bytes of a first request line looked at before the socket is handed on regardless (Node then rejects it as too long). */
const REQUEST_LINE_PEEK = 16 * 1024;

/**
 * Holds a new connection until its first request line is in: one without ` HTTP/x.y` (an
 * HTTP/0.9 request) is answered 400 and closed; anything else goes on to the HTTP server
 * with its bytes put back. Leading empty lines are skipped, as HTTP/1.1 allows.
 */
function gateRequestLine(socket: Socket, pending: Set<Socket>, pass: () => void): void {
  let seen: Buffer = Buffer.alloc(0);
  pending.add(socket);
  const done = () => {
    pending.delete(socket);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    clearTimeout(timer);
  };
  const onData = (chunk: Buffer) => {
    seen = seen.length ? Buffer.concat([seen, chunk]) : chunk;
    let start = 0;
    while (start < seen.length && (seen[start] === 0x0d || seen[start] === 0x0a)) start++;
    const nl = seen.indexOf(0x0a, start);
    if (nl < 0 && seen.length < REQUEST_LINE_PEEK) return;
    done();
    socket.pause();
    if (nl >= 0 && !/ HTTP\/\d/.test(seen.subarray(start, nl).toString('latin1'))) {
      refuse(socket, 400);
      return;
    }
    socket.unshift(seen);
    pass();
    // The HTTP server reads the bytes put back from the socket's 'data' events, the rest as they come.
    socket.resume();
  };
  const onEnd = () => {
    done();
    // Half-closed before a whole line: answer what Node's parser would (it sees an incomplete request).
    refuse(socket, 400);
  };
  const onError = () => {
    done();
    socket.destroy();
  };
  const timer = setTimeout(() => {
    done();
    refuse(socket, 408);
  }, REQUEST_LINE_TIMEOUT_MS);
  timer.unref();
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
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
