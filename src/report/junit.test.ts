import { describe, expect, it } from 'vitest';
import { abortedRun, completedRun } from './testing.ts';
import { escapeXmlAttr, escapeXmlText, renderJunit } from './junit.ts';
import type { RunResult } from '../model/result.ts';

/** The testcase elements, each with its attributes and body, for structural checks. */
function testcases(xml: string): { attrs: string; body: string }[] {
  return [...xml.matchAll(/<testcase([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({ attrs: m[1]!, body: m[2] ?? '' }));
}

function nasty(): RunResult {
  const run = completedRun();
  run.scenario.name = `pay <&"> 'eu'`;
  run.slos[1]!.name = 'p99 <400ms & "fast"';
  run.slos[1]!.message = 'p99 612ms > 400ms\nsecond line \u0001 with a control char & <tag>';
  return run;
}

describe('junit.xml', () => {
  it('has one testsuite named after the scenario and one testcase per SLO', () => {
    const run = completedRun();
    const xml = renderJunit(run);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml).toContain('<testsuite name="payments-eu-outage" tests="6" failures="1" errors="0" skipped="0" time="20"');
    const cases = testcases(xml);
    expect(cases.map((c) => / name="([^"]*)"/.exec(c.attrs)![1])).toEqual(run.slos.map((s) => s.name));
    for (const c of cases) {
      expect(c.attrs).toContain('classname="payments-eu-outage"');
      expect(c.attrs).toContain('time="0"');
    }
  });

  it('gives a missed SLO a failure with its message, expression and measured value', () => {
    const failed = testcases(renderJunit(completedRun())).filter((c) => c.body.includes('<failure'));
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attrs).toContain('name="p99 latency during outage"');
    expect(failed[0]!.body).toContain('message="p99(latency) 612.4ms ≥ 400ms (over by 212.4ms)"');
    expect(failed[0]!.body).toContain('expected: p99(latency) &lt; 400ms, measured: 612.4ms');
  });

  it('adds an error testcase for an aborted run and skips its SLOs (judged over part of the run, not held)', () => {
    const xml = renderJunit(abortedRun());
    expect(xml).toContain('tests="7" failures="0" errors="1" skipped="6"');
    expect(xml).toContain('<skipped message="not judged: the run was aborted at 12.4 s" type="aborted">');
    const run = testcases(xml).find((c) => c.attrs.includes('name="run"'))!;
    expect(run.body).toMatch(/<error message="run aborted: interrupted by SIGINT \(Ctrl-C\) at 12.4 s" type="aborted">/);
  });

  it('keeps a broken twin that fails as expected green, and fails one that passes', () => {
    const twin = completedRun();
    twin.expected = 'fail';
    const green = renderJunit(twin);
    expect(green).toContain('failures="0"');
    expect(green).toContain('<system-out>failed as expected (broken twin)');

    twin.verdict = 'pass';
    twin.slos = twin.slos.map((s) => ({ ...s, passed: true }));
    const red = renderJunit(twin);
    expect(red).toContain('tests="7" failures="1"');
    expect(testcases(red).at(-1)!.attrs).toContain('name="verdict"');
  });

  it('escapes names and messages, and drops characters XML cannot carry', () => {
    const xml = renderJunit(nasty());
    expect(xml).toContain('<testsuite name="pay &lt;&amp;&quot;&gt; &apos;eu&apos;"');
    expect(xml).toContain('classname="pay &lt;&amp;&quot;&gt; &apos;eu&apos;" name="p99 &lt;400ms &amp; &quot;fast&quot;"');
    expect(xml).toContain('message="p99 612ms &gt; 400ms&#10;second line \uFFFD with a control char &amp; &lt;tag&gt;"');
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
    // No raw markup characters outside tags: every < starts a tag we wrote, every & an entity.
    expect(xml.replace(/<\/?[a-z?][^<>]*>/g, '')).not.toMatch(/[<>]/);
    expect(xml).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+);)/);
  });

  it('escapes text and attributes', () => {
    expect(escapeXmlText(`a<b>&"c"`)).toBe('a&lt;b&gt;&amp;"c"');
    expect(escapeXmlAttr(`a<b>&"c'\t\r\n`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;&#9;&#13;&#10;');
    expect(escapeXmlText('pair 😀 lone \uD800 end')).toBe('pair 😀 lone \uFFFD end');
  });
});
