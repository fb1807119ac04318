/**
 * `faultline toxiproxy` as its own process, the way a user (or Toxiproxy's CLI) meets it:
 * started with `--port 0`, it prints the URL it really listens on; Toxiproxy's Node client and
 * a plain curl-like fetch work against it; Ctrl-C (SIGINT) stops it and frees every port.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterEach, describe, expect, it } from 'vitest';
import { canConnect, Client, closeAll, echoServer } from '../../src/toxiproxy/testing.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  child = undefined;
  await closeAll();
});

/** Starts `faultline toxiproxy --port 0` and resolves with the URL it prints. */
function serve(): Promise<{ url: string; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const proc = spawn(process.execPath, [main, 'toxiproxy', '--port', '0'], { env: { ...process.env, NO_COLOR: '1' } });
  child = proc;
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 15 s:\n${out}`)), 15_000);
    const onData = () => {
      const m = /Toxiproxy-compatible API on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      resolve({ url: m[1]!, output: () => out, exited });
    };
    proc.stdout.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before printing its URL:\n${out}`)));
  });
}


describe('faultline toxiproxy (a child process)', () => {
  it('prints the real URL for --port 0, serves the Node client and plain HTTP, and SIGINT stops it and frees its ports', async () => {
    const server = await serve();
    const apiPort = Number(new URL(server.url).port);
    expect(apiPort).toBeGreaterThan(0);

    // A plain request, as curl would send it.
    const version = await fetch(`${server.url}/version`, { headers: { 'User-Agent': 'curl/8.5.0' } });
    expect(version.status).toBe(200);
    expect(await version.json()).toEqual({ version: expect.stringMatching(/^2\.\d+\.\d+\+faultline$/) });
    const created = await fetch(`${server.url}/proxies`, {
      method: 'POST',
      headers: { 'User-Agent': 'curl/8.5.0', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'raw', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'raw', enabled: true });

    // Toxiproxy's own Node client.
    const echo = await echoServer();
    const client = new Toxiproxy(server.url);
    const proxy = await client.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address });
    await proxy.addToxic({ type: 'latency', attributes: { latency: 100 } } as never);
    expect(Object.keys(await client.getAll()).sort()).toEqual(['echo', 'raw']);
    const c = new Client(proxy.listen);
    expect(await c.roundTrip('hi')).toBeGreaterThanOrEqual(98);
    const proxyPort = Number(proxy.listen.split(':').at(-1));

    child!.kill('SIGINT');
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(server.output()).toContain('shutting down');
    await c.closed(2000); // its connections went with it
    expect(await canConnect(apiPort)).toBe(false);
    expect(await canConnect(proxyPort)).toBe(false);
  }, 30_000);

  it('exits 2 with a reason when the port is taken', async () => {
    const first = await serve();
    const port = new URL(first.url).port;
    const second = spawn(process.execPath, [main, 'toxiproxy', '--port', port]);
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => second.once('exit', r));
    expect(code).toBe(2);
    expect(err).toContain(`127.0.0.1:${port} is already in use`);
  }, 30_000);
});
