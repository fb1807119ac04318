import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brookerTable } from '../sim/herd/brooker.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const herd = (...args: string[]) => spawnSync(process.execPath, [main, 'herd', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

describe('faultline herd brooker', () => {
  it('--json prints the rows {strategy, clients, calls, time, …} of the table the API computes', () => {
    const r = herd('brooker', '--clients', '10,5', '--reps', '4', '--seed', '3', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows).toEqual(brookerTable({ clients: [5, 10], reps: 4, seed: 3 }).rows);
    for (const row of rows) expect(Object.keys(row)).toEqual(expect.arrayContaining(['strategy', 'clients', 'calls', 'time']));
  });

  it('prints the table with the reference beside it and the findings under it', () => {
    const r = herd('brooker', '--clients', '25,100', '--reps', '30');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+100\s+full-jitter\s+\d+ ± [\d.]+\s+\d+ ± [\d.]+\s+796\s+-?\d+\.\d %/m);
    expect(r.stdout).toContain('aws-samples/aws-arch-backoff-simulator@66cb169');
    expect(r.stdout).toMatch(/✓ full jitter roughly halves/);
  });

  it('an option out of range exits 2 with the reason', () => {
    for (const args of [['--clients', '0'], ['--clients', '5,,6'], ['--reps', '0'], ['--seed', '1.5'], ['--numbering', 'odd']]) {
      const r = herd('brooker', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error: option/);
    }
  });
});
