/**
 * Toxics over real loopback sockets, driven through toxiproxy-node-client. Timing bounds are
 * wide enough for a loaded 2-core machine and narrow enough to fail if a toxic does nothing
 * (or does twice what it should).
 */
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { startToxiproxyServer, type ToxiproxyServer } from './index.ts';
import { blobServer, Client, closeAll, echoServer, median, pattern, sleep, tcpServer } from './testing.ts';

let server: ToxiproxyServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await closeAll();
});

async function setup(upstream: string, opts: { clock?: FakeClock; seed?: number } = {}) {
  server = await startToxiproxyServer({ port: 0, rng: seededRng(opts.seed ?? 11), clock: opts.clock });
  const client = new Toxiproxy(server.url);
  const proxy = await client.createProxy({ name: 'svc', listen: '127.0.0.1:0', upstream });
  return { client, proxy };
}

/** `addToxic` with the body toxiproxy-node-client sends; its type wants every field. */
function add(proxy: Proxy, body: { type: string; stream?: string; toxicity?: number; name?: string; attributes?: object }) {
  return proxy.addToxic(body as never);
}

async function roundTrips(c: Client, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await c.roundTrip(`ping${i}`));
  return out;
}

describe('latency', () => {
  it('adds its latency at the median (7 round trips, 50 ms downstream)', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const c = new Client(proxy.listen);
    const base = median(await roundTrips(c, 7));
    await add(proxy, { type: 'latency', attributes: { latency: 50 } });
    const slow = median(await roundTrips(c, 7));
    // Timers never fire early by more than libuv's 1 ms rounding; a loaded machine adds some.
    expect(slow - base).toBeGreaterThanOrEqual(48);
    expect(slow - base).toBeLessThan(50 + 20);
  });

  it('keeps jittered delays within latency ± jitter and actually varies them (15 samples)', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    await add(proxy, { type: 'latency', stream: 'upstream', attributes: { latency: 40, jitter: 20 } });
    const c = new Client(proxy.listen);
    const rtts = await roundTrips(c, 15);
    expect(Math.min(...rtts)).toBeGreaterThanOrEqual(20 - 2);
    // Late only by scheduling: a busy machine may push one or two samples past the bound.
    expect(rtts.filter((t) => t >= 60 + 5).length).toBeLessThanOrEqual(2);
    // Range of 15 uniform draws over a 40 ms window below 10 ms: P = 15·0.25^14 − 14·0.25^15 < 1e-7.
    expect(Math.max(...rtts) - Math.min(...rtts)).toBeGreaterThan(10);
  });

  it('follows the injected clock: nothing arrives until a FakeClock is advanced', async () => {
    const clock = new FakeClock(0);
    const echo = await echoServer();
    const { proxy } = await setup(echo.address, { clock });
    await add(proxy, { type: 'latency', attributes: { latency: 10_000 } });
    const c = new Client(proxy.listen);
    c.socket.write('ping');
    await sleep(100);
    expect(c.received.length).toBe(0);
    expect(clock.pending).toBe(1);
    clock.advance(10_000);
    await c.bytes(4, 1000);
    expect(c.received.toString()).toBe('ping');
  });
});

describe('toxics on open connections', () => {
  it('affects a connection opened before the toxic, and stops affecting it when removed', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const c = new Client(proxy.listen);
    expect(await c.roundTrip()).toBeLessThan(40);
    const toxic = await add(proxy, { type: 'latency', attributes: { latency: 150 } });
    expect(await c.roundTrip()).toBeGreaterThanOrEqual(148);
    await toxic.remove();
    expect(await c.roundTrip()).toBeLessThan(40);
  });

  it('releases held data at once when the toxic is removed', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const toxic = await add(proxy, { type: 'latency', attributes: { latency: 60_000 } });
    const c = new Client(proxy.listen);
    c.socket.write('held');
    await sleep(50);
    expect(c.received.length).toBe(0);
    const t0 = performance.now();
    await toxic.remove();
    expect((await c.bytes(4, 2000)) - t0).toBeLessThan(500);
    expect(c.received.toString()).toBe('held');
  });

  it('loses and reorders no byte while toxics are added and removed mid-stream (1.5 MB echoed)', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const c = new Client(proxy.listen);
    await c.connected();
    const data = pattern(1536 * 1024, 5);
    // Paced (8 kB per timer tick, a few hundred ms in all) so the rewiring below lands mid-stream.
    let written = 0;
    const writer = (async () => {
      while (written < data.length) {
        c.socket.write(data.subarray(written, written + 8192));
        written += 8192;
        await sleep(1);
      }
    })();
    // Flip between direct pipes and staged chains in both directions while bytes flow.
    let midStream = 0;
    for (let round = 0; round < 40 && written < data.length; round++) {
      await add(proxy, { type: 'slicer', stream: 'upstream', attributes: { average_size: 700, size_variation: 200 } });
      await add(proxy, { type: 'latency', attributes: { latency: 3, jitter: 2 } });
      await sleep(5);
      await (await proxy.getToxic('slicer_upstream')).remove();
      await sleep(3);
      await (await proxy.getToxic('latency_downstream')).remove();
      if (c.received.length > 0 && written < data.length) midStream++;
    }
    await writer;
    await c.bytes(data.length, 10_000);
    expect(midStream).toBeGreaterThanOrEqual(3);
    expect(c.received.length).toBe(data.length);
    expect(c.received.equals(data)).toBe(true);
  });
});

describe('bandwidth', () => {
  it('limits 60 kB downstream at 100 KB/s to about 600 ms', async () => {
    const blob = await blobServer(pattern(60_000));
    const { proxy } = await setup(blob.address);
    await add(proxy, { type: 'bandwidth', attributes: { rate: 100 } });
    const c = new Client(proxy.listen);
    const done = await c.bytes(60_000, 5000);
    const elapsed = done - c.opened;
    expect(elapsed).toBeGreaterThanOrEqual(500); // the first 10 kB may leave after 100 ms
    expect(elapsed).toBeLessThan(1500);
  });
});

describe('timeout', () => {
  it('holds data, then closes the connection `timeout` ms later', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    await add(proxy, { type: 'timeout', attributes: { timeout: 200 } });
    const c = new Client(proxy.listen);
    await c.connected();
    const t0 = performance.now();
    c.socket.write('ping');
    await c.closed(2000);
    expect(c.received.length).toBe(0);
    expect(c.closedAt! - t0).toBeGreaterThanOrEqual(180);
    expect(c.closedAt! - t0).toBeLessThan(1000);
  });

  it('with timeout 0 holds the connection open until the toxic is removed, which closes it', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const toxic = await add(proxy, { type: 'timeout', attributes: { timeout: 0 } });
    const c = new Client(proxy.listen);
    c.socket.write('ping');
    await sleep(300);
    expect([c.received.length, c.closedAt]).toEqual([0, undefined]);
    await toxic.remove();
    // As in Toxiproxy: the held bytes were dropped, so the connection cannot go on.
    await c.closed(1000);
    expect(c.received.length).toBe(0);
  });
});

describe('reset_peer', () => {
  it('resets the connection (ECONNRESET) on data, immediately with timeout 0', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    await add(proxy, { type: 'reset_peer', attributes: { timeout: 0 } });
    const c = new Client(proxy.listen);
    c.socket.write('ping');
    await c.closed(2000);
    expect(c.error?.code).toBe('ECONNRESET');
    expect(c.received.length).toBe(0);
  });

  it('waits `timeout` ms after the first data before resetting', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    await add(proxy, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 150 } });
    const c = new Client(proxy.listen);
    await c.connected();
    const t0 = performance.now();
    c.socket.write('ping');
    await c.closed(2000);
    expect(c.error?.code).toBe('ECONNRESET');
    expect(c.closedAt! - t0).toBeGreaterThanOrEqual(140);
    expect(c.closedAt! - t0).toBeLessThan(1000);
  });

  it('removed after swallowing data, still resets the connection instead of leaving it hanging', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const toxic = await add(proxy, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 60_000 } });
    const c = new Client(proxy.listen);
    await c.connected();
    c.socket.write('ping'); // swallowed; the reset is due in a minute
    await sleep(50);
    await (toxic as { remove(): Promise<void> }).remove();
    await c.closed(2000);
    expect(c.error?.code).toBe('ECONNRESET');
    expect(c.received.length).toBe(0);
  });
});

describe('slicer', () => {
  it('delivers one 2 kB write as many small reads, intact', async () => {
    const data = pattern(2000);
    const blob = await blobServer(data);
    const { proxy } = await setup(blob.address);
    await add(proxy, { type: 'slicer', attributes: { average_size: 100, size_variation: 20, delay: 3000 } });
    const c = new Client(proxy.listen);
    await c.bytes(2000);
    expect(c.received.equals(data)).toBe(true);
    // About 20 pieces 3 ms apart; reads may merge a few on a busy machine, not most.
    expect(c.reads.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...c.reads.map((r) => r.length))).toBeLessThan(1000);
  });
});

describe('limit_data', () => {
  it('closes the connection after exactly `bytes` bytes', async () => {
    const blob = await blobServer(pattern(5000));
    const { proxy } = await setup(blob.address);
    await add(proxy, { type: 'limit_data', attributes: { bytes: 1000 } });
    const c = new Client(proxy.listen);
    await c.closed(2000);
    expect(c.received.equals(pattern(5000).subarray(0, 1000))).toBe(true);
    expect(c.endedAt).toBeDefined(); // a clean FIN, not a reset
  });

  it('still delivers every allowed byte to a slow reader when it closes', async () => {
    const data = pattern(12 * 1024 * 1024, 2);
    const blob = await blobServer(data);
    const { proxy } = await setup(blob.address);
    await add(proxy, { type: 'limit_data', attributes: { bytes: 6 * 1024 * 1024 } });
    const c = new Client(proxy.listen);
    // Paused, the client lets the kernel take a few MB; the limit is reached with ~2 MB still
    // queued in the proxy, which must reach the client before the FIN.
    c.socket.pause();
    await sleep(300);
    c.socket.resume();
    await c.closed(5000);
    expect(c.received.length).toBe(6 * 1024 * 1024);
    expect(c.received.equals(data.subarray(0, 6 * 1024 * 1024))).toBe(true);
  });
});

describe('slow_close', () => {
  it('delays the close by `delay` ms while data passes at once', async () => {
    const blob = await blobServer(Buffer.from('bye'));
    const { proxy } = await setup(blob.address);
    await add(proxy, { type: 'slow_close', attributes: { delay: 300 } });
    const c = new Client(proxy.listen);
    const gotData = await c.bytes(3);
    await c.until(() => c.endedAt !== undefined, 2000, 'end');
    expect(gotData - c.opened).toBeLessThan(150);
    expect(c.endedAt! - gotData).toBeGreaterThanOrEqual(280);
    expect(c.endedAt! - gotData).toBeLessThan(1000);
  });
});

describe('toxicity', () => {
  it('0 affects no connection and 1 affects every one (5 each)', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const toxic = await add(proxy, { type: 'latency', toxicity: 0, attributes: { latency: 100 } });
    const never = await Promise.all([1, 2, 3, 4, 5].map(() => new Client(proxy.listen).roundTrip()));
    await toxic.update({ ...toxic.toJson(), toxicity: 1 });
    const always = await Promise.all([1, 2, 3, 4, 5].map(() => new Client(proxy.listen).roundTrip()));
    expect(Math.max(...never)).toBeLessThan(60);
    expect(Math.min(...always)).toBeGreaterThanOrEqual(98);
  });

  it('0.5 affects about half of 30 connections, each drawn once for its lifetime', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address, { seed: 3 });
    const toxic = await add(proxy, { type: 'latency', toxicity: 0.5, attributes: { latency: 300 } });
    const clients = Array.from({ length: 30 }, () => new Client(proxy.listen));
    await Promise.all(clients.map((c) => c.connected()));
    const first = await Promise.all(clients.map((c) => c.roundTrip()));
    // Updating the toxic restarts its stages; the draw must survive that.
    await toxic.update({ ...toxic.toJson(), attributes: { latency: 310, jitter: 0 } });
    const second = await Promise.all(clients.map((c) => c.roundTrip()));
    // Affected round trips take ≥ 300 ms; the others a few ms, or tens on a busy machine.
    const slow = first.map((t) => t >= 150);
    // Binomial(30, 0.5): sd 2.7; [6, 24] is ±3.3 sd (two-sided P ≈ 0.0014).
    const n = slow.filter(Boolean).length;
    expect(n).toBeGreaterThanOrEqual(6);
    expect(n).toBeLessThanOrEqual(24);
    // The draw is per connection: the same connections are slow the second time (P(same 30 by chance) = 2^-30).
    expect(second.map((t) => t >= 150)).toEqual(slow);
  });
});

describe('connections', () => {
  it('keeps half-closed connections working (Toxiproxy closes both ways at the first FIN)', async () => {
    const echo = await echoServer();
    const { proxy } = await setup(echo.address);
    const c = new Client(proxy.listen);
    const data = pattern(200_000, 9);
    c.socket.end(data);
    await c.until(() => c.endedAt !== undefined, 3000, 'end');
    expect(c.received.equals(data)).toBe(true);
  });

  it('closes the client when the upstream refuses', async () => {
    const gone = await tcpServer(() => {});
    const address = gone.address;
    await closeAll(); // now nothing listens there
    const { proxy } = await setup(address);
    const c = new Client(proxy.listen);
    await c.closed(2000);
    expect(c.received.length).toBe(0);
  });

  it('server.close() ends connections and cancels every toxic timer', async () => {
    const clock = new FakeClock(0);
    const echo = await echoServer();
    const { proxy } = await setup(echo.address, { clock });
    await add(proxy, { type: 'latency', attributes: { latency: 60_000 } });
    await add(proxy, { type: 'slow_close', stream: 'upstream', attributes: { delay: 60_000 } });
    const c = new Client(proxy.listen);
    c.socket.write('ping');
    await sleep(50);
    expect(clock.pending).toBeGreaterThan(0);
    await server!.close();
    server = undefined;
    await c.closed(2000);
    expect(clock.pending).toBe(0);
  });
});
