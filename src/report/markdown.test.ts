import { describe, expect, it } from 'vitest';
import { abortedRun, completedRun } from './testing.ts';
import { mdText, renderMarkdown, renderSuiteMarkdown } from './markdown.ts';

describe('renderMarkdown', () => {
  it('has the verdict, the SLO table, the faults, the load line and the links, times in seconds', () => {
    const md = renderMarkdown(completedRun(), { links: [{ label: 'HTML report', href: 'report.html' }] });
    expect(md.split('\n')[0]).toBe('## ❌ FAIL: payments-eu-outage');
    expect(md).toContain('**5/6 SLOs held** · 20 s · live');
    expect(md).toContain('| | SLO | measured | threshold | window | samples |');
    expect(md).toMatch(/\| ❌ \| p99 latency during outage \| 612\.4ms \(over by 212\.4ms\) \| &#60; 400ms \| during stripe-eu-down \(5\.012–15\.009 s\) \|/);
    expect(md).toMatch(/\| stripe-eu-down \| http error \(stripe@eu 503\) \| 5\.012 s \| 15\.009 s \| {2}\|/);
    expect(md).toMatch(/\*\*Load:\*\* open .* requests · availability/);
    expect(md).toContain('**Reports:** [HTML report](report.html)');
    expect(md).not.toMatch(/\d{4,}ms|\d\.\d{4,}/);
  });

  it('says ABORTED for an aborted run and does not count its SLOs as held', () => {
    const md = renderMarkdown(abortedRun());
    expect(md.split('\n')[0]).toBe('## ⚠️ ABORTED: payments-eu-outage');
    expect(md).toContain('SLOs not judged');
    expect(md).toContain('**Aborted:** interrupted by SIGINT (Ctrl-C) at 12.4 s');
  });

  it('keeps hostile text inert: no tag, link, cell break or emphasis', () => {
    const run = completedRun();
    run.scenario.name = '<img src=x onerror=alert(1)> | [x](javascript:y) **b**';
    run.slos[0]!.name = 'a|b\nc';
    const md = renderMarkdown(run);
    expect(md).not.toContain('<img');
    expect(md).not.toContain('](javascript');
    expect(md).not.toContain('**b**');
    expect(mdText('a|b\nc')).toBe('a&#124;b c');
    // Each SLO row still has its six cells.
    const row = md.split('\n').find((l) => l.includes('a&#124;b c'))!;
    expect(row.split(' | ')).toHaveLength(6);
  });

  it('a suite: one row per scenario, the tally, an environment error', () => {
    const twin = { ...completedRun(), expected: 'fail' as const };
    const md = renderSuiteMarkdown(
      [
        { scenario: 'a', result: twin, report: 'reports/a/1/report.html' },
        { scenario: 'b', result: abortedRun() },
        { scenario: 'c', error: 'port taken' },
      ],
      { wallMs: 61_250 },
    );
    expect(md.split('\n')[0]).toBe('## ❌ faultline suite: 1 of 3 scenarios met their expectation in 61.25 s');
    expect(md).toContain('| ✅ | a | fail | EXPECTED FAIL | 5/6 | 20 s | `reports/a/1/report.html` |');
    expect(md).toContain('| ⚠️ | b | pass | ABORTED |');
    expect(md).toContain('| ❌ | c | | environment did not start: port taken |');
  });
});
