/**
 * What the embedded Toxiproxy costs on the wire, against baselines in the same run: small
 * HTTP requests sent directly to an upstream, through a bare Node TCP pipe, and through
 * faultline's proxy with no toxic (and, for scale, with a zero-latency toxic, which forces the
 * staged chain). Loopback only, bounded in count and time.
 *
 * Aims (issue 3): through faultline with no toxic, at least 0.9× the bare pipe's throughput,
 * and under 0.2 ms added at p50 against the direct connection.
 *
 * The servers (HTTP upstream, bare pipe, embedded proxy) share one child process, as the
 * fixture providers and the embedded Toxiproxy share one worker in a run; the load comes from
 * this process. The client is a minimal keep-alive HTTP/1.1 client on raw sockets (responses
 * have a fixed size, so counting bytes counts responses): cheap enough that the servers, not
 * the client, set the throughput. The child's CPU time per request is reported too: its
 * inverse is the servers' capacity (the throughput they would reach with a core to themselves),
 * which other work on the host disturbs less than wall-clock req/s. Both ratios to the pipe
 * are medians of per-round ratios, so neighbouring slices are compared under the same load.
 *
 *   node_modules/.bin/node bench/toxiproxy.ts            # about 40 s
 *   node_modules/.bin/node bench/toxiproxy.ts --quick    # about 12 s, indicative only
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const QUICK = process.argv.includes('--quick');
/** Sequential requests per path for the latency percentiles (after WARMUP each). */
const LATENCY_REQUESTS = QUICK ? 600 : 2000;
const WARMUP = 200;
const CONCURRENCY = 32;
/**
 * Throughput: short slices, each path in turn (order rotated every round), ROUNDS times. Other
 * work on the host comes and goes; neighbouring slices see the same share of it, so the aim is
 * judged on the median of the per-round ratios, and the table shows per-path medians.
 */
const THROUGHPUT_MS = QUICK ? 150 : 300;
const ROUNDS = QUICK ? 12 : 24;
const BULK_ROUNDS = 3;
const BULK_BYTES = (QUICK ? 16 : 64) * 1024 * 1024;
/** Hard cap on the whole run: the bench stops itself. */
const DEADLINE_MS = 120_000;

const AIM_THROUGHPUT = 0.9;
const AIM_ADDED_P50_MS = 0.2;

interface Ports {
  http: number;
  blob: number;
  pipeHttp: number;
  pipeBlob: number;
  proxyHttp: number;
  proxyBlob: number;
  stagedHttp: number;
  stagedBlob: number;
}

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

// ---- child: the servers ---------------------------------------------------------------------

async function serve(): Promise<void> {
  const { startToxiproxyServer } = await import('../src/toxiproxy/index.ts');
  const listen = (server: net.Server) =>
    new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));

  const body = Buffer.from('{"ok":true}');
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body);
  });
  httpServer.keepAliveTimeout = 60_000;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const blobServer = net.createServer((s) => {
    s.on('error', () => {});
    let left = BULK_BYTES;
    const pump = () => {
      while (left > 0) {
        left -= chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  // The baseline: what any Node TCP forwarder costs. Nagle off on both sides, as in the proxy.
  const bare = (target: number) =>
    net.createServer({ noDelay: true }, (c) => {
      const u = net.connect({ port: target, host: '127.0.0.1', noDelay: true });
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
      c.on('close', () => u.destroy());
      u.on('close', () => c.destroy());
      c.pipe(u).pipe(c);
    });

  const ports = { http: await listen(httpServer), blob: await listen(blobServer) } as Ports;
  ports.pipeHttp = await listen(bare(ports.http));
  ports.pipeBlob = await listen(bare(ports.blob));

  const tp = await startToxiproxyServer({ port: 0 });
  const create = async (name: string, upstream: number, toxic: boolean) => {
    const res = await fetch(`${tp.url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` }),
    });
    const p = (await res.json()) as { listen: string };
    if (toxic) {
      for (const stream of ['upstream', 'downstream']) {
        await fetch(`${tp.url}/proxies/${name}/toxics`, {
          method: 'POST',
          body: JSON.stringify({ type: 'latency', stream, attributes: { latency: 0 } }),
        });
      }
    }
    return Number(p.listen.split(':').at(-1));
  };
  ports.proxyHttp = await create('http', ports.http, false);
  ports.proxyBlob = await create('blob', ports.blob, false);
  ports.stagedHttp = await create('http-staged', ports.http, true);
  ports.stagedBlob = await create('blob-staged', ports.blob, true);
  process.on('message', async (m: string) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
      return;
    }
    await tp.close();
    process.exit(0);
  });
  process.send!({ ports });
}

// ---- parent: the load -----------------------------------------------------------------------

interface Path {
  name: string;
  http: number;
  blob: number;
}

interface Row {
  path: string;
  p50: number;
  p99: number;
  rps: number;
  /** Median over rounds of this path's req/s over the pipe's in the same round. */
  rpsVsPipe: number;
  cpuUsPerReq: number;
  mbps: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const child = fork(fileURLToPath(import.meta.url), ['serve', ...process.argv.slice(2)], { execPath: process.execPath });
  const deadline = setTimeout(() => {
    console.error(`bench: over the ${DEADLINE_MS / 1000} s cap; stopping`);
    child.kill('SIGKILL');
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();
  const ports = await new Promise<Ports>((resolve) => child.once('message', (m) => resolve((m as { ports: Ports }).ports)));

  try {
    const paths: Path[] = [
      { name: 'direct', http: ports.http, blob: ports.blob },
      { name: 'bare net pipe', http: ports.pipeHttp, blob: ports.pipeBlob },
      { name: 'faultline, no toxic', http: ports.proxyHttp, blob: ports.proxyBlob },
      { name: 'faultline, latency 0', http: ports.stagedHttp, blob: ports.stagedBlob },
    ];
    const responseSize = await measureResponseSize(ports.http);

    // Latency: one request per path in turn, so every path sees the same moments of host load.
    const conns = await Promise.all(paths.map((p) => HttpConn.open(p.http, responseSize)));
    const lat = paths.map(() => [] as number[]);
    for (let i = 0; i < WARMUP + LATENCY_REQUESTS; i++) {
      for (const [p, conn] of conns.entries()) {
        const t = await conn.request();
        if (i >= WARMUP) lat[p]!.push(t);
      }
    }
    for (const c of conns) c.close();

    // Throughput and bulk: paths in turn, ROUNDS times, medians kept.
    const rps = paths.map(() => [] as number[]);
    const cpu = paths.map(() => [] as number[]);
    const mbps = paths.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < paths.length; k++) {
        const p = (round + k) % paths.length;
        const before = await childCpu(child);
        const { done, total, seconds } = await throughput(paths[p]!.http, responseSize);
        const after = await childCpu(child);
        rps[p]!.push(done / seconds);
        cpu[p]!.push((after - before) / total);
      }
    }
    for (let round = 0; round < BULK_ROUNDS; round++) {
      for (const [p, path] of paths.entries()) mbps[p]!.push(await bulk(path.blob));
    }
    // Faultline vs the pipe, round by round (adjacent slices), then the median of those ratios.
    const capacity = quantile(cpu[1]!.map((c, i) => c / cpu[2]![i]!), 0.5);

    const rows: Row[] = paths.map((path, p) => ({
      path: path.name,
      p50: quantile(lat[p]!, 0.5),
      p99: quantile(lat[p]!, 0.99),
      rps: quantile(rps[p]!, 0.5),
      rpsVsPipe: quantile(rps[p]!.map((r, i) => r / rps[1]![i]!), 0.5),
      cpuUsPerReq: quantile(cpu[p]!, 0.5),
      mbps: quantile(mbps[p]!, 0.5),
    }));
    report(rows, rows[2]!.rpsVsPipe, capacity, (performance.now() - started) / 1000);
  } finally {
    clearTimeout(deadline);
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

function report(rows: Row[], tput: number, capacity: number, seconds: number): void {
  const [direct, pipe, faultline] = rows as [Row, Row, Row, Row];
  console.log(
    `\nSmall HTTP GETs (keep-alive, ${REQUEST.length} B request, fixed-size response) on loopback${QUICK ? ' — quick run' : ''}.` +
      `\nLatency: ${LATENCY_REQUESTS} sequential requests per path, paths interleaved. Throughput: ${CONCURRENCY} connections for ${THROUGHPUT_MS} ms per path,` +
      ` ${ROUNDS} rounds, paths in rotating order; medians (child CPU µs per request alongside). Bulk: one ${BULK_BYTES >> 20} MiB stream, median of ${BULK_ROUNDS}.\n`,
  );
  const head = ['path', 'p50 µs', 'p99 µs', 'p50 added µs', 'req/s', 'req/s vs pipe', 'CPU µs/req', 'MiB/s', 'MiB/s vs pipe'];
  const table = rows.map((r) => [
    r.path,
    us(r.p50),
    us(r.p99),
    r === direct ? '—' : us(r.p50 - direct.p50),
    r.rps.toFixed(0),
    r.rpsVsPipe.toFixed(2),
    r.cpuUsPerReq.toFixed(1),
    r.mbps.toFixed(0),
    (r.mbps / pipe.mbps).toFixed(2),
  ]);
  printTable(head, table);

  const added = faultline.p50 - direct.p50;
  const forwardPipe = pipe.cpuUsPerReq - direct.cpuUsPerReq;
  const forwardFaultline = faultline.cpuUsPerReq - direct.cpuUsPerReq;
  console.log('\naims for faultline with no toxic');
  printTable(
    ['aim', 'measured', 'target', 'met'],
    [
      ['throughput vs bare pipe (req/s, median of per-round ratios)', `${tput.toFixed(2)}×`, `≥ ${AIM_THROUGHPUT.toFixed(2)}×`, tput >= AIM_THROUGHPUT ? 'yes' : 'NO'],
      ['throughput vs bare pipe (capacity: inverse server CPU per request)', `${capacity.toFixed(2)}×`, `≥ ${AIM_THROUGHPUT.toFixed(2)}×`, capacity >= AIM_THROUGHPUT ? 'yes' : 'NO'],
      ['added latency at p50 vs direct', `${(added * 1000).toFixed(0)} µs`, `< ${AIM_ADDED_P50_MS * 1000} µs`, added < AIM_ADDED_P50_MS ? 'yes' : 'NO'],
    ],
  );
  console.log(
    `\nforwarding CPU per request in the server process (path minus direct): bare pipe ${forwardPipe.toFixed(1)} µs, faultline ${forwardFaultline.toFixed(1)} µs` +
      `\nhost load average over the run: ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores; wall time ${seconds.toFixed(1)} s`,
  );
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

const us = (ms: number) => (ms * 1000).toFixed(0);

function childCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { cpu: number }).cpu));
    child.send('cpu');
  });
}

/** One keep-alive connection that sends REQUEST and waits for one fixed-size response. */
class HttpConn {
  #socket: net.Socket;
  #size: number;
  #got = 0;
  #waiter: (() => void) | null = null;

  private constructor(socket: net.Socket, size: number) {
    this.#socket = socket;
    this.#size = size;
    socket.on('data', (b) => {
      this.#got += b.length;
      if (this.#got >= this.#size && this.#waiter) {
        this.#got -= this.#size;
        const w = this.#waiter;
        this.#waiter = null;
        w();
      }
    });
  }

  static open(port: number, size: number): Promise<HttpConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new HttpConn(s, size)));
      s.once('error', reject);
    });
  }

  /** Milliseconds from write to the last byte of the response. */
  request(): Promise<number> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const timer = setTimeout(() => reject(new Error('no response within 5 s')), 5000);
      this.#waiter = () => {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      };
      this.#socket.write(REQUEST);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** The byte length of one response (they all have the same: fixed body, fixed-width Date). */
function measureResponseSize(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(REQUEST));
    let buf = Buffer.alloc(0);
    s.on('data', (b) => {
      buf = Buffer.concat([buf, b]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = /content-length: *(\d+)/i.exec(buf.subarray(0, end).toString());
      if (!len) return reject(new Error('no Content-Length in the response'));
      const size = end + 4 + Number(len[1]);
      if (buf.length >= size) {
        s.destroy();
        resolve(size);
      }
    });
    s.on('error', reject);
  });
}

/** Responses completed by CONCURRENCY closed-loop keep-alive connections in THROUGHPUT_MS. */
async function throughput(port: number, size: number): Promise<{ done: number; total: number; seconds: number }> {
  let done = 0;
  let running = true;
  const sockets = await Promise.all(
    Array.from(
      { length: CONCURRENCY },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  const idle: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (const s of sockets) {
    let got = 0;
    idle.push(
      new Promise<void>((resolve) => {
        s.on('data', (b) => {
          got += b.length;
          while (got >= size) {
            got -= size;
            done++;
            if (running) s.write(REQUEST);
            else return resolve();
          }
        });
        s.on('close', () => resolve());
      }),
    );
    s.write(REQUEST);
  }
  await new Promise((r) => setTimeout(r, THROUGHPUT_MS));
  running = false;
  const seconds = (performance.now() - t0) / 1000;
  const counted = done;
  await Promise.race([Promise.all(idle), new Promise((r) => setTimeout(r, 1000))]);
  for (const s of sockets) s.destroy();
  // `total` includes the requests in flight at the stop, which the child's CPU time covers too.
  return { done: counted, total: done, seconds };
}

/** MiB/s reading one BULK_BYTES stream. */
function bulk(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = 0;
    const s = net.connect(port, '127.0.0.1');
    const cap = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (b) => (got += b.length));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(cap);
      resolve(got / 1024 / 1024 / ((performance.now() - t0) / 1000));
    });
  });
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

// Last, so the class above is initialised before either side runs.
if (process.argv[2] === 'serve') await serve();
else await main();
