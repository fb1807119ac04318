import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunDir, makeRunId } from './run.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('run ids', () => {
  it('read as the UTC start time to the millisecond, with a short suffix', () => {
    expect(makeRunId(Date.UTC(2026, 10, 22, 7, 25, 29, 413), '3fa9')).toBe('20261122T072529.413Z-3fa9');
    expect(makeRunId(0)).toMatch(/^19700101T000000\.000Z-[0-9a-f]{4}$/);
  });

  it('sort by start time', () => {
    const inOrder = [1, 5, 999, 1_000, 59_999, 86_400_000].map((t) => makeRunId(t));
    expect([...inOrder].reverse().sort()).toEqual(inOrder);
  });

  it('differ for runs started in the same millisecond', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 50 }, () => makeRunId(now)));
    // 50 draws of 16 bits: a repeat is unlikely (p ≈ 2 %), and the folder is made exclusively anyway.
    expect(ids.size).toBeGreaterThanOrEqual(49);
  });

  it('get a folder of their own even when two runs draw the same id at once', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'faultline-runid-'));
    dirs.push(parent);
    const now = Date.UTC(2026, 0, 1);
    let n = 0;
    const fresh = () => makeRunId(now, `f${n++}`.padStart(4, '0'));
    // Same instant, same id: one gets it, the other a fresh one; neither writes into the other's folder.
    const made = await Promise.all([0, 1, 2].map(() => createRunDir(join(parent, 'gateway'), makeRunId(now, 'aaaa'), fresh)));
    expect(new Set(made.map((m) => m.dir)).size).toBe(3);
    expect(made.map((m) => m.runId).filter((id) => id.endsWith('-aaaa'))).toHaveLength(1);
    expect((await readdir(join(parent, 'gateway'))).sort()).toEqual(made.map((m) => m.runId).sort());
  });

  it('refuse a taken folder when the id was given by the caller', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'faultline-runid-'));
    dirs.push(parent);
    await createRunDir(parent, 'ci-42');
    await expect(createRunDir(parent, 'ci-42')).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
