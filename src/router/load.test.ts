/**
 * The loader's side of the config: what it reads for a router file (key files, secrets,
 * LLM registries), and that compiling from that material alone touches neither the disk
 * nor the environment.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../config/load.ts';
import { compileRouterConfig, RouterConfigSchema, type RouterFile } from './config.ts';
import { parseRouterConfig, readMaterial, type ConfigFiles } from './load.ts';

const root = new URL('../../', import.meta.url).pathname;

const GATEWAY = `
name: gw
providers: { api: { url: http://127.0.0.1:1 }, openai: { url: http://127.0.0.1:2 } }
routes:
  - match: /keys
    upstreams: [api]
    auth: { jwt: { algorithms: [RS256], publicKeys: [{ file: keys/gateway-rs256.public.pem, alg: RS256 }] } }
  - match: /secret
    upstreams: [api]
    auth: { jwt: { algorithms: [HS256], secret: { env: GW_SECRET } } }
  - match: /chat
    upstreams: [openai]
    llm: { registry: llm.yaml }
`;
const REGISTRY = `
models: { mini: { provider: openai, tier: basic, costPer1k: 0.1 } }
default: simple
classes: { simple: { chain: [mini] } }
`;

function raw(text: string): RouterFile {
  const parsed = parseYaml<RouterFile>(text, 'gw.yaml', RouterConfigSchema);
  if (!parsed.ok) throw new Error('bad test config');
  return parsed.value;
}

/** Files from a table, every read recorded. */
function table(entries: Record<string, string>, env: Record<string, string> = {}): ConfigFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    dir: '/conf',
    env,
    reads,
    read: (path) => {
      reads.push(path);
      const text = entries[path];
      if (text === undefined) throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}

describe('router config loader', () => {
  it('reads every file and secret the routes name, relative to the config, keeping why one could not be read', () => {
    const files = table({ '/conf/llm.yaml': REGISTRY }, { GW_SECRET: 's'.repeat(32), OTHER: 'never read' });
    const material = readMaterial(raw(GATEWAY), files);
    expect(files.reads).toEqual(['/conf/keys/gateway-rs256.public.pem', '/conf/llm.yaml']);
    expect(material.keyFiles).toEqual(new Map([['keys/gateway-rs256.public.pem', { error: 'ENOENT' }]]));
    expect(material.secrets).toEqual({ GW_SECRET: 's'.repeat(32) });
    expect(material.llmRegistries).toEqual(new Map([['llm.yaml', { path: '/conf/llm.yaml', text: REGISTRY }]]));
  });

  it('compiles from the material alone: no file, no environment', () => {
    const pem = readFileSync(`${root}fixtures/keys/gateway-rs256.public.pem`, 'utf8');
    const compiled = compileRouterConfig(raw(GATEWAY), undefined, 'gw.yaml', {
      keyFiles: new Map([['keys/gateway-rs256.public.pem', { text: pem }]]),
      secrets: { GW_SECRET: 's'.repeat(32) },
      llmRegistries: new Map([['llm.yaml', { path: '/conf/llm.yaml', text: REGISTRY }]]),
    });
    if (!compiled.ok) throw new Error(compiled.issues.map((i) => i.message).join('\n'));
    const [keys, secret, chat] = compiled.value.routes;
    expect(keys!.auth!.jwt.keys.publicKeys).toEqual([{ pem, alg: 'RS256' }]);
    expect(secret!.auth!.jwt.keys.secret).toEqual(new TextEncoder().encode('s'.repeat(32)));
    expect(chat!.llm).toMatchObject({ file: '/conf/llm.yaml', unhealthy: 'last' });
  });

  it('reports what was not read at its field, as the loader words a missing file', () => {
    const compiled = compileRouterConfig(raw(GATEWAY), undefined, 'gw.yaml');
    expect(compiled.ok ? [] : compiled.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'routes[0].auth.jwt.publicKeys: cannot read keys/gateway-rs256.public.pem: not read (loadRouterConfig and parseRouterConfig read the files a config names)',
      'routes[1].auth.jwt.secret: environment variable GW_SECRET is not set',
      'routes[2].llm.registry: cannot read the LLM registry llm.yaml: not read (loadRouterConfig and parseRouterConfig read the files a config names)',
    ]);
    const parsed = parseRouterConfig(GATEWAY, 'gw.yaml', table({}));
    expect(parsed.ok ? [] : parsed.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'routes[0].auth.jwt.publicKeys: cannot read keys/gateway-rs256.public.pem: ENOENT',
      'routes[1].auth.jwt.secret: environment variable GW_SECRET is not set',
      'routes[2].llm.registry: cannot read the LLM registry llm.yaml: ENOENT',
    ]);
  });
});

describe('settings by path (a scenario variant)', () => {
  const file = `${root}fixtures/routers/retry-storm.yaml`;
  const text = readFileSync(file, 'utf8');
  const at = { file: 'scenario.yaml', line: 40, column: 12, path: 'variants[0].set["retry.backoff.jitter"]' };
  it('changes the compiled config: a jitter by shorthand, a block removed, a base by the route', () => {
    const r = parseRouterConfig(text, file, undefined, {
      set: [
        { path: 'retry.backoff.jitter', value: 'none', at },
        { path: 'retry.budget', value: 'off', at },
        { path: 'routes[/api/**].retry.backoff.base', value: '10ms', at },
        { path: 'routes[/api/**].retry.backoff.cap', value: '10ms', at },
      ],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const retry = r.value.routes[0]!.retry!;
    expect(retry.backoff).toMatchObject({ base: 10, cap: 10, jitter: 'none' });
    expect(retry.budget).toBeUndefined();
    // The base file is untouched.
    const base = parseRouterConfig(text, file);
    expect(base.ok && base.value.routes[0]!.retry!.budget).toBeTruthy();
  });
  it("a value the schema rejects is an issue at the override's line, naming the router field", () => {
    const r = parseRouterConfig(text, file, undefined, {
      set: [
        { path: 'retry.backoff.jitter', value: 'sometimes', at },
        { path: 'routes[/api/**].timeout', value: 'soon', at: { ...at, line: 41 } },
        { path: 'retry.nonsense', value: 1, at: { ...at, line: 42 } },
        { path: 'routes[/apx/**].timeout', value: '1s', at: { ...at, line: 43 } },
      ],
      note: 'with variant v',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.file, i.line])).toEqual([
      ['scenario.yaml', 40],
      ['scenario.yaml', 41],
      ['scenario.yaml', 42],
      ['scenario.yaml', 43],
    ]);
    expect(r.issues[0]!.message).toMatch(/^`retry\.backoff\.jitter: sometimes` sets routes\[0\]\.retry\.backoff\.jitter in .*retry-storm\.yaml: /);
    expect(r.issues[1]!.message).toMatch(/routes\[0\]\.timeout/);
    expect(r.issues[2]!.message).toMatch(/unknown field `nonsense`/);
    expect(r.issues[3]!.message).toMatch(/no item has match "\/apx\/\*\*"/);
  });
});
