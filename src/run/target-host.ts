/**
 * The keeper: a small worker process that runs the user's service (`target.command`) with
 * `sh -c` in a process group of its own, stdout and stderr to files, and kills that whole
 * group — SIGTERM, then SIGKILL after a grace — when asked, when the run ends, and when the
 * harness goes away by any means (its IPC channel closes, even on SIGKILL): the service
 * never outlives the run.
 *
 * Ops: `start` → `{ pid }`; `status` → `TargetStatus`; `stop` (serveWorker's) kills the group and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { serveWorker } from './worker.ts';

export interface TargetHostStart {
  command: string;
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  /** How long the group has after SIGTERM before SIGKILL. */
  graceMs: number;
}

export interface TargetStatus {
  pid: number;
  /** Whether the shell (the group's leader) has exited. */
  exited: boolean;
  code: number | null;
  signal: string | null;
}

let child: ChildProcess | undefined;
let status: TargetStatus | undefined;
let graceMs = 5000;
let exited: Promise<void> = Promise.resolve();

/** Whether any live process of group `pgid` is left: zombies (dead, waiting to be reaped by whoever adopted them) do not count. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!existsSync('/proc/self/stat')) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the parenthesised command: state, ppid, pgrp, ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      // ended while we looked
    }
  }
  return false;
}

async function killGroup(): Promise<void> {
  const pid = child?.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return; // the group is gone already
  }
  const deadline = Date.now() + graceMs;
  // Bounded: at most graceMs / 50 polls, then SIGKILL.
  while (Date.now() < deadline && groupAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone in between
    }
  }
  // Let the shell's exit be seen (reaped), at most a second.
  await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
}

serveWorker(
  {
    async start(args: TargetHostStart): Promise<{ pid: number }> {
      if (child) throw new Error('the target is already started');
      graceMs = args.graceMs;
      const out = openSync(args.stdoutFile, 'a');
      const err = openSync(args.stderrFile, 'a');
      try {
        child = spawn('sh', ['-c', args.command], { cwd: args.cwd, env: args.env, stdio: ['ignore', out, err], detached: true });
      } finally {
        closeSync(out);
        closeSync(err);
      }
      await new Promise<void>((resolve, reject) => {
        child!.once('spawn', resolve);
        child!.once('error', reject);
      });
      status = { pid: child.pid!, exited: false, code: null, signal: null };
      exited = new Promise<void>((resolve) =>
        child!.once('exit', (code, signal) => {
          status = { ...status!, exited: true, code, signal };
          resolve();
        }),
      );
      return { pid: child.pid! };
    },
    status(): TargetStatus | undefined {
      return status;
    },
  },
  killGroup,
);
