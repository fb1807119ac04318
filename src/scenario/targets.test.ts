import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../config/issues.ts';
import { parseScenario, type ScenarioLoaded } from './load.ts';
import type { Scenario } from '../model/scenario.ts';

const brief = (issues: ConfigIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
const files = new Set<string>();
const ctx = { fileExists: (p: string) => files.has(p), dirExists: (p: string) => p !== '/nope' };

function ok(r: ScenarioLoaded): Scenario {
  if (!r.ok) throw new Error(`expected a valid scenario, got:\n${brief(r.issues).join('\n')}`);
  return r.scenario;
}
function issues(r: ScenarioLoaded): string[] {
  if (r.ok) throw new Error('expected issues, got a valid scenario');
  return brief(r.issues);
}

const tail = ['load: {rate: 10, duration: 5s, requests: [{path: /}]}', 'slos: [{name: a, expr: availability >= 99%}]'];
const parse = (lines: string[]) => parseScenario([...lines, ...tail].join('\n') + '\n', '/work/chaos/s.yaml', ctx);

describe('target.command', () => {
  it('normalises command, cwd, env, ready and metrics, with defaults', () => {
    const s = ok(
      parse([
        'name: s',
        'target:',
        '  command: npm start',
        '  cwd: ../svc',
        '  env: {PAYMENTS_URL: "{{providers.payments.url}}", EU: "{{ providers.stripe.eu.url }}", P: "{{target.port}}"}',
        '  ready: {http: /healthz, timeout: 20s}',
        '  metrics: /metrics',
        'providers:',
        '  - {name: payments, url: "http://127.0.0.1:12111"}',
        '  - {name: stripe, fixture: payments, regions: [eu, us]}',
      ]),
    );
    expect(s.target).toEqual({
      kind: 'command',
      command: 'npm start',
      cwd: '/work/svc',
      env: { PAYMENTS_URL: '{{providers.payments.url}}', EU: '{{ providers.stripe.eu.url }}', P: '{{target.port}}' },
      ready: { kind: 'http', path: '/healthz', timeoutMs: 20_000 },
      metrics: '/metrics',
      stopTimeoutMs: 5000,
    });
    const bare = ok(parse(['name: s', 'target: {command: node server.js, url: "http://127.0.0.1:3000", metrics: /m, ready: {tcp: 3001}}', 'providers: [{name: p, fixture: joke}]']));
    expect(bare.target).toEqual({
      kind: 'command',
      command: 'node server.js',
      cwd: '/work/chaos',
      url: 'http://127.0.0.1:3000',
      env: {},
      ready: { kind: 'tcp', address: '127.0.0.1:3001' },
      metrics: 'http://127.0.0.1:3000/m',
      stopTimeoutMs: 5000,
    });
  });

  it('gives a url target ready and metrics too', () => {
    const s = ok(parse(['name: s', 'target: {url: "http://127.0.0.1:8080", ready: {http: /up}, metrics: /metrics}', 'providers: [{name: p, fixture: joke}]']));
    expect(s.target).toEqual({ kind: 'url', url: 'http://127.0.0.1:8080', ready: { kind: 'http', path: '/up' }, metricsUrl: 'http://127.0.0.1:8080/metrics' });
  });

  it('rejects unknown template names, each at its place, with a hint', () => {
    expect(
      issues(
        parse([
          'name: s',
          'target:',
          '  command: node server.js --port {{target.prot}}',
          '  cwd: /nope',
          '  env:',
          '    A: "{{providers.paymnts.url}}"',
          '    B: "{{providers.stripe.url}}"',
          '    C: "{{providers.stripe.asia.url}}"',
          '  ready: {http: /healthz, tcp: 3000}',
          'providers:',
          '  - {name: payments, url: "http://127.0.0.1:12111"}',
          '  - {name: stripe, fixture: payments, regions: [eu, us]}',
        ]),
      ),
    ).toEqual([
      '3:12 target.command unknown template {{target.prot}} (did you mean {{target.port}}?); known: target.url, providers.payments.url, providers.stripe.eu.url, providers.stripe.us.url (and .host, .port)',
      '4:8 target.cwd folder not found: /nope',
      '6:8 target.env.A {{providers.paymnts.url}}: unknown provider `paymnts` (did you mean `payments`?)',
      '7:8 target.env.B {{providers.stripe.url}}: provider `stripe` has regions (eu, us); name one, like {{providers.stripe.eu.url}}',
      expect.stringMatching(/^8:8 target.env.C unknown template \{\{providers.stripe.asia.url\}\}/),
      '9:10 target.ready give one of `http` and `tcp`, not both',
    ]);
  });
});

describe('providers: fixture, url or handlers', () => {
  it('normalises each kind, with the handler module made absolute and listen addresses per region', () => {
    files.add('/work/chaos/mocks/quotes.ts');
    const s = ok(
      parse([
        'name: s',
        'target: {url: "http://127.0.0.1:8080"}',
        'providers:',
        '  - {name: stripe, url: "http://127.0.0.1:12111", listen: 127.0.0.1:26400}',
        '  - {name: quotes, handlers: ./mocks/quotes.ts, listen: 26401}',
        '  - {name: pay, fixture: payments, regions: [eu, us], listen: {eu: "127.0.0.1:26402"}}',
      ]),
    );
    expect(s.providers).toEqual([
      { name: 'stripe', kind: 'url', url: 'http://127.0.0.1:12111', listen: { '': '127.0.0.1:26400' }, regions: [] },
      { name: 'quotes', kind: 'handlers', handlers: path.resolve('/work/chaos/mocks/quotes.ts'), listen: { '': '127.0.0.1:26401' }, regions: [] },
      { name: 'pay', kind: 'fixture', fixture: 'payments', listen: { eu: '127.0.0.1:26402' }, regions: ['eu', 'us'] },
    ]);
  });

  it('rejects unknown fixtures (with did-you-mean), missing handler files, no or two sources, and listen that does not fit', () => {
    expect(
      issues(
        parse([
          'name: s',
          'target: {url: "http://127.0.0.1:8080"}',
          'providers:',
          '  - {name: a, fixture: wether}',
          '  - {name: b, handlers: ./missing.ts}',
          '  - {name: c}',
          '  - {name: d, fixture: joke, url: "http://127.0.0.1:1"}',
          '  - {name: e, fixture: joke, regions: [eu], listen: 127.0.0.1:26400}',
          '  - {name: f, fixture: joke, listen: {eu: 26401}}',
          '  - {name: g, fixture: joke, regions: [eu], listen: {eu: 26402, us: 26403}}',
          '  - {name: h, fixture: joke, listen: 26402}',
          '  - {name: i, fixture: joke, listen: "127.0.0.1:0"}',
        ]),
      ),
    ).toEqual([
      '4:24 providers[0].fixture unknown fixture `wether` (did you mean `weather`?)',
      '5:25 providers[1].handlers handler module not found: /work/chaos/missing.ts',
      '6:5 providers[2] a provider needs one of `fixture` (a bundled fixture), `url` (a real upstream) or `handlers` (your MSW handler module)',
      '7:35 providers[3].url give one of `fixture`, `url` and `handlers`, not `fixture` and `url`',
      '8:53 providers[4].listen provider has regions (eu): give one address per region',
      '9:38 providers[5].listen a mapping of region → address needs `regions`; give one address, like 127.0.0.1:26400',
      '10:69 providers[6].listen.us provider has no region `us`',
      '11:38 providers[7].listen listen address 127.0.0.1:26402 is already used by providers[6]',
      '12:38 providers[8].listen a fixed listen address needs a port other than 0 (leave `listen` out for a free port)',
    ]);
  });
});
