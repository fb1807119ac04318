/**
 * The three Toxiproxy servers a run can use (`--toxiproxy embedded|container|<url>`), each
 * driven only through toxiproxy-node-client. An outside Toxiproxy is stood in for by
 * faultline's own server in this process (no Toxiproxy binary here); `container` runs where a
 * Docker engine answers and reports itself skipped, with the reason, where none does.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRng } from '../../src/core/rng.ts';
import { EnvironmentError, startEnvironment, type EnvironmentSpec } from '../../src/run/environment.ts';
import { readScenarioFile } from '../../src/scenario/load.ts';
import { probeDocker } from '../../src/toxiproxy/container.ts';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/toxiproxy/index.ts';
import { checkReachable, loopbackHandle, parseToxiproxyChoice, placeProxies, TOXIPROXY_IMAGE } from '../../src/toxiproxy/servers.ts';
import { closeAll, echoServer, tcpServer } from '../../src/toxiproxy/testing.ts';

const root = new URL('../..', import.meta.url).pathname;
const docker = await probeDocker(5000);

let outside: ToxiproxyServer | undefined;
afterEach(async () => {
  await outside?.close();
  outside = undefined;
  await closeAll();
});

/** What run.ts hands the environment for a scenario, with the Toxiproxy choice given. */
async function specFor(file: string, toxiproxy: string | undefined): Promise<EnvironmentSpec> {
  const loaded = await readScenarioFile(join(root, file));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const s = loaded.scenario;
  const endpoints = s.providers.flatMap((p) =>
    (p.regions?.length ? p.regions : [undefined]).map((region) => ({
      key: region ? `${p.name}@${region}` : p.name,
      provider: p.name,
      region,
      fixture: p.fixture,
    })),
  );
  return { seed: s.seed, endpoints, target: s.target, toxiproxyUrl: toxiproxy };
}

describe('--toxiproxy values', () => {
  it('reads embedded, container[=image] and URLs, and refuses anything else with the usage', () => {
    expect(parseToxiproxyChoice(undefined)).toEqual({ ok: true, value: { kind: 'embedded' } });
    expect(parseToxiproxyChoice('embedded')).toEqual({ ok: true, value: { kind: 'embedded' } });
    expect(parseToxiproxyChoice('container')).toEqual({ ok: true, value: { kind: 'container', image: TOXIPROXY_IMAGE } });
    expect(TOXIPROXY_IMAGE).toMatch(/^ghcr\.io\/shopify\/toxiproxy:2\.\d+\.\d+$/);
    expect(parseToxiproxyChoice('container=ghcr.io/shopify/toxiproxy:2.9.0')).toEqual({
      ok: true,
      value: { kind: 'container', image: 'ghcr.io/shopify/toxiproxy:2.9.0' },
    });
    expect(parseToxiproxyChoice('http://127.0.0.1:8474/')).toEqual({ ok: true, value: { kind: 'url', url: 'http://127.0.0.1:8474' } });
    expect(parseToxiproxyChoice('127.0.0.1:8474')).toEqual({ ok: true, value: { kind: 'url', url: 'http://127.0.0.1:8474' } });
    expect(parseToxiproxyChoice('https://tp.example:8443/api')).toEqual({ ok: true, value: { kind: 'url', url: 'https://tp.example:8443/api' } });
    for (const bad of ['ftp://x:1', 'docker', 'http://', 'container=Not An Image', 'http://h:1/?q=1']) {
      const r = parseToxiproxyChoice(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error, bad).toMatch(/--toxiproxy/);
    }
  });
});

describe('a Toxiproxy at a URL', () => {
  it('gets one proxy per endpoint, listening on 127.0.0.1:<port it picked>, named per run, and removed afterwards', async () => {
    outside = await startToxiproxyServer({ port: 0, rng: seededRng(3) });
    const client = new Toxiproxy(outside.url);
    // Left by a run that was killed (no such pid), and one of a run still going (this process's parent).
    await client.createProxy({ name: 'faultline_999999999_joke', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
    await client.createProxy({ name: `faultline_${process.ppid}_joke`, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
    const a = await echoServer();
    const b = await echoServer();

    const placed = await placeProxies(loopbackHandle('url', outside.url), [
      { key: 'joke', port: a.port },
      { key: 'stripe@eu', port: b.port },
    ]);
    const names = Object.keys(await client.getAll()).sort();
    expect(names).toEqual([`faultline_${process.pid}_joke`, `faultline_${process.pid}_stripe_eu`, `faultline_${process.ppid}_joke`].sort());
    for (const [key, p] of placed.proxies) {
      expect(p.address, key).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      expect(p.address).toBe(p.proxy.listen);
    }
    expect(placed.proxies.get('stripe@eu')!.proxy.upstream).toBe(`127.0.0.1:${b.port}`);
    expect(await checkReachable(placed.proxies)).toEqual(new Map());

    await placed.remove();
    expect(Object.keys(await client.getAll())).toEqual([`faultline_${process.ppid}_joke`]);
  });

  it('finds out when the Toxiproxy cannot reach a provider, without sending it a byte', async () => {
    outside = await startToxiproxyServer({ port: 0 });
    const gone = await tcpServer(() => {});
    const port = gone.port;
    await closeAll(); // nothing listens there now
    const placed = await placeProxies(loopbackHandle('url', outside.url), [{ key: 'joke', port }]);
    const failed = await checkReachable(placed.proxies);
    expect([...failed.keys()]).toEqual(['joke']);
    expect(failed.get('joke')).toMatch(/closed the connection: it could not reach 127\.0\.0\.1:\d+/);
    await placed.remove();
  });

  it('runs an environment through it end to end and leaves no proxy behind', async () => {
    outside = await startToxiproxyServer({ port: 0 });
    const env = await startEnvironment(await specFor('test/fixtures/e2e/joke-tiny.yaml', outside.url));
    try {
      expect(env.toxiproxy).toBe(outside.url);
      expect(env.toxiproxyUrl).toBe(outside.url);
      const listed = await new Toxiproxy(outside.url).getAll();
      expect(Object.keys(listed)).toEqual([`faultline_${process.pid}_joke`]);
      // The router reaches the provider through the outside Toxiproxy's proxy.
      const res = await fetch(`${env.targetUrl}/joke`);
      await res.text();
      expect(res.status).toBe(200);
      const seen = await env.collectUpstream(0);
      expect(seen.length).toBeGreaterThanOrEqual(1);
    } finally {
      await env.close();
    }
    expect(await new Toxiproxy(outside.url).getAll()).toEqual({});
  }, 30_000);

  it('fails with an EnvironmentError naming the URL when nothing answers there', async () => {
    const dead = await tcpServer((s) => s.destroy());
    const url = `http://${dead.address}`;
    await expect(startEnvironment(await specFor('test/fixtures/e2e/joke-tiny.yaml', url))).rejects.toThrow(
      new RegExp(`Toxiproxy at ${url.replace(/\./g, '\\.')} does not answer`),
    );
  }, 30_000);
});

describe('--toxiproxy container', () => {
  const why = docker.ok ? '' : ` — skipped: ${docker.reason}`;

  it.skipIf(!docker.ok)(`starts ${TOXIPROXY_IMAGE} with testcontainers, whose proxies reach the providers on this host${why}`, async () => {
    const env = await startEnvironment(await specFor('test/fixtures/e2e/joke-tiny.yaml', 'container'));
    try {
      expect(env.toxiproxy).toMatch(/^container ghcr\.io\/shopify\/toxiproxy:/);
      const version = await new Toxiproxy(env.toxiproxyUrl).getVersion();
      expect(version).not.toContain('faultline');
      const res = await fetch(`${env.targetUrl}/joke`);
      await res.text();
      expect(res.status).toBe(200);
      // A toxic through the same client the fault backend uses: 300 ms of latency shows at the router.
      await env.proxies.get('joke')!.addToxic({ type: 'latency', attributes: { latency: 300 } } as never);
      const t0 = performance.now();
      await (await fetch(`${env.targetUrl}/joke`)).text();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      await env.close();
    }
  }, 180_000);

  it.skipIf(docker.ok)('fails at once with an EnvironmentError that says no Docker engine answers, starting and pulling nothing', async () => {
    const t0 = performance.now();
    const err = await startEnvironment(await specFor('test/fixtures/e2e/joke-tiny.yaml', 'container')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^--toxiproxy container: no Docker engine answers .*--toxiproxy embedded/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it.skipIf(docker.ok)('`faultline run --toxiproxy container` exits 2 with the reason before anything starts', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), 'run', '--toxiproxy', 'container', '--no-progress', '--reports', '/nonexistent/never-written', join(root, 'test/fixtures/e2e/joke-tiny.yaml')], {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--toxiproxy container: no Docker engine answers/);
    expect(r.stderr).not.toMatch(/load started/);
  }, 30_000);
});
