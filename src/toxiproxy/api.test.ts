/**
 * The HTTP API through Toxiproxy's own Node client where it covers the call, and raw fetch
 * where the status code or error body is the point.
 */
import net from 'node:net';
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRng } from '../core/rng.ts';
import { startToxiproxyServer, type ToxiproxyServer } from './index.ts';
import { apiCall, canConnect, Client, closeAll, echoServer, type TcpFixture } from './testing.ts';

let server: ToxiproxyServer;
let client: Toxiproxy;
let echo: TcpFixture;

beforeEach(async () => {
  server = await startToxiproxyServer({ port: 0, rng: seededRng(1) });
  client = new Toxiproxy(server.url);
  echo = await echoServer();
});

afterEach(async () => {
  await server.close();
  await closeAll();
});

const call = (method: string, path: string, body?: unknown, raw?: string) => apiCall(server.url, method, path, body, raw);

const proxyBody = (name = 'svc') => ({ name, listen: '127.0.0.1:0', upstream: echo.address });


describe('proxies', () => {
  it('creates a proxy (201), reports the real port of listen :0 and forwards bytes', async () => {
    const created = await call('POST', '/proxies', proxyBody());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'svc', upstream: echo.address, enabled: true, toxics: [] });
    expect(Object.keys(created.json!)).toEqual(['name', 'listen', 'upstream', 'enabled', 'toxics']);
    const listen = created.json!['listen'] as string;
    expect(listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);

    const c = new Client(listen);
    await c.roundTrip('hello');
    expect(c.received.toString()).toBe('hello');
  });

  it('lists, shows, updates and deletes through toxiproxy-node-client', async () => {
    const proxy = await client.createProxy(proxyBody('a'));
    await client.createProxy(proxyBody('b'));
    expect(Object.keys(await client.getAll()).sort()).toEqual(['a', 'b']);
    expect((await client.get('a')).listen).toBe(proxy.listen);

    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(disabled.enabled).toBe(false);
    expect(disabled.listen).toBe(proxy.listen);

    await proxy.remove();
    expect(Object.keys(await client.getAll())).toEqual(['b']);
    expect((await call('GET', '/proxies/a')).status).toBe(404);
  });

  it('answers Toxiproxy status codes and error bodies', async () => {
    await call('POST', '/proxies', proxyBody());
    expect(await call('POST', '/proxies', proxyBody())).toMatchObject({
      status: 409,
      json: { error: 'proxy already exists', status: 409 },
    });
    expect(await call('POST', '/proxies', { listen: '127.0.0.1:0', upstream: echo.address })).toMatchObject({
      status: 400,
      json: { error: 'missing required field: name', status: 400 },
    });
    expect(await call('POST', '/proxies', { name: 'x' })).toMatchObject({
      status: 400,
      json: { error: 'missing required field: upstream', status: 400 },
    });
    expect(await call('GET', '/proxies/nope')).toMatchObject({ status: 404, json: { error: 'proxy not found', status: 404 } });
    expect(await call('DELETE', '/proxies/nope')).toMatchObject({ status: 404 });
    expect(await call('GET', '/proxies/svc/toxics/nope')).toMatchObject({
      status: 404,
      json: { error: 'toxic not found', status: 404 },
    });
    const del = await call('DELETE', '/proxies/svc');
    expect([del.status, del.text]).toEqual([204, '']);
  });

  it('refuses a listen address already in use with 409 and leaves no proxy behind', async () => {
    const first = (await call('POST', '/proxies', proxyBody('first'))).json!;
    const res = await call('POST', '/proxies', { ...proxyBody('second'), listen: first['listen'] });
    expect(res.status).toBe(409);
    expect(res.json!['error']).toMatch(/^listen address already in use/);
    expect((await call('GET', '/proxies/second')).status).toBe(404);
  });

  it('disabling closes the listener and open connections; enabling re-listens on the same address', async () => {
    const proxy = await client.createProxy(proxyBody());
    const open = new Client(proxy.listen);
    await open.roundTrip();

    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await open.closed(2000);
    expect(await canConnect(proxy.listen)).toBe(false);

    const again = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(again.listen).toBe(proxy.listen);
    const c = new Client(again.listen);
    expect(await c.roundTrip('back')).toBeLessThan(1000);
  });

  it('creates a disabled proxy without listening, keeping the listen address as given', async () => {
    const res = await call('POST', '/proxies', { ...proxyBody(), enabled: false });
    expect(res.json).toMatchObject({ enabled: false, listen: '127.0.0.1:0' });
  });

  it('moving listen to 127.0.0.1:0 picks a new free port and drops old connections', async () => {
    const proxy = await client.createProxy(proxyBody());
    const old = new Client(proxy.listen);
    await old.roundTrip();
    const moved = await call('PATCH', '/proxies/svc', { listen: '127.0.0.1:0' });
    expect(moved.status).toBe(200);
    expect(moved.json!['listen']).not.toBe(proxy.listen);
    expect(moved.json!['enabled']).toBe(true);
    await old.closed(2000);
    await new Client(moved.json!['listen'] as string).roundTrip();
  });

  it('populate creates or replaces (201) and keeps unchanged proxies as they are', async () => {
    const first = await client.populate([proxyBody('a'), proxyBody('b')]);
    expect(Object.keys(first).sort()).toEqual(['a', 'b']);
    const a = first['a']!;
    await a.addToxic({ type: 'latency', attributes: { latency: 1, jitter: 0 } } as never);

    // Same listen and upstream: kept, toxic included. A new upstream: replaced.
    const res = await call('POST', '/populate', [
      { name: 'a', listen: a.listen, upstream: a.upstream },
      { name: 'b', listen: first['b']!.listen, upstream: '127.0.0.1:1' },
    ]);
    expect(res.status).toBe(201);
    const proxies = res.json!['proxies'] as Array<Record<string, unknown>>;
    expect(proxies.map((p) => [p['name'], (p['toxics'] as unknown[]).length])).toEqual([['a', 1], ['b', 0]]);
    expect(proxies[1]!['upstream']).toBe('127.0.0.1:1');

    expect((await call('POST', '/populate', [proxyBody('c'), proxyBody('c')])).status).toBe(400);
    expect((await call('POST', '/populate', [proxyBody('d'), { name: 'e' }])).json).toMatchObject({
      error: 'missing required field: upstream at proxy 2',
      status: 400,
    });
    // Validation covers the whole array before anything changes.
    expect((await call('GET', '/proxies/d')).status).toBe(404);
  });

  it('reset enables every proxy and removes every toxic (204)', async () => {
    const proxy = await client.createProxy(proxyBody());
    await proxy.addToxic({ type: 'latency', attributes: { latency: 10, jitter: 0 } } as never);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    const res = await call('POST', '/reset');
    expect(res.status).toBe(204);
    await client.reset(); // the client posts without a body
    const after = await client.get('svc');
    expect(after.enabled).toBe(true);
    expect((await call('GET', '/proxies/svc/toxics')).json).toEqual([]);
    await new Client(after.listen).roundTrip();
  });

  it('reports its version as Toxiproxy does', async () => {
    const text = await client.getVersion();
    expect(JSON.parse(text)).toEqual({ version: expect.stringMatching(/^2\.\d+\.\d+/) });
  });
});

describe('toxics', () => {
  it('adds with defaults (name <type>_<stream>, downstream, toxicity 1), lists, shows, updates, removes', async () => {
    const proxy = await client.createProxy(proxyBody());
    const latency = await proxy.addToxic({ type: 'latency', attributes: { latency: 100 } } as never);
    expect(latency.toJson()).toEqual({
      attributes: { latency: 100, jitter: 0 },
      name: 'latency_downstream',
      stream: 'downstream',
      toxicity: 1,
      type: 'latency',
    });
    await proxy.addToxic({ type: 'bandwidth', stream: 'upstream', toxicity: 0.5, attributes: { rate: 10 } } as never);

    // Upstream toxics are listed first, as Toxiproxy does.
    const list = await call('GET', '/proxies/svc/toxics');
    expect((list.json as unknown as Array<{ name: string }>).map((t) => t.name)).toEqual(['bandwidth_upstream', 'latency_downstream']);
    expect((await proxy.getToxic('latency_downstream')).attributes).toEqual({ latency: 100, jitter: 0 });

    // Attributes merge over the current ones; toxicity keeps its value unless given.
    const updated = await call('POST', '/proxies/svc/toxics/latency_downstream', { attributes: { jitter: 5 } });
    expect(updated.json).toMatchObject({ attributes: { latency: 100, jitter: 5 }, toxicity: 1 });
    // The node client resends the whole toxic: accepted as long as name, type and stream are unchanged.
    const viaClient = await latency.update({ ...latency.toJson(), toxicity: 0.25, attributes: { latency: 50, jitter: 5 } });
    expect(viaClient.toJson()).toMatchObject({ toxicity: 0.25, attributes: { latency: 50, jitter: 5 } });

    await viaClient.remove();
    expect((await call('GET', '/proxies/svc/toxics/latency_downstream')).status).toBe(404);
    expect((await call('DELETE', '/proxies/svc/toxics/latency_downstream')).status).toBe(404);
  });

  it('rejects a duplicate toxic name with 409, across streams', async () => {
    await client.createProxy(proxyBody());
    await call('POST', '/proxies/svc/toxics', { name: 't', type: 'latency', stream: 'upstream' });
    expect(await call('POST', '/proxies/svc/toxics', { name: 't', type: 'timeout', stream: 'downstream' })).toMatchObject({
      status: 409,
      json: { error: 'toxic already exists', status: 409 },
    });
  });

  it('rejects bad toxics with 400 and a reason', async () => {
    await client.createProxy(proxyBody());
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'nope' }, /^invalid toxic type: "nope"/],
      [{ type: 'latency', stream: 'sideways' }, /^stream was invalid, can be either upstream or downstream/],
      [{ type: 'bandwidth', attributes: { rate: -1 } }, /^bad request body: bandwidth\.rate must be an integer from 0/],
      [{ type: 'latency', attributes: { latency: 3_600_001 } }, /latency\.latency must be an integer from 0 to 3600000/],
      [{ type: 'latency', attributes: { latency: '100' } }, /got the string "100"/],
      [{ type: 'latency', attributes: { latency: 1.5 } }, /must be an integer/],
      [{ type: 'latency', attributes: { latncy: 100 } }, /unknown attribute "latncy" for a latency toxic \(it takes latency, jitter\)/],
      [{ type: 'latency', toxicity: 1.5 }, /"toxicity" must be a number from 0 to 1/],
      [{ type: 'slicer', attributes: { average_size: 0 } }, /slicer\.average_size must be an integer from 1/],
      [{ type: 'slicer', attributes: { average_size: 10, size_variation: 10 } }, /must be smaller than/],
      [{ type: 'latency', attributes: [1, 2] }, /"attributes" must be an object/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/proxies/svc/toxics', body);
      expect({ body, status: res.status, error: res.json?.['error'] }).toEqual({
        body,
        status: 400,
        error: expect.stringMatching(message),
      });
    }
    // An update that would break a rule is refused and changes nothing.
    await call('POST', '/proxies/svc/toxics', { type: 'latency', attributes: { latency: 10 } });
    expect((await call('POST', '/proxies/svc/toxics/latency_downstream', { attributes: { jitter: -3 } })).status).toBe(400);
    expect((await call('POST', '/proxies/svc/toxics/latency_downstream', { stream: 'upstream' })).status).toBe(400);
    expect((await call('GET', '/proxies/svc/toxics/latency_downstream')).json).toMatchObject({ attributes: { latency: 10, jitter: 0 } });
  });

  it('surfaces errors through the client as ToxiproxyError', async () => {
    await expect(client.get('missing')).rejects.toBeInstanceOf(ToxiproxyError);
  });
});

describe('robustness', () => {
  it('answers a batch of malformed requests with 4xx and a reason, then still serves', async () => {
    const proxy = await client.createProxy(proxyBody());
    const bad: Array<[string, string, string | undefined]> = [
      ['POST', '/proxies', '{"name": "x", '],
      ['POST', '/proxies', 'null'],
      ['POST', '/proxies', '[]'],
      ['POST', '/proxies', '"a string"'],
      ['POST', '/proxies', '12'],
      ['POST', '/proxies', ''],
      ['POST', '/proxies', '{"name": 5, "upstream": "127.0.0.1:1"}'],
      ['POST', '/proxies', '{"name": "x", "upstream": {"host": 1}}'],
      ['POST', '/proxies', '{"name": "x", "upstream": "no-port"}'],
      ['POST', '/proxies', '{"name": "x", "upstream": "127.0.0.1:1", "listen": "127.0.0.1:99999"}'],
      ['POST', '/proxies', '{"name": "x", "upstream": "127.0.0.1:1", "enabled": "yes"}'],
      ['POST', '/proxies', '{"name": "x", "upstream": "127.0.0.1:1", "listen": "203.0.113.1:0"}'],
      ['POST', '/populate', '{"name": "x"}'],
      ['POST', '/populate', '[1, 2]'],
      ['POST', '/proxies/svc', '{"enabled": 1}'],
      ['POST', '/proxies/svc', '{"name": "renamed"}'],
      ['POST', '/proxies/svc', '{{{'],
      ['POST', '/proxies/svc/toxics', '{"type": "latency", "attributes": {"latency": 1e308}}'],
      ['POST', '/proxies/svc/toxics', '{"type": "latency", "attributes": {"latency": null, "jitter": {}}}'],
      ['POST', '/proxies/svc/toxics', '{"type": ["latency"]}'],
      ['POST', '/proxies/svc/toxics', '{"type": "latency", "name": 7}'],
      ['POST', '/proxies/svc/toxics', '{"type": "latency", "toxicity": "1"}'],
      ['POST', '/proxies/svc/toxics', '{"type": "timeout", "attributes": {"timeout": -1}}'],
      ['POST', '/proxies/svc/toxics', '{"type": "limit_data", "attributes": {"bytes": 9007199254740993}}'],
      ['POST', '/proxies/svc/toxics', `{"type": "latency", "attributes": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
      ['POST', '/proxies/svc/toxics', '{"__proto__": {"type": "latency"}}'],
      ['POST', '/proxies/svc/toxics/none', '{}'],
      ['GET', '/proxies/%E0%A4%A', undefined],
      ['GET', '/nope', undefined],
      ['PUT', '/proxies', '{}'],
      ['DELETE', '/version', undefined],
      ['POST', '/proxies', 'x'.repeat(1024 * 1024 + 10)],
    ];
    const results = await Promise.all(bad.map(([m, p, b]) => call(m, p, undefined, b)));
    for (const [i, res] of results.entries()) {
      const [method, path, body] = bad[i]!;
      const what = `${method} ${path} ${body?.slice(0, 60)}`;
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      // As in Toxiproxy, /populate's errors also list the proxies applied before them: none here.
      const extra = path === '/populate' ? { proxies: null } : {};
      expect(res.json, what).toEqual({ error: expect.any(String), status: res.status, ...extra });
      expect(res.text.length, what).toBeLessThan(700);
    }

    // Browsers are refused, as by Toxiproxy; raw garbage on the socket is answered 400.
    const browser = await fetch(server.url + '/proxies', { headers: { 'User-Agent': 'Mozilla/5.0' } });
    expect(browser.status).toBe(403);
    await browser.text();
    const garbage = await new Promise<string>((resolve) => {
      const s = net.connect(server.port, server.host);
      let got = '';
      s.on('data', (b) => (got += b.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => {});
      s.end('\x00\x01 NOT HTTP\r\n\r\n');
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);

    // Nothing changed and everything still works.
    expect(Object.keys(await client.getAll())).toEqual(['svc']);
    expect((await client.get('svc')).enabled).toBe(true);
    expect(await client.getVersion()).toContain('version');
    await new Client(proxy.listen).roundTrip('still here');
  });
});
