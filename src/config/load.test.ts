import { describe, expect, it } from 'vitest';
import Type from 'typebox';
import { loadYamlFile, parseYaml } from './load.ts';
import { formatIssues, issueAt, type ConfigIssue } from './issues.ts';
import { closest } from '../core/suggest.ts';

// A small schema with the shapes the real configs use: a pattern with a friendly
// `expected`, a required field, a discriminated union, a keyed union and a scalar union.
const Duration = Type.String({ pattern: '^\\d+(ms|s)$', expected: 'a duration like 250ms or 30s' });
const Schema = Type.Object(
  {
    name: Type.String(),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    timeout: Type.Optional(Duration),
    rate: Type.Optional(Type.Union([Type.Number(), Type.String({ pattern: '^\\d+/s$', expected: 'a rate like 50/s' })])),
    target: Type.Optional(
      Type.Union([
        Type.Object({ router: Type.String() }, { additionalProperties: false }),
        Type.Object({ url: Type.String() }, { additionalProperties: false }),
      ]),
    ),
    faults: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Object({ layer: Type.Literal('http'), kind: Type.Literal('error'), status: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
          Type.Object({ layer: Type.Literal('http'), kind: Type.Literal('latency'), latency: Duration }, { additionalProperties: false }),
          Type.Object({ layer: Type.Literal('network'), kind: Type.Literal('latency'), latency: Duration }, { additionalProperties: false }),
          Type.Object({ layer: Type.Literal('network'), kind: Type.Literal('bandwidth'), kbps: Type.Number() }, { additionalProperties: false }),
        ]),
      ),
    ),
  },
  { additionalProperties: false },
);

/** Issues reduced to what a person reads: `line:col path message`. */
function brief(issues: ConfigIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
}

function issuesOf(text: string): ConfigIssue[] {
  const r = parseYaml(text, 'c.yaml', Schema);
  if (r.ok) throw new Error('expected issues, got a valid document');
  return r.issues;
}

describe('parseYaml', () => {
  it('returns the value and a locate that maps paths to positions', () => {
    const text = ['name: a', 'faults:', '  - layer: http', '    kind: error', '    status: 502', ''].join('\n');
    const r = parseYaml<{ name: string }>(text, 'c.yaml', Schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({ name: 'a', faults: [{ layer: 'http', kind: 'error', status: 502 }] });
    expect(r.locate(['faults', 0, 'status'])).toEqual({ line: 5, column: 13 });
    expect(r.locate(['faults', 0])).toEqual({ line: 3, column: 5 });
    // Missing paths fall back to the nearest ancestor that exists.
    expect(r.locate(['faults', 0, 'nope', 'deeper'])).toEqual({ line: 3, column: 5 });
    expect(r.locate(['faults', 7])).toEqual({ line: 3, column: 3 });
  });

  it('reports every YAML syntax error with its position and skips the schema', () => {
    // An unclosed flow sequence and an item without its dash: both are reported; the
    // missing `name` is not, since validating a mis-parsed document only adds noise.
    const text = ['retries: [1, 2', 'faults:', '  - layer: http', '   kind: error', ''].join('\n');
    expect(brief(issuesOf(text))).toEqual([
      '2:1  Flow sequence in block collection must be sufficiently indented and end with a ]',
      '4:1  Sequence item without - indicator',
    ]);
  });

  it('gives a nested duplicate key its path', () => {
    const text = ['name: a', 'faults:', '  - {layer: http, kind: error}', '  - layer: http', '    kind: error', '    kind: error', ''].join('\n');
    expect(brief(issuesOf(text))).toEqual(['6:5 faults[1].kind duplicate key `kind` (each key may appear once in a mapping)']);
  });

  it('reports an unclosed quote at its position', () => {
    const issues = issuesOf('name: "abc\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 2, column: 1, path: '' });
    expect(issues[0]!.message).toMatch(/quote/);
  });

  it('reports duplicate keys, and still validates the rest', () => {
    const text = ['name: a', 'retries: 1', 'retries: 2', 'timeout: soon', ''].join('\n');
    expect(brief(issuesOf(text))).toEqual([
      '3:1 retries duplicate key `retries` (each key may appear once in a mapping)',
      '4:10 timeout invalid value',
    ]);
  });

  it('names an unknown field at its key and suggests the closest known one', () => {
    const issues = issuesOf('name: a\nretrys: 3\nbogus: 1\n');
    expect(brief(issues)).toEqual(['2:1 retrys unknown field `retrys` (did you mean `retries`?)', '3:1 bogus unknown field `bogus`']);
  });

  it('points a missing required field at its object and names it', () => {
    const [issue, ...rest] = issuesOf('# just a comment\nretries: 1\n');
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ line: 2, column: 1, path: 'name', message: 'missing required field `name`', expected: 'a string' });
  });

  it('says what was expected and what was found for types and patterns', () => {
    const issues = issuesOf('name: a\nretries: many\ntimeout: fast\n');
    expect(issues).toEqual([
      { file: 'c.yaml', line: 2, column: 10, path: 'retries', message: 'wrong type', expected: 'a whole number', found: '"many"' },
      { file: 'c.yaml', line: 3, column: 10, path: 'timeout', message: 'invalid value', expected: 'a duration like 250ms or 30s', found: '"fast"' },
    ]);
    // A number shows as written in the source, with its type.
    expect(issuesOf('name: 0x1F\n')[0]).toMatchObject({ expected: 'a string', found: '0x1F (a number)' });
    expect(issuesOf('name: a\nretries: -1\n')[0]).toMatchObject({ message: 'out of range', expected: 'a number ≥ 0', found: '-1 (a number)' });
  });

  it('points an empty value at its key', () => {
    expect(issuesOf('name:\n')[0]).toMatchObject({ line: 1, column: 1, path: 'name', message: 'wrong type', found: 'nothing' });
  });

  it('treats an empty document as a document missing its fields', () => {
    expect(issuesOf('')[0]).toMatchObject({ line: 1, column: 1, path: '', expected: 'a mapping', found: 'nothing' });
  });

  describe('unions collapse to one message per mistake', () => {
    it('follows the discriminators to the branch the author meant', () => {
      const text = [
        'name: a',
        'faults:',
        '  - {layer: network, kind: latency, latency: slow}', // bad value in the chosen branch
        '  - {layer: network, kind: latency, latency: 1s, kbps: 5}', // a field of a sibling kind
        '  - {layer: http, kind: bandwidth, kbps: 5}', // kind of the wrong layer
        '  - {layer: htp, kind: error}', // typo in the first discriminator
        '  - {kind: error}', // discriminator missing
        '',
      ].join('\n');
      expect(brief(issuesOf(text))).toEqual([
        '3:46 faults[0].latency invalid value',
        '4:50 faults[1].kbps field `kbps` does not apply here (layer: network, kind: latency); it goes with kind: bandwidth',
        '5:25 faults[2].kind unknown kind `bandwidth` for layer http',
        '6:13 faults[3].layer unknown layer `htp` (did you mean `http`?)',
        '7:5 faults[4].layer missing required field `layer`',
      ]);
      expect(issuesOf(text)[2]).toMatchObject({ expected: 'one of: error, latency', found: '"bandwidth"' });
    });

    it('picks a keyed branch by the keys written, or says which forms exist', () => {
      expect(brief(issuesOf('name: a\ntarget: {router: 5}\n'))).toEqual(['2:18 target.router wrong type']);
      const both = issuesOf('name: a\ntarget: {router: r.yaml, url: http://x}\n');
      expect(both).toHaveLength(1);
      expect(both[0]).toMatchObject({
        line: 2,
        column: 9,
        path: 'target',
        expected: 'one of: a mapping with `router`, a mapping with `url`',
        found: 'a mapping',
      });
    });

    it('picks a scalar branch by type, or summarises', () => {
      expect(issuesOf('name: a\nrate: fast\n')).toEqual([
        { file: 'c.yaml', line: 2, column: 7, path: 'rate', message: 'invalid value', expected: 'a rate like 50/s', found: '"fast"' },
      ]);
      expect(issuesOf('name: a\nrate: [1]\n')).toEqual([
        {
          file: 'c.yaml',
          line: 2,
          column: 7,
          path: 'rate',
          message: 'matches none of the accepted forms',
          expected: 'one of: a number, a rate like 50/s',
          found: 'a list',
        },
      ]);
    });
  });
});

describe('loadYamlFile', () => {
  it('turns a file it cannot read into one issue at 1:1', async () => {
    const r = await loadYamlFile('/nonexistent/faultline/x.yaml', Schema);
    expect(r).toEqual({ ok: false, issues: [{ file: '/nonexistent/faultline/x.yaml', line: 1, column: 1, path: '', message: 'file not found' }] });
  });
});

describe('helpers', () => {
  it('issueAt positions a semantic issue through locate', () => {
    const r = parseYaml('name: a\nfaults:\n  - {layer: http, kind: error}\n', 'c.yaml', Schema);
    if (!r.ok) throw new Error('valid document expected');
    expect(issueAt(r.locate, 'c.yaml', ['faults', 0, 'kind'], 'no', { expected: 'x' })).toEqual({
      file: 'c.yaml',
      line: 3,
      column: 25,
      path: 'faults[0].kind',
      message: 'no',
      expected: 'x',
    });
  });

  it('suggests only plausible typos', () => {
    expect(closest('retrys', ['retries', 'timeout'])).toBe('retries');
    expect(closest('Timeout', ['retries', 'timeout'])).toBe('timeout');
    expect(closest('foo', ['seed', 'name'])).toBeUndefined();
  });
});

describe('hostile YAML', () => {
  const items = (n: number, x: string) => `[${Array(n).fill(x).join(',')}]`;

  it('an alias bomb is one positioned issue, not a stack trace', () => {
    // The 101-byte bomb of the issue: 10 × 10 × 10 expansions.
    const bomb = `a: &a ${items(10, '1')}\nb: &b ${items(10, '*a')}\nc: ${items(10, '*b')}\n`;
    expect(bomb.length).toBe(101);
    expect(brief(issuesOf(bomb))).toEqual(['2:8  aliases expand too far (an alias bomb?): at most 100 alias expansions are read']);
  });

  it('an alias without its anchor, and one inside its own anchor, are positioned issues', () => {
    expect(brief(issuesOf('name: *x\n'))).toEqual(['1:7  alias `*x` refers to no anchor: `&x` must be set before it']);
    expect(brief(issuesOf('name: a\nfaults: &f [*f]\n'))).toEqual(['2:13  alias `*f` is inside its own anchor `&f`: the value would contain itself']);
    // Anchors used as people use them still work.
    const r = parseYaml<{ name: string; timeout: string }>('name: &n a\ntimeout: 5s\nfaults: []\n', 'c.yaml', Schema);
    expect(r.ok).toBe(true);
  });

  it('nesting 3,000 deep, block or flow, is an issue', () => {
    for (const text of [`${'- '.repeat(3000)}1\n`, `${'['.repeat(3000)}${']'.repeat(3000)}\n`, `${'  '.repeat(0)}${Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1\n`]) {
      const found = issuesOf(text);
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((i) => /nested too deeply/.test(i.message) && i.line >= 1 && i.column >= 1)).toBe(true);
    }
  });

  it('numbers beyond a double are issues where they are written, not Infinity', () => {
    expect(brief(issuesOf(`name: a\nretries: ${'9'.repeat(400)}\n`))).toEqual(['2:10 retries number too large to be read exactly (it reads as infinity)']);
    expect(brief(issuesOf('name: a\nrate: .inf\n'))).toEqual(['2:7 rate number too large to be read exactly (it reads as infinity)']);
    expect(brief(issuesOf('name: a\nrate: .nan\n'))).toEqual(['2:7 rate not a number']);
  });

  it('a second document says what faultline expects', () => {
    expect(brief(issuesOf('name: a\n---\nname: b\n'))).toEqual([
      '2:1  a second YAML document (after `---`): a faultline file holds exactly one; remove the `---` line, or put each document in a file of its own',
    ]);
  });
});

describe('formatIssues quotes file content safely', () => {
  it('escapes control characters: one issue is one line, and no escape sequence reaches the terminal', () => {
    const out = formatIssues(issuesOf('name: a\n"evil\\e[2J\\r\\nkey\\u202e": 1\n'));
    expect(out.split('\n')).toHaveLength(1);
    expect(out).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f\u202e]/);
    expect(out).toContain('\\x1b[2J\\r\\nkey\\u202e');
  });

  it('shortens what it quotes: an unknown 1 MB key is a short line', () => {
    const key = 'k'.repeat(1_000_000);
    const started = Date.now();
    // An explicit key (`? key`): an implicit one is limited to 1024 characters by YAML itself.
    const out = formatIssues(issuesOf(`name: a\n? ${key}\n: 1\n`));
    expect(out.length).toBeLessThan(500);
    expect(out).toContain('(1000000 chars)');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
