/**
 * Loopback fixtures for the load driver's tests: a node:http server that notes when each
 * request arrived (on the same clock the driver uses) and closes every socket on `close()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';
import { systemClock } from '../core/clock.ts';

export interface Arrival {
  /** Epoch ms, systemClock. */
  at: number;
  method: string;
  path: string;
}

export interface TestServer {
  url: string;
  port: number;
  arrivals: Arrival[];
  /** Distinct TCP connections the server accepted. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, arrival: Arrival) => void;

export async function startServer(handler: Handler): Promise<TestServer> {
  const arrivals: Arrival[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((req, res) => {
    const arrival: Arrival = { at: systemClock.now(), method: req.method ?? '', path: req.url ?? '' };
    arrivals.push(arrival);
    // Drain any request body so keep-alive works.
    req.resume();
    handler(req, res, arrival);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    arrivals,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Nearest-rank percentile (q in [0, 1]) of unsorted values. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/** Counts of `times` (ms since t = 0) in bins of `binMs` over [0, spanMs); later ones go in the last bin. */
export function binCounts(times: readonly number[], binMs: number, spanMs: number): number[] {
  const n = Math.ceil(spanMs / binMs);
  const bins = new Array<number>(n).fill(0);
  for (const t of times) bins[Math.min(n - 1, Math.max(0, Math.floor(t / binMs)))]!++;
  return bins;
}

/** Pearson's chi-square statistic of counts against equal expected shares. */
export function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
}

/**
 * A `startServer` whose servers are all closed after each test. Call it once at the top
 * level of a test file: `const server = serversClosedAfterEach();`.
 */
export function serversClosedAfterEach(): (handler: Handler) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (handler) => {
    const s = await startServer(handler);
    servers.push(s);
    return s;
  };
}
