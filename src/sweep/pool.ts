/**
 * A small pool of worker threads: `size` workers, each given `workerData` once, tasks queued
 * and handed to whichever worker is free, one at a time (a simulation is CPU-bound: two on
 * one thread would only interleave). `close()` terminates every worker; so does the
 * process's exit. A worker that dies fails its task and is replaced, so one crash does not
 * stall the queue.
 *
 * Why not piscina or tinypool: this needs ~90 lines, one message shape and terminate-on-abort;
 * a dependency would add more surface (and a package to install into the shared tree) than it saves.
 */
import { Worker } from 'node:worker_threads';

export interface Pool<T, R> {
  run(task: T): Promise<R>;
  /** Terminates every worker; queued and running tasks reject. */
  close(): Promise<void>;
  readonly size: number;
}

const everyWorker = new Set<Worker>();
// Threads end with the process anyway; this makes a `process.exit` mid-sweep end them first.
process.once('exit', () => {
  for (const w of everyWorker) void w.terminate();
});

export function createPool<T, R>(module: URL, size: number, workerData: unknown): Pool<T, R> {
  if (!(size >= 1)) throw new RangeError(`a pool needs at least one worker, got ${size}`);
  type Job = { id: number; task: T; resolve: (r: R) => void; reject: (e: Error) => void };
  const queue: Job[] = [];
  const busy = new Map<Worker, Job>();
  const idle: Worker[] = [];
  let nextId = 0;
  let closed = false;
  const mine = new Set<Worker>();

  const spawn = (): void => {
    // V8's default young generation, not a larger one: measured as each thread's own CPU time
    // per retry-storm run (/proc/thread-self/stat, so a neighbour's load does not count), two
    // workers at once took 140–145 ms each with a 64 MB young generation against 111–121 ms
    // with the default or 16 MB — two large nurseries thrash the cache the cores share — and
    // one worker alone the same either way (153 against 156 ms). The 64 MB had been chosen from
    // wall times on a loaded box. It was most of the gap between the pool's 1.5× and the
    // machine's 1.82×.
    const w = new Worker(module, { workerData });
    everyWorker.add(w);
    mine.add(w);
    w.on('message', (msg: { id: number; reply: R }) => {
      const job = busy.get(w);
      if (!job || job.id !== msg.id) return;
      busy.delete(w);
      job.resolve(msg.reply);
      idle.push(w);
      pump();
    });
    const gone = (err: Error) => {
      everyWorker.delete(w);
      mine.delete(w);
      const job = busy.get(w);
      busy.delete(w);
      const i = idle.indexOf(w);
      if (i >= 0) idle.splice(i, 1);
      job?.reject(err);
      if (!closed) {
        spawn();
        pump();
      }
    };
    w.on('error', (err) => gone(err));
    w.on('exit', (code) => {
      if (mine.has(w)) gone(new Error(`a sweep worker exited (code ${code})`));
    });
    idle.push(w);
  };

  const pump = (): void => {
    while (!closed && idle.length && queue.length) {
      const w = idle.shift()!;
      const job = queue.shift()!;
      busy.set(w, job);
      w.postMessage({ id: job.id, task: job.task });
    }
  };

  for (let i = 0; i < size; i++) spawn();
  return {
    size,
    run(task: T): Promise<R> {
      if (closed) return Promise.reject(new Error('the pool is closed'));
      return new Promise<R>((resolve, reject) => {
        queue.push({ id: nextId++, task, resolve, reject });
        pump();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopped = new Error('the sweep was stopped');
      for (const j of queue.splice(0)) j.reject(stopped);
      for (const j of busy.values()) j.reject(stopped);
      busy.clear();
      const all = [...mine];
      mine.clear();
      idle.length = 0;
      await Promise.all(
        all.map(async (w) => {
          everyWorker.delete(w);
          await w.terminate();
        }),
      );
    },
  };
}
