import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../model/result.ts';
import { collectRuns, writeIndex } from './index-page.ts';
import { abortedRun, completedRun } from './testing.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'faultline-index-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(dir: string, result: RunResult, report = true): Promise<void> {
  await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, dir, 'result.json'), JSON.stringify(result));
  if (report) await writeFile(join(root, dir, 'report.html'), '<!doctype html>');
}

function run(name: string, startedAt: string, patch: Partial<RunResult> = {}): RunResult {
  const r = completedRun();
  return { ...r, ...patch, runId: `${startedAt}-id`, startedAt, scenario: { ...r.scenario, name } };
}

describe('writeIndex', () => {
  it('lists every run newest first with its outcome and mode, links its report, and points latest.html at the newest per scenario', async () => {
    await put('pay/old', run('pay', '2026-01-01T10:00:00.000Z', { verdict: 'pass' }));
    await put('pay/new', run('pay', '2026-01-02T10:00:00.000Z'));
    await put('twin/a', run('twin', '2026-01-01T12:00:00.000Z', { expected: 'fail' }));
    await put('pay/cut', { ...abortedRun(), runId: 'cut', startedAt: '2026-01-01T11:00:00.000Z', mode: 'sim' });
    await put('pay/json-only', run('pay', '2025-12-31T00:00:00.000Z'), false);
    // Not results: skipped without failing the page.
    await mkdir(join(root, 'junk'), { recursive: true });
    await writeFile(join(root, 'junk', 'result.json'), '{ not json');
    await writeFile(join(root, 'suite-1.json'), '{}');

    const index = await writeIndex(root, () => new Date('2026-01-03T00:00:00Z'));
    expect(index).toBe(join(root, 'index.html'));
    const html = await readFile(index, 'utf8');
    const rows = [...html.matchAll(/<tr class="run [^"]*" data-run="([^"]+)" data-kind="([^"]+)">/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([
      ['2026-01-02T10:00:00.000Z-id', 'fail'],
      ['2026-01-01T12:00:00.000Z-id', 'expected-fail'],
      ['cut', 'aborted'],
      ['2026-01-01T10:00:00.000Z-id', 'pass'],
      ['2025-12-31T00:00:00.000Z-id', 'fail'],
    ]);
    expect(html).toContain('<a class="report" href="pay/new/report.html">report</a>');
    expect(html).toContain('<span class="mode sim">sim</span>');
    expect(html).toContain('interrupted by SIGINT (Ctrl-C) at 12.4 s');
    expect(html).not.toContain('pay/json-only/report.html');
    expect(html).toContain('<a class="latest" href="pay/latest.html">latest</a>');
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);

    const latest = await readFile(join(root, 'pay', 'latest.html'), 'utf8');
    expect(latest).toContain('<meta http-equiv="refresh" content="0; url=new/report.html">');
    expect(await readFile(join(root, 'twin', 'latest.html'), 'utf8')).toContain('url=a/report.html');
  });

  it('keeps hostile scenario names and reasons as text, and links folders with odd characters by their encoded path', async () => {
    const evil = '<script>alert(1)</script>';
    await put('we#ird %x/r1', { ...run(evil, '2026-01-01T00:00:00.000Z'), status: 'aborted', abortReason: '<img src=x onerror=alert(2)>' });
    const html = await readFile(await writeIndex(root), 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="we%23ird%20%25x/r1/report.html"');
    const latest = await readFile(join(root, 'we#ird %x', 'latest.html'), 'utf8');
    expect(latest).not.toContain('<script>');
    expect(latest).toContain('url=r1/report.html');
  });

  it('reads a result again when it changed, and drops one that is gone, though it keeps what it read', async () => {
    await put('pay/a', run('pay', '2026-01-01T10:00:00.000Z', { verdict: 'pass' }));
    await put('pay/b', run('pay', '2026-01-02T10:00:00.000Z', { verdict: 'pass' }));
    await writeIndex(root);
    expect(JSON.parse(await readFile(join(root, '.faultline-index.json'), 'utf8'))).toHaveProperty(['pay/a/result.json', 'row', 'kind'], 'pass');
    await put('pay/a', { ...run('pay', '2026-01-01T10:00:00.000Z'), abortReason: 'a longer file, so its size changed', status: 'aborted' });
    await rm(join(root, 'pay', 'b'), { recursive: true });
    const html = await readFile(await writeIndex(root), 'utf8');
    expect([...html.matchAll(/data-kind="([^"]+)"/g)].map((m) => m[1])).toEqual(['aborted']);
    expect(Object.keys(JSON.parse(await readFile(join(root, '.faultline-index.json'), 'utf8')))).toEqual(['pay/a/result.json']);
  });

  it('follows no symlinks (a loop cannot trap it) and says so when there is nothing yet', async () => {
    await mkdir(join(root, 'a'));
    await symlink(root, join(root, 'a', 'loop'));
    expect(await collectRuns(root)).toEqual([]);
    expect(await readFile(await writeIndex(root), 'utf8')).toContain('No result.json found under this folder yet.');
  });
});
