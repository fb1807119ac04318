/**
 * What the embedded Toxiproxy costs on the wire: small HTTP requests and a bulk stream, sent
 * directly, through a bare Node `net` pipe, and through faultline's proxy (no toxic, and with a
 * zero-latency toxic to show the cost of the staged chain). Loopback only, bounded in count and time.
 *
 * The servers (HTTP upstream, bare pipe, embedded proxy) run in a child process so the load
 * generator's event loop does not share time with them.
 *
 *   node_modules/.bin/node bench/toxiproxy.ts            # defaults (~40 s)
 *   node_modules/.bin/node bench/toxiproxy.ts --quick    # a smaller run
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const QUICK = process.argv.includes('--quick');
const LATENCY_REQUESTS = QUICK ? 300 : 1000;
const THROUGHPUT_REQUESTS = QUICK ? 3000 : 10000;
const CONCURRENCY = 32;
const BULK_BYTES = (QUICK ? 32 : 128) * 1024 * 1024;
/** Paths are measured in turn, ROUNDS times, and the median kept: other work on the host comes and goes. */
const ROUNDS = 3;
const TIME_CAP_MS = 10_000;

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

if (process.argv[2] === 'serve') await serve();
else await main();

// ---- child: the servers ---------------------------------------------------------------------

async function serve(): Promise<void> {
  const { startToxiproxyServer } = await import('../src/toxiproxy/index.ts');
  const listen = (server: net.Server) =>
    new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));

  const body = Buffer.from('{"ok":true}');
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body);
  });
  httpServer.keepAliveTimeout = 30_000;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const blobServer = net.createServer((s) => {
    s.on('error', () => {});
    // Streams BULK_BYTES as fast as the reader takes them.
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
  const bare = (target: number) =>
    net.createServer((c) => {
      const u = net.connect(target, '127.0.0.1');
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
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
  process.send!(ports);
  process.on('message', async () => {
    await tp.close();
    process.exit(0);
  });
}

// ---- parent: the load -----------------------------------------------------------------------

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', ...process.argv.slice(2)], { execPath: process.execPath });
  const ports = await new Promise<Ports>((resolve) => child.once('message', (m) => resolve(m as Ports)));
  const deadline = setTimeout(() => {
    console.error('bench: time cap exceeded');
    child.kill();
    process.exit(2);
  }, 300_000);

  try {
    const paths: Array<[string, number, number]> = [
      ['direct', ports.http, ports.blob],
      ['bare net pipe', ports.pipeHttp, ports.pipeBlob],
      ['faultline, no toxic', ports.proxyHttp, ports.proxyBlob],
      ['faultline, latency 0', ports.stagedHttp, ports.stagedBlob],
    ];
    // Latency: one request per path in turn, so every path sees the same moments of host load.
    const agents = paths.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const lat = paths.map(() => [] as number[]);
    const stop = performance.now() + TIME_CAP_MS;
    for (let i = 0; i < 200 + LATENCY_REQUESTS && performance.now() < stop; i++) {
      for (const [p, [, httpPort]] of paths.entries()) {
        const t0 = performance.now();
        await get(agents[p]!, httpPort);
        if (i >= 200) lat[p]!.push(performance.now() - t0); // the first 200 warm up
      }
    }
    for (const a of agents) a.destroy();
    // Throughput and bulk: each path in turn, ROUNDS times, median kept.
    const rps = paths.map(() => [] as number[]);
    const mbps = paths.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [p, [, httpPort, blobPort]] of paths.entries()) {
        rps[p]!.push(await concurrent(httpPort, THROUGHPUT_REQUESTS));
        mbps[p]!.push(await bulk(blobPort));
      }
    }
    const rows = paths.map(([path], p) => ({
      path,
      p50: pct(lat[p]!, 0.5),
      p99: pct(lat[p]!, 0.99),
      rps: pct(rps[p]!, 0.5),
      mbps: pct(mbps[p]!, 0.5),
    }));
    const pipe = rows[1]!;
    console.log(`\nHTTP GET, keep-alive. Latency: ${LATENCY_REQUESTS} sequential requests per path, paths interleaved. Throughput: ${THROUGHPUT_REQUESTS} requests on ${CONCURRENCY} connections, and bulk: one ${BULK_BYTES >> 20} MiB stream, median of ${ROUNDS} rounds.\n`);
    console.log('path                    p50 µs   p99 µs    req/s   MiB/s   p50 vs pipe   req/s vs pipe   MiB/s vs pipe');
    for (const r of rows) {
      console.log(
        `${r.path.padEnd(22)} ${(r.p50 * 1000).toFixed(0).padStart(7)} ${(r.p99 * 1000).toFixed(0).padStart(8)} ${r.rps.toFixed(0).padStart(8)} ${r.mbps.toFixed(0).padStart(7)}   ${(r.p50 / pipe.p50).toFixed(2).padStart(11)}   ${(r.rps / pipe.rps).toFixed(2).padStart(13)}   ${(r.mbps / pipe.mbps).toFixed(2).padStart(13)}`,
      );
    }
  } finally {
    clearTimeout(deadline);
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

function get(agent: http.Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}

/** Requests per second with CONCURRENCY keep-alive connections. */
async function concurrent(port: number, n: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  const stop = t0 + TIME_CAP_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < n && performance.now() < stop) {
        sent++;
        await get(agent, port);
        done++;
      }
    }),
  );
  agent.destroy();
  return done / ((performance.now() - t0) / 1000);
}

/** MiB/s reading one BULK_BYTES stream. */
function bulk(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = 0;
    const s = net.connect(port, '127.0.0.1');
    const cap = setTimeout(() => s.destroy(), TIME_CAP_MS);
    s.on('data', (b) => (got += b.length));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(cap);
      resolve(got / 1024 / 1024 / ((performance.now() - t0) / 1000));
    });
  });
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
