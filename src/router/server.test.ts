/**
 * The live router over real loopback sockets: node:http in front, undici pools behind,
 * tiny node:http providers upstream. Timing here is real, so the margins are wide.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRouterConfig, type RouterConfig, type RouterFile } from './config.ts';
import { PROVIDER_HEADER } from './messages.ts';
import { startRouter, type RunningRouter } from './server.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A provider on an ephemeral loopback port; closed after the test with every socket it opened. */
async function upstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function router(raw: RouterFile, upstreams: Record<string, string>): Promise<RunningRouter> {
  const compiled = compileRouterConfig(raw);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  const running = await startRouter({ config: compiled.value as RouterConfig, upstreams });
  cleanup.push(() => running.close());
  return running;
}

const weatherRaw: RouterFile = {
  name: 'weather',
  providers: { 'weather-primary': { url: 'http://127.0.0.1:1' }, 'weather-backup': { url: 'http://127.0.0.1:1' } },
  routes: [{ match: '/weather/**', upstreams: ['weather-primary', 'weather-backup'], timeout: '150ms' }],
};

const weatherProvider = (name: string) =>
  upstream((req, res) => {
    const city = decodeURIComponent(req.url!.split('?')[0]!.split('/')[2] ?? '');
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(JSON.stringify({ city, tempC: 9, provider: name }));
  });

describe('startRouter (live, loopback)', () => {
  it('proxies to the provider over undici, naming it in x-faultline-provider, and serves /healthz and /metrics', async () => {
    let seen: { method?: string; url?: string; body?: string; auth?: string } = {};
    const joke = await upstream((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        seen = { method: req.method!, url: req.url!, body, auth: req.headers['authorization'] as string };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 1, setup: 'A', punchline: 'B' }));
      });
    });
    const r = await router(
      { name: 'joke', providers: { joke: { url: 'http://127.0.0.1:1' } }, routes: [{ match: '/joke', upstreams: ['joke'], timeout: '1s' }] },
      { joke: joke.url },
    );

    const res = await fetch(`${r.url}/joke?lang=en`, { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(200);
    expect(res.headers.get(PROVIDER_HEADER)).toBe('joke');
    expect(await res.json()).toEqual({ id: 1, setup: 'A', punchline: 'B' });
    expect(seen).toEqual({ method: 'GET', url: '/joke?lang=en', body: '', auth: 'Bearer t' });

    const post = await fetch(`${r.url}/joke`, { method: 'POST', body: 'hello' });
    expect(post.status).toBe(200);
    expect(seen).toMatchObject({ method: 'POST', body: 'hello' });

    const health = await fetch(`${r.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', name: 'joke' });

    const metrics = await fetch(`${r.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    for (const name of [
      'retry_attempts_total',
      'circuit_breaker_state',
      'circuit_breaker_transitions_total',
      'failover_invocations_total',
      'router_request_duration_seconds',
      'upstream_attempts_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('upstream_attempts_total{provider="joke",status="200"} 2');
    expect(text).toMatch(/router_request_duration_seconds_count\{route="\/joke",provider="joke",outcome="success"\} 2/);
  });

  it('fails over when the primary refuses connections or errs, and when it hangs past the timeout', async () => {
    const backup = await weatherProvider('weather-backup');
    const erring = await upstream((_req, res) => {
      res.writeHead(500);
      res.end('down');
    });
    const closedPort = await upstream(() => {});
    const refusedUrl = closedPort.url;
    await new Promise<void>((resolve) => closedPort.server.close(() => resolve())); // nothing listens there now

    for (const primary of [refusedUrl, erring.url]) {
      const r = await router(weatherRaw, { 'weather-primary': primary, 'weather-backup': backup.url });
      const res = await fetch(`${r.url}/weather/oslo`);
      expect(res.status).toBe(200);
      expect(res.headers.get(PROVIDER_HEADER)).toBe('weather-backup');
      expect(await res.json()).toMatchObject({ city: 'oslo', provider: 'weather-backup' });
    }

    let primaryAborted = false;
    const hanging = await upstream((req) => {
      // Never answers; the router's timeout must abort the call, which closes this socket.
      req.socket.once('close', () => (primaryAborted = true));
    });
    const r = await router(weatherRaw, { 'weather-primary': hanging.url, 'weather-backup': backup.url });
    const started = performance.now();
    const res = await fetch(`${r.url}/weather/bergen`);
    const took = performance.now() - started;
    expect(res.headers.get(PROVIDER_HEADER)).toBe('weather-backup');
    expect(took).toBeGreaterThanOrEqual(140); // waited out the 150ms timeout…
    expect(took).toBeLessThan(2_000); // …and not much more (a loaded CI box can be slow)
    await expect.poll(() => primaryAborted).toBe(true);
    expect(await (await fetch(`${r.url}/metrics`)).text()).toContain('upstream_attempts_total{provider="weather-primary",status="timeout"} 1');
  });

  it('answers 502 with a JSON reason when every upstream fails', async () => {
    const erring = await upstream((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const r = await router(weatherRaw, { 'weather-primary': erring.url, 'weather-backup': erring.url });
    const res = await fetch(`${r.url}/weather/oslo`);
    expect(res.status).toBe(502);
    expect(res.headers.get(PROVIDER_HEADER)).toBe('none');
    expect(await res.json()).toMatchObject({ error: 'upstreams_failed', attempts: [{ key: 'weather-primary', status: 503 }, { key: 'weather-backup', status: 503 }] });
  });

  it('aborts the upstream call when the client goes away', async () => {
    let arrived = false;
    let upstreamClosed = false;
    const hanging = await upstream((req) => {
      arrived = true;
      req.socket.once('close', () => (upstreamClosed = true));
    });
    const r = await router(
      { name: 'slow', providers: { slow: { url: 'http://127.0.0.1:1' } }, routes: [{ match: '/slow', upstreams: ['slow'], timeout: '30s' }] },
      { slow: hanging.url },
    );
    const controller = new AbortController();
    const pending = fetch(`${r.url}/slow`, { signal: controller.signal }).catch(() => 'aborted');
    await expect.poll(() => arrived, { timeout: 2_000 }).toBe(true);
    controller.abort();
    expect(await pending).toBe('aborted');
    await expect.poll(() => upstreamClosed, { timeout: 2_000 }).toBe(true);
  });

  it('rate limits by the socket peer: a client cannot escape its limit with X-Forwarded-For', async () => {
    const provider = await weatherProvider('weather-primary');
    const running = await router(
      { ...weatherRaw, rateLimit: { limit: 2, window: '1m' }, clients: { trustedProxies: ['10.0.0.0/8'] } },
      { 'weather-primary': provider.url, 'weather-backup': provider.url },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${running.url}/weather/oslo`, { headers: { 'x-forwarded-for': `192.0.2.${i}` } });
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // 127.0.0.1 is not a trusted proxy here, so the header is ignored and the peer is the client.
    expect(statuses).toEqual([200, 200, 429, 429]);
  });
});
