/**
 * Long-running commands (`faultline router`, `faultline toxiproxy`) stop when the process
 * that started them goes away: a CI script's `kill $PID` of `npx` (or of a `sh -c`) must not
 * leave the server holding its port. And `faultline toxiproxy` announces itself once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf } from './support/processes.ts';
import { canConnect } from '../src/toxiproxy/testing.ts';

const root = new URL('..', import.meta.url).pathname;
const main = new URL('../src/cli/main.ts', import.meta.url).pathname;
const joke = new URL('../fixtures/routers/joke.yaml', import.meta.url).pathname;
const started: number[] = [];

afterEach(() => {
  // Whatever a failed test left: every process it started, by PID.
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}


/** Starts `proc`, collects its output, and resolves with the port of the first URL it prints. */
function urlOf(proc: ChildProcess, within = 20_000): Promise<{ port: number; output: () => string }> {
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within ${within} ms:\n${out}`)), within);
    const look = () => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', look);
      resolve({ port: Number(m[1]), output: () => out });
    };
    proc.stdout!.on('data', look);
    proc.once('exit', () => reject(new Error(`exited before printing a URL:\n${out}`)));
  });
}

/** Kills `parent` as a script would (SIGTERM to its PID only) and checks the server under it stops and frees its port. */
async function killParentAndCheck(parent: ChildProcess, port: number): Promise<void> {
  const servers = descendantsOf(parent.pid!);
  expect(servers.length).toBeGreaterThan(0);
  started.push(...servers);
  expect(await canConnect(port)).toBe(true);
  parent.kill('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (servers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(servers.filter(alive)).toEqual([]);
  expect(await canConnect(port)).toBe(false);
}

describe('long-running commands stop with their parent', () => {
  it('faultline router under `sh -c`, the shell killed by PID', async () => {
    // `; true` keeps sh from exec-ing the command: it stays the parent, as npx's shell does.
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${main}" router -c "${joke}" --port 0; true`], { cwd: root });
    started.push(sh.pid!);
    const { port } = await urlOf(sh);
    await killParentAndCheck(sh, port);
  }, 30_000);

  it('faultline toxiproxy under `sh -c`, the shell killed by PID', async () => {
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${main}" toxiproxy --port 0; true`], { cwd: root });
    started.push(sh.pid!);
    const { port, output } = await urlOf(sh);
    await killParentAndCheck(sh, port);
    expect(output()).toContain('shutting down');
  }, 30_000);

  it('npx faultline router, npx killed by PID (`kill $PID` in a CI script)', async () => {
    const npx = spawn('npx', ['--no-install', 'faultline', 'router', '-c', joke, '--port', '0'], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    started.push(npx.pid!);
    const { port } = await urlOf(npx, 25_000);
    await killParentAndCheck(npx, port);
  }, 45_000);
});

describe('faultline toxiproxy', () => {
  it('prints its start-up line once', async () => {
    const proc = spawn(process.execPath, [main, 'toxiproxy', '--port', '0'], { env: { ...process.env, NO_COLOR: '1' } });
    started.push(proc.pid!);
    const { port, output } = await urlOf(proc);
    await new Promise((r) => setTimeout(r, 300));
    const mentions = output()
      .split('\n')
      .filter((line) => line.includes(`:${port}`));
    expect(mentions).toEqual([expect.stringContaining('faultline toxiproxy: Toxiproxy-compatible API on http://127.0.0.1:')]);
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 30_000);
});
