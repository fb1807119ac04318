import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../config/issues.ts';
import { readScenarioFile, parseScenario, type ScenarioLoaded } from './load.ts';
import type { Scenario } from '../model/scenario.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url));
const fixture = (name: string) => path.join(FIXTURES, name);

/** Issues as a person reads them: `line:col path message`. */
function brief(issues: ConfigIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
}

function ok(r: ScenarioLoaded): Scenario {
  if (!r.ok) throw new Error(`expected a valid scenario, got:\n${brief(r.issues).join('\n')}`);
  return r.scenario;
}

function issues(r: ScenarioLoaded): ConfigIssue[] {
  if (r.ok) throw new Error('expected issues, got a valid scenario');
  return r.issues;
}

// A file system in which every file exists, for the pure parseScenario.
const anyFile = { fileExists: () => true };

/** A minimal valid scenario; `extra` lines are appended (top-level sections the test needs). */
function scenario(lines: string[]): string {
  return lines.join('\n') + '\n';
}

const BASE = [
  'name: s',
  'target: {url: "http://127.0.0.1:8080"}',
  'providers:',
  '  - {name: pay, fixture: payments, regions: [us, eu]}',
  'load: {rate: 10, duration: 20s, requests: [{path: /}]}',
];

describe('readScenarioFile', () => {
  it('normalises a valid scenario: units, defaults, absolute paths', async () => {
    const s = ok(await readScenarioFile(fixture('valid.yaml')));
    expect(s).toEqual<Scenario>({
      file: fixture('valid.yaml'),
      // The text as written, for the report's "scenario as run".
      source: { text: await readFile(fixture('valid.yaml'), 'utf8') },
      name: 'joke-api-flaky',
      description: 'The joke API answers 5xx 30 % of the time; retries with backoff and jitter hide it.',
      seed: 42,
      expect: 'pass',
      target: { kind: 'router', config: fixture('stub-router.yaml') },
      providers: [
        { name: 'joke', kind: 'fixture', fixture: 'joke', regions: ['us', 'eu'] },
        { name: 'backup', kind: 'fixture', fixture: 'joke', regions: [] },
      ],
      load: {
        model: 'open',
        rate: 10, // 600/m
        arrival: 'uniform',
        durationMs: 20_000,
        timeoutMs: 5000,
        requests: [
          { name: 'GET /joke', weight: 1, method: 'GET', path: '/joke', headers: {} },
          {
            name: 'pay',
            weight: 2.5,
            method: 'POST',
            path: '/pay',
            headers: { 'x-client': 'a' },
            body: '{"amount":10}',
            contentType: 'application/json',
          },
        ],
      },
      faults: [
        {
          name: 'joke-5xx',
          target: { provider: 'joke', region: 'eu', route: '/joke' },
          layer: 'http',
          kind: 'error',
          fromMs: 5000,
          toMs: 15_000,
          rate: 0.3,
          status: 429,
          retryAfterMs: 1500,
        },
        {
          name: 'slow-backup',
          target: { provider: 'backup' },
          layer: 'network',
          kind: 'latency',
          fromMs: 0,
          toMs: 20_000, // no `to`: the end of the run
          stream: 'upstream',
          toxicity: 0.5,
          latencyMs: 250,
          jitterMs: 50,
        },
      ],
      slos: [
        { name: 'availability', expr: 'availability >= 99%', window: { kind: 'run' } },
        { name: 'during', expr: 'p99(latency) < 400ms', window: { kind: 'during', fault: 'joke-5xx' } },
        { name: 'recovery', expr: 'error_rate < 1%', window: { kind: 'recovery', fault: 'joke-5xx', forMs: 2000 } },
      ],
    });
  });

  it('reports every mistake in a file at once, each at its line and column', async () => {
    const file = fixture('mistakes.yaml');
    const found = issues(await readScenarioFile(file));
    expect(found.every((i) => i.file === file)).toBe(true);
    expect(brief(found)).toEqual([
      '2:7 seed wrong type',
      '11:13 load.duration invalid value',
      '14:7 load.requests[0].weigth unknown field `weigth` (did you mean `weight`?)',
      '17:24 faults[0].target.provider unknown provider `jokes` (did you mean `joke`?)',
      '20:5 faults[1].name missing required field `name`',
      '26:22 slos[0].window.during unknown fault `joke-500` (did you mean `joke-5xx`?)',
    ]);
    expect(found[0]).toMatchObject({ expected: 'a whole number', found: '"forty-two"' });
    expect(found[1]).toMatchObject({ expected: 'a duration like 250ms or 30s', found: '"20 seconds"' });
  });

  it('reports broken YAML in another file, and nothing else for it', async () => {
    const found = issues(await readScenarioFile(fixture('broken.yaml')));
    expect(brief(found)).toEqual(['7:1  Missing closing "quote']);
  });

  it('reports a missing file and a missing router config', async () => {
    expect(brief(issues(await readScenarioFile(fixture('nope.yaml'))))).toEqual(['1:1  file not found']);
    const text = scenario(['name: s', 'target: {router: ./no-such-router.yaml}', ...BASE.slice(2), 'slos: [{name: a, expr: availability > 1%}]']);
    const r = parseScenario(text, '/x/s.yaml', { fileExists: (p) => p !== '/x/no-such-router.yaml' });
    expect(brief(issues(r))).toEqual(['2:18 target.router router config not found: /x/no-such-router.yaml']);
  });
});

describe('parseScenario', () => {
  it('normalises the closed model, a URL target, a string body and defaults', () => {
    const s = ok(
      parseScenario(
        scenario([
          'name: s',
          'expect: fail',
          'target: {url: "http://127.0.0.1:8080"}',
          'providers: [{name: p, fixture: joke}]',
          'load:',
          '  model: closed',
          '  connections: 4',
          '  duration: 1.5m',
          '  timeout: 250ms',
          '  requests:',
          '    - {method: PUT, path: /a, body: hello, headers: {Content-Type: text/csv}}',
          '    - {method: POST, path: /b, body: plain}',
          'faults:',
          '  - {name: cut, target: {provider: p}, layer: network, kind: slicer, averageSize: 64, to: 30s}',
          '  - {name: slow, target: {provider: p}, layer: http, kind: latency, latency: 2s, from: 10s}',
          'slos: [{name: a, expr: availability > 1%, window: {recovery: cut}}]',
        ]),
        'rel/s.yaml',
        anyFile,
      ),
    );
    expect(s.file).toBe(path.resolve('rel/s.yaml'));
    expect(s.seed).toBe(1);
    expect(s.expect).toBe('fail');
    expect(s.target).toEqual({ kind: 'url', url: 'http://127.0.0.1:8080' });
    expect(s.load).toEqual({
      model: 'closed',
      connections: 4,
      durationMs: 90_000,
      timeoutMs: 250,
      requests: [
        { name: 'PUT /a', weight: 1, method: 'PUT', path: '/a', headers: { 'Content-Type': 'text/csv' }, body: 'hello', contentType: 'text/csv' },
        { name: 'POST /b', weight: 1, method: 'POST', path: '/b', headers: {}, body: 'plain', contentType: 'text/plain; charset=utf-8' },
      ],
    });
    expect(s.faults).toEqual([
      {
        name: 'cut',
        target: { provider: 'p' },
        layer: 'network',
        kind: 'slicer',
        fromMs: 0,
        toMs: 30_000,
        stream: 'downstream',
        toxicity: 1,
        averageSize: 64,
        sizeVariation: 0,
        delayMs: 0,
      },
      { name: 'slow', target: { provider: 'p' }, layer: 'http', kind: 'latency', fromMs: 10_000, toMs: 90_000, delay: { distribution: 'fixed', value: 2000 }, rate: 1 },
    ]);
    expect(s.slos[0]!.window).toEqual({ kind: 'recovery', fault: 'cut' });
  });

  it('runs the semantic checks, each at the node to fix', () => {
    const text = scenario([
      ...BASE,
      '  # line 6',
      'faults:',
      '  - {name: a, target: {provider: pay, region: asia}, layer: http, kind: error, status: 500, retryAfter: 1s}',
      '  - {name: a, target: {provider: pay, route: /x}, layer: network, kind: down, from: 5s, to: 30s}',
      '  - {name: c, target: {provider: pay}, layer: http, kind: error, from: 8s, to: 3s, rate: 150%}',
      '  - {name: d, target: {provider: pay}, layer: network, kind: slicer, averageSize: 10, sizeVariation: 10}',
      '  - {name: e, target: {provider: pay}, layer: http, kind: error, from: 20s}',
      'slos:',
      '  - {name: s1, expr: availability >= 99%, window: {recovery: d}}',
      '  - {name: s1, expr: availability 99%, window: {recovery: c, for: 19s}}',
    ]);
    expect(brief(issues(parseScenario(text, 's.yaml', anyFile)))).toEqual([
      '8:47 faults[0].target.region provider `pay` has no region `asia`',
      '8:105 faults[0].retryAfter retryAfter goes with status 429 or 503, not 500',
      '9:12 faults[1].name duplicate fault name `a` (first on line 8)',
      '9:46 faults[1].target.route route applies to http faults only; a network fault hits every connection to the provider',
      '9:93 faults[1].to the fault ends at 30s, after the run ends at 20s',
      '10:80 faults[2].to the fault must end after it starts (from 8s)',
      '10:90 faults[2].rate a percentage cannot exceed 100%',
      '11:102 faults[3].sizeVariation sizeVariation must be less than averageSize (10)',
      '12:72 faults[4].from the fault starts at 20s, when the run has already ended',
      '14:62 slos[0].window.recovery fault `d` lasts until the end of the run, so there is no recovery to measure',
      '15:12 slos[1].name duplicate SLO name `s1` (first on line 14)',
      '15:22 slos[1].expr SLO expression does not parse at column 14: expected a comparison (<, <=, >, >=, ==, !=) after `availability`, found the number `99`',
      '15:67 slos[1].window.for the recovery window ends at 22s, after the run ends at 20s',
    ]);
  });

  it('flags duplicate provider and region names', () => {
    const text = scenario([
      'name: s',
      'target: {url: "http://127.0.0.1:8080"}',
      'providers:',
      '  - {name: pay, fixture: payments, regions: [us, us]}',
      '  - {name: pay, fixture: payments}',
      'load: {rate: 0/s, duration: 0s, requests: [{path: /}]}',
      'slos: [{name: a, expr: availability > 1%}]',
    ]);
    expect(brief(issues(parseScenario(text, 's.yaml', anyFile)))).toEqual([
      '4:50 providers[0].regions[1] duplicate region `us` (first on line 4)',
      '5:12 providers[1].name duplicate provider name `pay` (first on line 4)',
      '6:14 load.rate the rate must be above 0',
      '6:29 load.duration the run must last longer than 0',
    ]);
  });

  it('collapses union errors to one message per mistake', () => {
    const text = scenario([
      ...BASE,
      'faults:',
      '  - {name: a, target: {provider: pay}, layer: network, kind: latency, latency: 1s, kbps: 10}',
      '  - {name: b, target: {provider: pay}, layer: http, kind: down}',
      '  - {name: c, target: {provider: pay}, layer: network, kind: bandwith, kbps: 10}',
      '  - {name: d, target: {provider: pay}, layer: network, kind: bandwidth}',
      'slos:',
      '  - {name: s1, expr: availability > 1%, window: {during: a, for: 5s}}',
      '  - {name: s2, expr: availability > 1%, window: always}',
    ]);
    const found = issues(parseScenario(text, 's.yaml', anyFile));
    expect(brief(found)).toEqual([
      '7:84 faults[0].kbps field `kbps` does not apply here (layer: network, kind: latency); it goes with kind: bandwidth or kind: outage',
      '8:59 faults[1].kind unknown kind `down` for layer http',
      '9:62 faults[2].kind unknown kind `bandwith` for layer network (did you mean `bandwidth`?)',
      '10:5 faults[3].kbps missing required field `kbps`',
      '12:61 slos[0].window.for field `for` does not apply here; it goes with `recovery`',
      '13:49 slos[1].window invalid value',
    ]);
    expect(found[1]!.expected).toBe('one of: error, latency, hang, truncate, reset, malformed, content_type, slow_headers, slow_body, capacity');
    expect(found[2]!.expected).toBe('one of: latency, down, timeout, reset_peer, bandwidth, slow_close, slicer, limit_data, outage');
    expect(found[5]).toMatchObject({ expected: 'run', found: '"always"' });
  });

  it('checks the fault recovery_time names, as a window\'s, when the scenario loads', () => {
    const text = scenario([
      ...BASE,
      'faults:',
      '  - {name: brownout, target: {provider: pay}, layer: http, kind: error, status: 503, from: 2s, to: 4s}',
      'slos:',
      '  - {name: r1, expr: recovery_time(brownot) < 2s}',
      '  - {name: r2, expr: recovery_time(brownout) < 2s}',
      '  - {name: r3, expr: recovery_time() < 2s}',
    ]);
    const found = issues(parseScenario(text, 's.yaml', anyFile));
    expect(brief(found)).toEqual(['9:22 slos[0].expr recovery_time names an unknown fault `brownot` (did you mean `brownout`?)']);
    expect(found[0]!.expected).toBe('one of: brownout');
  });

  it('reads abortOnFail (true or {grace}) and rejects what could never work, each at its node', () => {
    const good = ok(
      parseScenario(
        scenario([...BASE, 'slos:', '  - {name: a, expr: availability >= 99%, abortOnFail: true}', '  - {name: b, expr: availability >= 99%, abortOnFail: {grace: 5s}}', '  - {name: c, expr: availability >= 99%, abortOnFail: false}']),
        's.yaml',
        anyFile,
      ),
    );
    expect(good.slos.map((s) => s.abortOnFail)).toEqual([{ graceMs: 0 }, { graceMs: 5000 }, undefined]);
    const text = scenario([
      ...BASE,
      'faults:',
      '  - {name: brownout, target: {provider: pay}, layer: http, kind: error, status: 503, from: 2s, to: 4s}',
      'slos:',
      '  - {name: a, expr: availability >= 99%, abortOnFail: {grace: 30s}}',
      '  - {name: b, expr: recovery_time(brownout) < 2s, abortOnFail: true}',
      '  - {name: c, expr: availability >= 99%, abortOnFail: {grace: soon}}',
      '  - {name: d, expr: availability >= 99%, abortOnFail: {after: 1s}}',
    ]);
    const found = brief(issues(parseScenario(text, 's.yaml', anyFile)));
    expect(found.find((f) => f.includes('slos[0].abortOnFail.grace'))).toMatch(/^9:\d+ slos\[0\]\.abortOnFail\.grace a grace of 30s is not shorter than the run \(20s\)/);
    expect(found.find((f) => f.includes('slos[1].abortOnFail'))).toMatch(/^10:\d+ slos\[1\]\.abortOnFail abortOnFail cannot judge recovery_time/);
    expect(found.some((f) => f.startsWith('11:') && f.includes('slos[2].abortOnFail'))).toBe(true);
    expect(found.some((f) => f.startsWith('12:') && f.includes('slos[3].abortOnFail'))).toBe(true);
  });

  it('rejects a load with the other model’s fields, naming the model they belong to', () => {
    const text = scenario([...BASE.slice(0, 4), 'load: {model: closed, rate: 10, duration: 20s, requests: [{path: /}]}', 'slos: [{name: a, expr: availability > 1%}]']);
    expect(brief(issues(parseScenario(text, 's.yaml', anyFile)))).toEqual([
      '5:1 load.connections missing required field `connections`',
      '5:23 load.rate field `rate` does not apply here (model: closed); it goes with model: open',
    ]);
  });
});

describe('parseScenario: only what the run can use validates', () => {
  const nines = '9'.repeat(400);
  const SLOS = ['slos:', '  - {name: a, expr: availability >= 99%}'];

  it('bounds every quantity to what the machinery honours, and says the bound', () => {
    const text = scenario([
      'name: s',
      'target: {url: "http://127.0.0.1:8080"}',
      'providers:',
      '  - {name: pay, fixture: payments}',
      `load: {rate: ${nines}/s, duration: ${nines}s, timeout: 1000h, requests: [{path: /}]}`,
      'faults:',
      `  - {name: l, target: {provider: pay}, layer: network, kind: latency, latency: ${nines}ms}`,
      `  - {name: h, target: {provider: pay}, layer: http, kind: latency, latency: {distribution: lognormal, p50: 10ms, p99: ${nines}ms}, rate: ${nines}%}`,
      `  - {name: b, target: {provider: pay}, layer: network, kind: bandwidth, kbps: ${nines}}`,
      ...SLOS,
    ]);
    const found = brief(issues(parseScenario(text, 's.yaml', anyFile)));
    expect(found).toEqual([
      '5:14 load.rate a rate cannot exceed 100000/s',
      '5:428 load.duration a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
      '5:840 load.timeout a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
      '7:80 faults[0].latency a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
      '8:119 faults[1].latency.p99 a duration cannot exceed 596h (2³¹−1 ms, the longest timer Node can set)',
      '8:530 faults[1].rate a percentage cannot exceed 100%',
      '9:79 faults[2].kbps number too large to be read exactly (it reads as infinity)',
    ]);
    // Just inside the bounds is fine: 596h is below 2³¹−1 ms.
    const edge = scenario(['name: s', 'target: {url: "http://127.0.0.1:8080"}', 'providers: [{name: pay, fixture: payments}]', 'load: {rate: 100000/s, duration: 596h, timeout: 596h, requests: [{path: /}]}', ...SLOS]);
    expect(ok(parseScenario(edge, 's.yaml', anyFile)).load.timeoutMs).toBe(596 * 3_600_000);
  });

  it('rejects what validates but cannot run: a long name, CRLF in a header, a space in a path, a body on GET', () => {
    const text = scenario([
      `name: ${'a'.repeat(300)}`,
      'target: {url: "http://127.0.0.1:8080", ready: {http: "/health z"}, metrics: "http://[::1"}',
      'providers: [{name: pay, fixture: payments, listen: "127.0.0.1:99999"}]',
      'load:',
      '  rate: 10',
      '  duration: 5s',
      '  requests:',
      '    - path: /a b',
      '      headers: {x-evil: "a\\r\\nx-injected: 1", "bad name": x, content-length: "5", X-A: "1", x-a: "2", x-é: "é", x-uni: "☃"}',
      '    - {path: /q, body: {a: 1}}',
      '    - {path: "/p\\u00e9\\u2603", method: HEAD, body: x}',
      'faults: [{name: f, target: {provider: pay, route: "/x y", match: {headers: {"no good": 1}}}, layer: http, kind: error}]',
      ...SLOS,
    ]);
    expect(brief(issues(parseScenario(text, 's.yaml', anyFile)))).toEqual([
      '1:7 name must be at most 100 characters',
      '2:54 target.ready.http not a path an HTTP request can carry: spaces, control characters and characters beyond Latin-1 must be percent-encoded',
      '2:77 target.metrics not a valid URL',
      '3:52 providers[0].listen port 99999 is beyond 65535',
      '8:13 load.requests[0].path not a path an HTTP request can carry: spaces, control characters and characters beyond Latin-1 must be percent-encoded',
      '9:25 load.requests[0].headers["x-evil"] not a header value an HTTP request can carry: no CR, LF, NUL or other control characters, Latin-1 only',
      '9:59 load.requests[0].headers["bad name"] not a header name',
      '9:78 load.requests[0].headers["content-length"] header `content-length` cannot be set here: faultline sets content-length from the body it sends',
      '9:98 load.requests[0].headers["x-a"] the same header as `X-A` (header names ignore case)',
      '9:108 load.requests[0].headers["x-é"] not a header name',
      '9:120 load.requests[0].headers["x-uni"] not a header value an HTTP request can carry: no CR, LF, NUL or other control characters, Latin-1 only',
      '10:24 load.requests[1].body a GET request carries no body (servers ignore or refuse it); use POST, PUT or PATCH, or drop `body`',
      '11:14 load.requests[2].path not a path an HTTP request can carry: spaces, control characters and characters beyond Latin-1 must be percent-encoded',
      '11:52 load.requests[2].body a HEAD request carries no body (servers ignore or refuse it); use POST, PUT or PATCH, or drop `body`',
      '12:51 faults[0].target.route not a path an HTTP request can carry: spaces, control characters and characters beyond Latin-1 must be percent-encoded',
      '12:88 faults[0].target.match.headers["no good"] not a header name',
    ]);
  });

  it('rejects NUL bytes in the command, cwd and env of a command target, and env names with =', () => {
    const text = scenario([
      'name: s',
      'target: {command: "node\\0 server.js", cwd: "a\\0b", env: {"A=B": x, C: "\\0"}}',
      'providers: [{name: pay, fixture: payments}]',
      'load: {rate: 10, duration: 5s, requests: [{path: /}]}',
      ...SLOS,
    ]);
    const found = brief(issues(parseScenario(text, 's.yaml', { fileExists: () => true, dirExists: () => true })));
    expect(found).toEqual([
      '2:19 target.command contains a NUL character, which no command or path can hold',
      '2:44 target.cwd contains a NUL character, which no command or path can hold',
      '2:65 target.env["A=B"] not a usable environment variable name',
      '2:71 target.env.C contains a NUL character, which no environment variable can hold',
    ]);
  });
});
