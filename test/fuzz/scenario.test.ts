/**
 * Fuzzes the scenario loader with hostile and mutated documents: the bundled scenarios
 * (scenarios/, examples/checkout/chaos) mutated at the value and at the text level, random
 * YAML, random bytes, deep nesting, alias bombs and cycles, numbers beyond a double, control
 * characters. Each document goes through `parseScenario` (with the real file system, so router
 * configs are cross-checked), and a sample through `readScenarioFile` and the CLI's validate.
 *
 * Properties: nothing throws; no case takes longer than HANG_MS; every rejection is a list of
 * positioned issues that format to one line each, free of control characters; and every
 * document accepted is runnable — checked against an oracle independent of the loader (Node's
 * own header validation, undici's path rule, setTimeout's limit, folder-name limits).
 *
 * Bounded in `npm test` (fuzzRuns); `npm run fuzz` runs 10,000 documents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { formatIssues, type ConfigIssue } from '../../src/config/issues.ts';
import { fileContext, readScenarioFile, parseScenario } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/model/scenario.ts';
import { validateCommand } from '../../src/cli/commands.ts';
import { parseSlo } from '../../src/slo/parse.ts';
import { parseHostPort } from '../../src/toxiproxy/address.ts';
import { FUZZ_SEED, fuzzReport, fuzzRuns } from './budget.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = fuzzRuns(300);
/** A case slower than this counts as a hang (parsing is synchronous: it is timed, not interrupted). */
const HANG_MS = 2000;

const bundled = ['scenarios', 'scenarios/incidents', 'examples/checkout/chaos'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => {
      const file = path.join(root, dir, n);
      return { file, text: readFileSync(file, 'utf8') };
    }),
);

// ---------------------------------------------------------------------------------------
// Generators

const NINES = '9'.repeat(400);
/** Raw YAML spliced in where a mutation puts a `__RAW_n__` marker: what a JS value cannot say. */
const RAW = [NINES, `-${NINES}`, `${NINES}.5`, `0.${'0'.repeat(400)}1`, '.inf', '-.inf', '.nan', '*x', '&a [*a]', `0x${'f'.repeat(300)}`, '1e999', '!!binary aGk=', '!!str 5s', '~'];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    `${NINES}s`, `${NINES}ms`, `${NINES}/s`, `${NINES}%`, `0.${'0'.repeat(400)}1/s`, '1000h', '597h', '596h', '0ms', '0s', '0.0000001ms', '101%', '100%', '0%',
    '100001/s', '100000/s', '0/s', -1, 0, 1, 1.5, 1e308, 2 ** 31, 2 ** 53, -(2 ** 53), 99999, 65536, true, false, null, [], {}, '', ' ',
    'a\r\nx-injected: 1', 'x\u0000y', '\u001b[31mred', '\u001b]0;title\u0007', 'é', '☃', '\ud800', '\u202eevil', 'a'.repeat(300), 'a'.repeat(101), 'a'.repeat(100),
    'a b', '/a b', '/ok', '/p%20q', '/\u00e9', '/\u2603', '/\t', '//', 'http://[::1', 'http://127.0.0.1:99999', 'https://example.com/x', '127.0.0.1:99999', '127.0.0.1:0',
    'GET', 'HEAD', 'POST', 'CONNECT', 'TRACE', 'get', 'content-length', 'Transfer-Encoding', 'expect', 'x y', 'joke', 'payments', 'down', 'outage', 'network', 'http',
    'availability >= 99%', `availability >= ${NINES}%`, 'p99(latency) < 400ms', 'p99(latency) <', '{{providers.x.url}}', '${UNSET}', 'k'.repeat(100_000),
  ),
  fc.integer(),
  fc.double(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }).map((s) => `/${s}`),
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), { maxKeys: 4 }),
  fc.nat(RAW.length - 1).map((i) => `__RAW_${i}__`),
  fc.integer({ min: 30, max: 200 }).map((n) => nest(n)),
);

function nest(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

type Op = { kind: 'replace'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown } | { kind: 'rename'; key: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: hostileValue.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'delete' as const }) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('name', 'headers', 'body', 'method', 'env', 'listen', 'x\r\ny', '__proto__')), hostileValue).map(([key, value]) => ({ kind: 'add' as const, key, value })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((key) => ({ kind: 'rename' as const, key })) },
);

/** Every path into a value (objects and arrays), the root included. */
function pathsOf(value: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  while (stack.length) {
    const [v, p] = stack.pop()!;
    out.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...p, i]]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) stack.push([x, [...p, k]]);
  }
  return out;
}

/** The fields where a value that validates could still break the run: mutations aim here half the time. */
const FOCUS = new Set(['name', 'path', 'headers', 'method', 'body', 'duration', 'rate', 'timeout', 'latency', 'jitter', 'from', 'to', 'over', 'every', 'listen', 'env', 'command', 'cwd', 'url', 'route', 'http', 'tcp', 'metrics', 'kbps', 'connections', 'seed', 'toxicity', 'weight', 'bytes', 'delay', 'for']);

function mutate(doc: unknown, ops: [number, Op, boolean][]): unknown {
  let root = structuredClone(doc);
  for (const [index, o, focus] of ops) {
    const all = pathsOf(root);
    const focused = focus ? all.filter((p) => FOCUS.has(String(p.at(-1))) || FOCUS.has(String(p.at(-2)))) : [];
    const paths = focused.length ? focused : all;
    const p = paths[index % paths.length]!;
    if (p.length === 0) {
      if (o.kind === 'replace') root = o.value;
      continue;
    }
    let parent: any = root;
    for (const seg of p.slice(0, -1)) parent = parent[seg];
    const last = p.at(-1)!;
    if (o.kind === 'replace') parent[last] = structuredClone(o.value);
    else if (o.kind === 'delete') Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last];
    else if (o.kind === 'add') {
      const target = parent[last];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, o.key, { value: o.value, enumerable: true, writable: true, configurable: true });
      else if (Array.isArray(target)) target.push(o.value);
    } else if (o.kind === 'rename' && !Array.isArray(parent)) {
      const v = parent[last];
      delete parent[last];
      Object.defineProperty(parent, o.key, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

const toText = (v: unknown) => {
  let text = stringify(v, { aliasDuplicateObjects: false, lineWidth: 0 });
  text = text.replace(/__RAW_(\d+)__/g, (_, i) => RAW[Number(i)]!);
  return text;
};

type TextOp = { at: number; cut: number; insert: string };
const textOp: fc.Arbitrary<TextOp> = fc.record({
  at: fc.nat(),
  cut: fc.nat(20),
  insert: fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('&a ', '*a', '*b ', '<<: *a\n', '\n---\n', '\n...\n', '? ', ': ', '- ', '[', ']', '{', '}', '"', "'", '#', '\t', '\r', '\r\n', '\u0000', '\u001b', '\ufeff', '%YAML 1.1\n', '!!binary ', NINES, ...RAW),
  ),
});

function mutateText(text: string, ops: TextOp[]): string {
  let t = text;
  for (const o of ops) {
    const at = o.at % (t.length + 1);
    t = t.slice(0, at) + o.insert + t.slice(at + o.cut);
  }
  return t;
}

const bomb = (n: number) =>
  `a: &a [${Array(n).fill(1).join(',')}]\nb: &b [${Array(n).fill('*a').join(',')}]\nc: &c [${Array(n).fill('*b').join(',')}]\nd: [${Array(n).fill('*c').join(',')}]\n`;

interface Case {
  what: string;
  file: string;
  text: string;
}

const bundledDoc = fc.nat(bundled.length - 1).map((i) => bundled[i]!);
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(bundledDoc, fc.array(fc.tuple(fc.nat(), op, fc.boolean()), { minLength: 1, maxLength: 3, size: 'xsmall' })).map(([b, ops]) => ({ what: 'mutated value', file: b.file, text: toText(mutate(parse(b.text), ops)) })) },
  { weight: 3, arbitrary: fc.tuple(bundledDoc, fc.array(textOp, { minLength: 1, maxLength: 4 })).map(([b, ops]) => ({ what: 'mutated text', file: b.file, text: mutateText(b.text, ops) })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => ({ what: 'random yaml', file: bundled[0]!.file, text: toText(v) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => ({ what: 'random bytes', file: bundled[0]!.file, text: Buffer.from(b).toString('utf8') })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 10, max: 5000 }), fc.constantFrom('- ', '[', '{a: ', 'a:\n', '? ')).map(([n, unit]) => ({
      what: 'deep nesting',
      file: bundled[0]!.file,
      text: unit === 'a:\n' ? Array.from({ length: Math.min(n, 400) }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n' : `${unit.repeat(n)}1${unit === '[' ? ']'.repeat(n) : unit === '{a: ' ? '}'.repeat(n) : ''}\n`,
    })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 40 }).map((n) => ({ what: 'alias bomb', file: bundled[0]!.file, text: `name: x\n${bomb(n)}` })) },
);

// ---------------------------------------------------------------------------------------
// The oracle: is an accepted scenario really runnable?

const MAX_DURATION_MS = 2 ** 31 - 1;
/** undici's rule for a request path (lib/core/request.js `invalidPathRegex`, inverted). */
const UNDICI_PATH = /^\/[\u0021-\u00ff]*$/;
const CLIENT_HEADERS = new Set(['content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'connection', 'expect']);

function problemsOf(s: Scenario): string[] {
  const bad: string[] = [];
  const no = (cond: boolean, what: string) => {
    if (!cond) bad.push(what);
  };
  // Every number finite; every duration a timer can wait.
  for (const p of pathsOf(s)) {
    let v: any = s;
    for (const seg of p) v = v[seg];
    if (typeof v === 'number') {
      no(Number.isFinite(v), `${p.join('.')} is ${v}`);
      const key = String(p.at(-1));
      if (/Ms$/.test(key)) no(v >= 0 && v <= MAX_DURATION_MS, `${p.join('.')} = ${v} ms is beyond a timer`);
    }
  }
  no(/^[a-z0-9][a-z0-9-]*$/.test(s.name) && Buffer.byteLength(s.name) <= 200, `name ${JSON.stringify(s.name.slice(0, 40))} is no folder name`);
  no(Number.isSafeInteger(s.seed), 'seed');
  const l = s.load;
  no(l.durationMs > 0 && l.timeoutMs > 0, 'load duration/timeout');
  if (l.model === 'open') no(l.rate > 0 && l.rate <= 100_000, `rate ${l.rate}`);
  else no(Number.isInteger(l.connections) && l.connections >= 1 && l.connections <= 10_000, 'connections');
  for (const r of l.requests) {
    no(UNDICI_PATH.test(r.path), `path ${JSON.stringify(r.path)}`);
    no(!(r.body !== undefined && (r.method === 'GET' || r.method === 'HEAD')), `${r.method} with a body`);
    no(r.weight > 0, 'weight');
    const seen = new Set<string>();
    for (const [k, v] of Object.entries(r.headers)) {
      try {
        validateHeaderName(k);
        validateHeaderValue(k, v);
      } catch {
        bad.push(`header ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
      }
      no(!CLIENT_HEADERS.has(k.toLowerCase()), `header ${k} the client refuses`);
      no(!seen.has(k.toLowerCase()), `header ${k} twice`);
      seen.add(k.toLowerCase());
    }
  }
  for (const f of s.faults) {
    no(f.fromMs < f.toMs && f.toMs <= l.durationMs, `fault ${f.name} window ${f.fromMs}–${f.toMs}`);
    if (f.target.route !== undefined) no(UNDICI_PATH.test(f.target.route), `route ${JSON.stringify(f.target.route)}`);
    for (const k of ['rate', 'toxicity', 'fraction'] as const) {
      const v = (f as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') no(v >= 0 && v <= 1, `${f.name}.${k} = ${v}`);
    }
  }
  const t = s.target;
  if (t.kind === 'url') no(URL.canParse(t.url), 'target url');
  if (t.kind === 'command') {
    no(!t.command.includes('\0') && !t.cwd.includes('\0'), 'NUL in command or cwd');
    for (const [k, v] of Object.entries(t.env)) no(k !== '' && !k.includes('=') && !k.includes('\0') && !v.includes('\0'), `env ${JSON.stringify(k)}`);
  }
  if (t.kind !== 'router' && t.ready?.kind === 'http') no(t.ready.path.startsWith('/') ? UNDICI_PATH.test(t.ready.path) : URL.canParse(t.ready.path), 'ready path');
  const metrics = t.kind === 'url' ? t.metricsUrl : t.kind === 'command' ? t.metrics : undefined;
  if (metrics !== undefined) no(metrics.startsWith('/') ? UNDICI_PATH.test(metrics) : URL.canParse(metrics), `metrics ${metrics}`);
  for (const p of s.providers) {
    if (p.kind === 'url') no(URL.canParse(p.url), `provider url ${p.url}`);
    for (const a of Object.values(p.listen ?? {})) no(parseHostPort(a) !== undefined, `listen ${a}`);
  }
  for (const slo of s.slos) no(parseSlo(slo.expr).ok, `slo ${slo.expr}`);
  return bad;
}

/** A rejection as the issue asks: issues, each positioned, each one printable line. */
function wellFormedRejection(issues: ConfigIssue[]): boolean {
  if (issues.length === 0) return false;
  const positioned = issues.every((i) => typeof i.file === 'string' && Number.isInteger(i.line) && i.line >= 1 && Number.isInteger(i.column) && i.column >= 1 && typeof i.message === 'string' && i.message !== '');
  const text = formatIssues(issues);
  // eslint-disable-next-line no-control-regex
  const lines = text.split('\n');
  return positioned && lines.length === issues.length && lines.every((line) => line.length < 2000 && !/[\u0000-\u001f\u007f-\u009f]/.test(line));
}

// ---------------------------------------------------------------------------------------

describe('fuzz: scenario loader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'faultline-fuzz-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never throws, never hangs, rejects with positioned issues, accepts only runnable scenarios', async () => {
    const counts = { documents: 0, crashes: 0, hangs: 0, 'invalid accepted': 0, rejected: 0 };
    const examples: string[] = [];
    const note = (what: string, c: Case, detail: string) => {
      if (examples.length < 5) examples.push(`${what} (${c.what}, ${path.basename(c.file)}): ${detail}\n${c.text.slice(0, 400)}`);
    };
    const started = Date.now();
    const mute = [vi.spyOn(console, 'log').mockImplementation(() => {}), vi.spyOn(console, 'error').mockImplementation(() => {})];
    try {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          counts.documents++;
          // The bundled file's own path, so relative router configs and handler modules resolve.
          const t0 = performance.now();
          try {
            const r = parseScenario(c.text, c.file, fileContext, { env: {} });
            if (r.ok) {
              const bad = problemsOf(r.scenario);
              if (bad.length) {
                counts['invalid accepted']++;
                note('invalid accepted', c, bad.join('; '));
              }
            } else {
              counts.rejected++;
              if (!wellFormedRejection(r.issues)) {
                counts.crashes++;
                note('malformed rejection', c, formatIssues(r.issues).slice(0, 400));
              }
            }
            // Every 20th document also as a file: readScenarioFile and the CLI's validate.
            if (counts.documents % 20 === 0) {
              const tmp = path.join(dir, 'doc.yaml');
              await writeFile(tmp, c.text);
              const loaded = await readScenarioFile(tmp, { env: {} });
              if (loaded.ok !== r.ok && !loaded.ok && !wellFormedRejection(loaded.issues)) counts.crashes++;
              const code = await validateCommand([tmp], { env: {} });
              if (code !== 0 && code !== 2) {
                counts.crashes++;
                note('validate exit code', c, String(code));
              }
            }
          } catch (err) {
            counts.crashes++;
            note('crash', c, err instanceof Error ? (err.stack ?? err.message).slice(0, 600) : String(err));
          }
          if (performance.now() - t0 > HANG_MS) {
            counts.hangs++;
            note('hang', c, `${Math.round(performance.now() - t0)} ms`);
          }
        }),
        { numRuns: RUNS, seed: FUZZ_SEED },
      );
    } finally {
      for (const m of mute) m.mockRestore();
    }
    fuzzReport('scenario loader', counts);
    console.log(`fuzz scenario loader: ${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${FUZZ_SEED})`);
    expect(examples, examples.join('\n\n')).toEqual([]);
    expect({ crashes: counts.crashes, hangs: counts.hangs, 'invalid accepted': counts['invalid accepted'] }).toEqual({ crashes: 0, hangs: 0, 'invalid accepted': 0 });
  }, 600_000);
});
