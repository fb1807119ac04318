import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Parts of a run (fixture providers with the embedded Toxiproxy, the reference router) live
 * in their own processes so that one event loop's load does not distort another's timings.
 * They are driven by a tiny request/response protocol over Node's IPC channel.
 */
type Request = { id: number; op: string; args?: unknown };
type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface Worker {
  readonly name: string;
  readonly pid: number;
  call<T>(op: string, args?: unknown): Promise<T>;
  /** Asks the worker to stop cleanly, then kills it if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last line of defence: whatever way the harness exits, no worker outlives it. (Workers
// also exit by themselves when the IPC channel closes, which covers SIGKILL of the harness.)
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The URL of `sibling` (e.g. `./provider-host.ts`) next to the module at `from` (its
 * `import.meta.url`), with the extension `from` itself has: `.ts` when faultline runs from
 * src/ through Node's type stripping, `.js` when it runs from the built dist/ (an installed
 * package, where Node does not strip types under node_modules).
 *
 * @example startWorker(siblingModule('./provider-host.ts', import.meta.url), 'providers')
 */
export function siblingModule(sibling: string, from: string | URL): URL {
  const ext = /\.[cm]?[jt]s$/.exec(new URL(from).pathname)?.[0] ?? '.js';
  return new URL(sibling.replace(/\.[cm]?[jt]s$/, '') + ext, from);
}

/** Starts `module` (a .ts file run by Node's type stripping, or its built .js) as a worker process. */
export async function startWorker(module: URL, name: string): Promise<Worker> {
  const child = fork(fileURLToPath(module), [], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  live.add(child);
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      exited = new Error(`${name} worker exited (${signal ?? `code ${code}`})`);
      for (const p of pending.values()) p.reject(exited);
      pending.clear();
      resolve();
    });
  });
  child.on('message', (msg: Reply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`${name}: ${msg.error}`));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });

  const worker: Worker = {
    name,
    pid: child.pid!,
    call<T>(op: string, args?: unknown): Promise<T> {
      if (exited) return Promise.reject(exited);
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, args } satisfies Request);
      });
    },
    async stop(graceMs = 3000) {
      if (exited) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await worker.call('stop').catch(() => {});
        await exitedPromise;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return worker;
}

/**
 * The worker's side: answers each op with its handler's result. `stop` runs `onStop` and
 * exits; so does a closed IPC channel (the harness died), so nothing is left behind.
 */
export function serveWorker(ops: Record<string, (args: any) => unknown>, onStop: () => Promise<void>): void {
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await onStop().catch(() => {});
    process.exit(code);
  };
  process.on('message', async (msg: Request) => {
    if (msg.op === 'stop') {
      process.send?.({ id: msg.id, ok: true, result: null } satisfies Reply);
      await stop(0);
      return;
    }
    const handler = ops[msg.op];
    try {
      if (!handler) throw new Error(`unknown op ${msg.op}`);
      const result = await handler(msg.args);
      process.send?.({ id: msg.id, ok: true, result } satisfies Reply);
    } catch (err) {
      process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies Reply);
    }
  });
  process.on('disconnect', () => void stop(0));
  // Ctrl-C reaches the whole process group; the harness decides the order of shutdown.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void stop(0));
}
