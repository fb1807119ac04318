import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completedRun } from './testing.ts';
import { reporters, UnknownReporterError, writeReports } from './reporter.ts';

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
    expect(text).toMatch(/^\{\n {2}"formatVersion": 2,/);
  });

  it('rejects an unknown reporter before writing anything', async () => {
    await expect(writeReports(completedRun(), dir, ['json', 'pdf'])).rejects.toThrow(UnknownReporterError);
    await expect(writeReports(completedRun(), dir, ['toString'])).rejects.toThrow('unknown reporter "toString": use one of json, html, junit');
    expect(await readdir(dir)).toEqual([]);
  });

  it('has the built-in reporters under their names', () => {
    expect(Object.entries(reporters).map(([key, r]) => [key, r.name])).toEqual([
      ['json', 'json'],
      ['html', 'html'],
      ['junit', 'junit'],
    ]);
  });
});
