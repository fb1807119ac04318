import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The checkout's root (test/support/../..). */
export const root = new URL('../..', import.meta.url).pathname;

/** Runs `faultline <args>` from src/ as a user would (no colour), and resolves with its exit code and output. */
export function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/main.ts'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
