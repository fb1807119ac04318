import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mapCommand } from './herd-metastable.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function capture(stream: NodeJS.WriteStream): string[] {
  const out: string[] = [];
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  return out;
}

describe('faultline herd map', () => {
  it('prints one JSON row per cell and writes the HTML map under reports/<scenario>/', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'faultline-map-'));
    dirs.push(reports);
    const out = capture(process.stdout);
    capture(process.stderr);
    const code = await mapCommand('scenarios/incidents/metastable.broken.yaml', { variant: ['fixtures/routers/metastable.yaml'], loads: [70], triggers: [2000], json: true, reports });
    expect(code).toBe(0);
    const rows = JSON.parse(out.join('')) as { variant: string; state: string }[];
    expect(rows.map((r) => `${r.variant}: ${r.state}`)).toEqual(['as written: stuck', 'fixtures/routers/metastable.yaml: recovered']);
    const [file] = readdirSync(join(reports, 'metastable-broken'));
    expect(file).toMatch(/^map-.*\.html$/);
    expect(readFileSync(join(reports, 'metastable-broken', file!), 'utf8')).toContain('class="stuck"');
  }, 30_000);

  it('refuses a variant config that does not load, and a grid that does not fit the run, with exit 2', async () => {
    const err = capture(process.stderr);
    capture(process.stdout);
    expect(await mapCommand('scenarios/incidents/metastable.broken.yaml', { variant: ['nope.yaml'], reports: 'reports' })).toBe(2);
    expect(await mapCommand('scenarios/incidents/metastable.broken.yaml', { variant: [], loads: [20], triggers: [40_000], reports: 'reports' })).toBe(2);
    expect(err.join('')).toMatch(/nope\.yaml.*file not found[\s\S]*40000 ms end after the run/);
  });
});
