/**
 * `faultline init [file]`: a starter scenario for the user's own service, commented line by
 * line, with a fault of each layer, a load block and SLOs — something to edit, not to read
 * the docs for. It never overwrites a file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues } from '../config/issues.ts';
import { readScenarioFile } from '../scenario/load.ts';

export interface InitFlags {
  name?: string;
  /** How to start the service (a `command` target); ignored with `url`. */
  command?: string;
  /** A service already running (a `url` target). */
  url?: string;
  /** `name=url`, repeatable: the upstreams the service calls. */
  provider?: string[];
}

export interface StarterOptions {
  name: string;
  command?: string;
  url?: string;
  providers: { name: string; url: string }[];
  /** `$schema` for editors, relative to the file; left out when unknown. */
  schema?: string;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** A scenario name from anything: lower case, digits and dashes. */
export function toName(s: string): string {
  const n = s.toLowerCase().replace(/^@[^/]*\//, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return n || 'my-service';
}

/** `payments` → `PAYMENTS_URL`, `quotes-eu` → `QUOTES_EU_URL`. */
const envName = (provider: string) => `${provider.toUpperCase().replace(/-/g, '_')}_URL`;

/**
 * The starter scenario's text.
 *
 * @example starterScenario({ name: 'checkout', command: 'node server.js', providers: [{ name: 'payments', url: 'http://127.0.0.1:12111' }] })
 */
export function starterScenario(o: StarterOptions): string {
  const providers = o.providers.length ? o.providers : [{ name: 'payments', url: 'http://127.0.0.1:12111' }];
  const first = providers[0]!.name;
  const lines: string[] = [];
  const add = (...ls: string[]) => lines.push(...ls);
  if (o.schema) add(`# yaml-language-server: $schema=${o.schema}`);
  add(
    `# A faultline scenario for ${o.name}: faults in front of its upstreams, load at it, and the SLOs it must keep.`,
    '# Check it with `npx faultline validate <this file>`, run it with `npx faultline run <this file>`',
    '# (exit 0: every SLO held; 1: an SLO was breached; 2: invalid, or the service did not start).',
    `name: ${o.name}                       # names the report folder: reports/${o.name}/<run-id>/`,
    `description: ${o.name} keeps answering while ${first} is slow and then failing.`,
    'seed: 1                               # every random choice (arrivals, error draws) derives from it',
    '',
    'target:                               # the system under test: your service',
  );
  if (o.url !== undefined) {
    add(
      `  url: ${o.url}          # already running: faultline only sends it load`,
      '  ready: { http: /healthz, timeout: 10s }   # load starts once GET /healthz answers 2xx/3xx (else exit 2)',
      '  # metrics: /metrics                 # optional: its Prometheus metrics become SLO metrics',
      '  # Configure the service to call each provider at its `listen` address below, so its calls go through faultline.',
    );
  } else {
    add(
      `  command: ${o.command ?? 'node server.js'}                # faultline starts it (in this file's folder) and stops it after the run`,
      '  env:                                # its environment: where each upstream is, through faultline\'s proxies',
      ...providers.map((p) => `    ${envName(p.name)}: "{{providers.${p.name}.url}}"`),
      '  ready: { http: /healthz, timeout: 20s }   # load starts once GET /healthz answers 2xx/3xx (else exit 2)',
      '  # metrics: /metrics                 # optional: its Prometheus metrics become SLO metrics',
    );
  }
  add('', 'providers:                            # the upstreams your service calls; faultline puts a proxy in front of each');
  providers.forEach((p, i) => {
    const listen = o.url !== undefined ? `, listen: 127.0.0.1:${26400 + i}` : '';
    add(`  - { name: ${p.name}, url: ${p.url}${listen} }`);
  });
  add(
    '  # - { name: quotes, handlers: ./mocks/quotes.ts }   # or your own MSW handlers instead of a real upstream',
    '',
    'load:',
    '  rate: 20/s                          # open model: arrivals at this rate, whatever the answers',
    '  duration: 30s',
    '  timeout: 2s                         # per request; a request not answered in time is an error',
    '  requests:                           # a weighted mix of what clients send',
    '    - { name: home, path: /, weight: 1 }    # change to your endpoints, e.g. { method: POST, path: /checkout, body: { cart: c-1 } }',
    '    # - { name: missing, path: /nope, expect: { status: [404] } }   # success is 2xx/3xx unless `expect` says otherwise',
    '',
    'faults:                               # each on from `from` to `to`, while the load runs',
    `  - name: ${first}-slow`,
    `    target: { provider: ${first} }`,
    '    layer: network                    # network: in the Toxiproxy proxy, below HTTP',
    '    kind: latency',
    '    latency: 300ms',
    '    jitter: 100ms',
    '    from: 5s',
    '    to: 12s',
    `  - name: ${first}-errors`,
    `    target: { provider: ${first} }`,
    '    layer: http                       # http: answered by faultline instead of the upstream',
    '    kind: error',
    '    status: 503',
    '    rate: 30%                         # a share of the requests',
    '    from: 15s',
    '    to: 22s',
    '',
    'slos:                                 # the verdict: each must hold, or the run exits 1',
    '  - name: availability',
    '    expr: availability >= 99%         # answered with an expected status (default 2xx/3xx)',
    '  - name: tail latency',
    '    expr: p99(latency) < 1s',
    '  - name: tail latency while slow',
    '    expr: p99(latency) < 1500ms',
    `    window: { during: ${first}-slow }`,
    '  - name: recovers after the errors',
    '    expr: availability >= 99.5%',
    `    window: { recovery: ${first}-errors, for: 5s }`,
    `  - name: the service really calls ${first}`,
    `    expr: upstream_requests{provider="${first}"} > 0   # calls that went through faultline`,
  );
  // Comments in one column, as a person would align them.
  const aligned = lines.map((l) => {
    const m = /^(.*?\S)\s{2,}(# .*)$/.exec(l);
    return m && !l.trimStart().startsWith('#') ? `${m[1]!.padEnd(COMMENT_COLUMN - 1)} ${m[2]!}` : l;
  });
  return aligned.join('\n') + '\n';
}

const COMMENT_COLUMN = 40;

/** The project's package name, for the default scenario name; else the folder's. */
function projectName(cwd: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof pkg.name === 'string' && pkg.name) return toName(pkg.name);
  } catch {
    // No package.json: the folder's name.
  }
  return toName(basename(cwd));
}

/** faultline's scenarios/schema.json, where the package (or the repository) has it. */
function schemaFile(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const f = join(dir, 'scenarios', 'schema.json');
    if (existsSync(f) && existsSync(join(dir, 'package.json'))) return f;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export async function initCommand(file: string | undefined, flags: InitFlags): Promise<number> {
  const cwd = process.cwd();
  const name = flags.name ?? projectName(cwd);
  if (!NAME.test(name)) {
    console.error(`--name: expected lower-case letters, digits and dashes, like checkout, found ${JSON.stringify(name)}`);
    return 2;
  }
  const providers: { name: string; url: string }[] = [];
  for (const p of flags.provider ?? []) {
    const m = /^([a-z0-9][a-z0-9-]*)=(https?:\/\/\S+)$/.exec(p);
    if (!m) {
      console.error(`--provider: expected name=url, like payments=http://127.0.0.1:12111 (the name in lower case, digits, dashes), found ${JSON.stringify(p)}`);
      return 2;
    }
    providers.push({ name: m[1]!, url: m[2]! });
  }
  if (flags.url !== undefined && !/^https?:\/\//.test(flags.url)) {
    console.error(`--url: expected an http:// or https:// URL, found ${JSON.stringify(flags.url)}`);
    return 2;
  }
  const target = resolve(cwd, file ?? join('chaos', `${name}.yaml`));
  const shownFile = relative(cwd, target) || target;
  if (existsSync(target)) {
    console.error(`${shownFile} exists; not overwriting it (name another file, or remove it first)`);
    return 2;
  }
  const schema = schemaFile();
  const text = starterScenario({
    name,
    ...(flags.url !== undefined ? { url: flags.url } : { command: flags.command ?? 'node server.js' }),
    providers,
    ...(schema && { schema: relative(dirname(target), schema).split('\\').join('/') }),
  });
  await mkdir(dirname(target), { recursive: true });
  try {
    await writeFile(target, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    console.error(`${shownFile} exists; not overwriting it`);
    return 2;
  }
  console.log(`wrote ${shownFile}: a starter scenario for ${name}, commented line by line.`);
  const loaded = await readScenarioFile(target);
  if (!loaded.ok) {
    // Our template should always validate; say so rather than leave the user to find out.
    console.error(`it does not validate yet:\n${formatIssues(loaded.issues)}`);
    return 0;
  }
  console.log(`next: edit the command, paths and SLOs, then\n  npx faultline validate ${shownFile}\n  npx faultline run ${shownFile}`);
  return 0;
}
