import { describe, expect, it } from 'vitest';
import { dedupe, formatIssues, formatPath, printable, sortIssues, type ConfigIssue } from './issues.ts';

describe('formatIssues', () => {
  it('prints one line per issue, ordered by file and position', () => {
    const text = formatIssues([
      { file: 'b.yaml', line: 1, column: 1, path: '', message: 'file not found' },
      { file: 'a.yaml', line: 9, column: 3, path: 'load.rate', message: 'invalid value', expected: 'a rate like 50/s', found: '"x"' },
      { file: 'a.yaml', line: 2, column: 5, path: 'name', message: 'missing required field `name`' },
    ]);
    expect(text.split('\n')).toEqual([
      'a.yaml:2:5  name  missing required field `name`',
      'a.yaml:9:3  load.rate  invalid value (expected a rate like 50/s, found "x")',
      'b.yaml:1:1  (root)  file not found',
    ]);
  });
});

describe('issue helpers', () => {
  it('formats paths the way people write them', () => {
    expect(formatPath(['faults', 0, 'target', 'provider'])).toBe('faults[0].target.provider');
    expect(formatPath(['headers', 'x-client'])).toBe('headers["x-client"]');
    expect(formatPath([])).toBe('');
  });

  it('orders issues as a person fixes them, and drops one reported twice at one place', () => {
    const at = (file: string, line: number, column: number, path = '', message = 'm'): ConfigIssue => ({ file, line, column, path, message });
    expect(sortIssues([at('b', 1, 1), at('a', 2, 1), at('a', 1, 9), at('a', 1, 9, 'x'), at('a', 1, 2)])).toEqual([at('a', 1, 2), at('a', 1, 9), at('a', 1, 9, 'x'), at('a', 2, 1), at('b', 1, 1)]);
    expect(dedupe([at('a', 1, 1), at('a', 1, 1), at('a', 1, 1, '', 'other')])).toEqual([at('a', 1, 1), at('a', 1, 1, '', 'other')]);
  });

  it('printable escapes control characters and cuts long words', () => {
    expect(printable('a\u001b[2J\nb')).toBe('a\\x1b[2J\\nb');
    expect(printable('x'.repeat(100))).toBe(`${'x'.repeat(60)}…(100 chars)…${'x'.repeat(8)}`);
  });
});
