import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completedRun } from './testing.ts';
import { parseReporters, reporters, UnknownReporterError, writeReports } from './reporter.ts';

describe('writeReports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes result.json, report.html and junit.xml by default, into a directory it creates', async () => {
    const out = join(dir, 'payments-eu-outage', 'r1');
    const paths = await writeReports(completedRun(), out);
    expect(paths).toEqual(['result.json', 'report.html', 'junit.xml'].map((f) => join(out, f)));
    expect((await readdir(out)).sort()).toEqual(['junit.xml', 'report.html', 'result.json']);
  });

  it('round-trips the RunResult through result.json', async () => {
    const run = completedRun();
    const [path] = await writeReports(run, dir, ['json']);
    const text = await readFile(path!, 'utf8');
    expect(JSON.parse(text)).toEqual(run);
    expect(text).toMatch(/^\{\n {2}"formatVersion": 3,/);
  });

  it('rejects an unknown reporter before writing anything', async () => {
    await expect(writeReports(completedRun(), dir, ['json', 'pdf'])).rejects.toThrow(UnknownReporterError);
    await expect(writeReports(completedRun(), dir, ['toString'])).rejects.toThrow('unknown reporter "toString": use one of summary, json, html, junit, markdown');
    expect(await readdir(dir)).toEqual([]);
  });

  it('has the built-in reporters under their names', () => {
    expect(Object.entries(reporters).map(([key, r]) => [key, r.name])).toEqual([
      ['json', 'json'],
      ['html', 'html'],
      ['junit', 'junit'],
      ['markdown', 'markdown'],
    ]);
  });

  it('writes a report at the path chosen, and markdown after the others with links to them', async () => {
    const junit = join(dir, 'ci', 'junit.xml');
    const paths = await writeReports(completedRun(), join(dir, 'run'), [{ name: 'markdown' }, { name: 'junit', path: junit }, { name: 'json' }, { name: 'summary' }, { name: 'html', path: '-' }]);
    // In the order asked for; the screen and stdout are the caller's.
    expect(paths).toEqual([join(dir, 'run', 'markdown.md'), junit, join(dir, 'run', 'result.json')]);
    const md = await readFile(paths[0]!, 'utf8');
    expect(md).toContain('[junit.xml](../ci/junit.xml)');
    expect(md).toContain('[result.json](result.json)');
    expect((await readdir(join(dir, 'run'))).sort()).toEqual(['markdown.md', 'result.json']);
  });
});

describe('parseReporters', () => {
  it('takes names and name=path, comma-separated', () => {
    expect(parseReporters('summary, json=-,junit=out/j.xml')).toEqual([{ name: 'summary' }, { name: 'json', path: '-' }, { name: 'junit', path: 'out/j.xml' }]);
  });

  it('refuses an unknown name, an empty path and a path for the screen', () => {
    expect(() => parseReporters('json,pdf')).toThrow(UnknownReporterError);
    expect(() => parseReporters('junit=')).toThrow('give a path after =');
    expect(() => parseReporters('summary=x')).toThrow('takes no path');
  });
});
