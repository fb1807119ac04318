/**
 * The user's service as the target of a run: started by `target.command` under the keeper
 * worker (target-host.ts), wired to the providers' proxies through its environment, and
 * waited for until ready; or, with `target.url`, only waited for. A target that is not ready
 * in time — or whose command exits first — is an EnvironmentError, with the reason, the exit
 * code and the last lines of its stderr: the run did not start, exit code 2.
 */
import net from 'node:net';
import { request } from 'undici';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { CommandTarget, ReadySpec, UrlTarget } from '../model/scenario.ts';
import { expandTemplates, providerEnv, templateVars, type EndpointAddress } from '../scenario/templates.ts';
import { READY_TIMEOUT_MS } from '../scenario/targets.ts';
import { parseHostPort } from '../toxiproxy/address.ts';
import { siblingModule, startWorker, type Worker } from './worker.ts';
import type { TargetHostStart, TargetStatus } from './target-host.ts';
// A cycle (environment.ts starts targets), harmless: the class is used only once a run is under way.
import { EnvironmentError } from './errors.ts';

const POLL_MS = 100;
const STDERR_TAIL_LINES = 20;

export interface StartedTarget {
  /** Base URL the load goes to. */
  url: string;
  /** The service's log files (stdout, stderr). */
  logs: string[];
  /** The shell's pid, which is also the service's process group id. */
  pid: number;
  /** The keeper's view of the process (has it exited, with what). */
  status(): Promise<TargetStatus | undefined>;
  /** Stops the service's whole process group (SIGTERM, SIGKILL after the grace) and the keeper. */
  close(): Promise<void>;
}

/** A free loopback port, for a service whose `url` the scenario leaves to faultline. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface CommandTargetOptions {
  /** Where the proxies in front of the providers listen. */
  endpoints: readonly EndpointAddress[];
  /** Folder for the service's stdout and stderr files. */
  logDir: string;
  signal?: AbortSignal;
}

/** The environment the service starts with: the harness's, PORT, every provider's address, then the scenario's `env` (templated). */
export function targetEnv(t: CommandTarget, url: string, endpoints: readonly EndpointAddress[], base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const vars = templateVars(endpoints, url);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.PORT = vars['target.port']!;
  env.FAULTLINE_TARGET_URL = vars['target.url']!;
  Object.assign(env, providerEnv(endpoints));
  for (const [k, v] of Object.entries(t.env)) env[k] = expandTemplates(v, vars);
  return env;
}

/** Starts `t` under a keeper and waits until it is ready; on any failure it is stopped again and an EnvironmentError says why. */
export async function startCommandTarget(t: CommandTarget, opts: CommandTargetOptions): Promise<StartedTarget> {
  const url = t.url ?? `http://127.0.0.1:${await freePort()}`;
  const vars = templateVars(opts.endpoints, url);
  const command = expandTemplates(t.command, vars);
  const stdoutFile = join(opts.logDir, 'target.stdout.log');
  const stderrFile = join(opts.logDir, 'target.stderr.log');
  const keeper: Worker = await startWorker(siblingModule('./target-host.ts', import.meta.url), 'target');
  // If the harness exits without closing (Ctrl-C twice: process.exit), worker.ts SIGKILLs the
  // keeper before it can act; so the harness kills the service's group itself, synchronously.
  let group: number | undefined;
  const onExit = () => {
    if (group === undefined) return;
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.once('exit', onExit);
  const close = async () => {
    await keeper.stop(t.stopTimeoutMs + 3000);
    process.off('exit', onExit);
  };
  const status = () => keeper.call<TargetStatus | undefined>('status').catch(() => undefined);
  try {
    let pid: number;
    try {
      ({ pid } = await keeper.call<{ pid: number }>('start', {
        command,
        cwd: t.cwd,
        env: targetEnv(t, url, opts.endpoints),
        stdoutFile,
        stderrFile,
        graceMs: t.stopTimeoutMs,
      } satisfies TargetHostStart));
      group = pid;
    } catch (err) {
      throw new EnvironmentError(`target command \`${command}\` could not start in ${t.cwd}: ${err instanceof Error ? err.message.replace(/^target: /, '') : String(err)}`);
    }
    await waitReady(url, t.ready, READY_TIMEOUT_MS.command, {
      signal: opts.signal,
      what: `target command \`${command}\``,
      // The command gave up before it was ready: its exit code and stderr say why.
      exited: async () => {
        const s = await status();
        return s?.exited ? `exited with ${s.signal ? `signal ${s.signal}` : `code ${s.code}`}` : undefined;
      },
      details: async () =>
        [
          t.url === undefined && !(t.ready?.kind === 'tcp' && t.ready.address) ? `  (faultline passed PORT=${new URL(url).port}; if the service listens elsewhere, say where with target.url)` : '',
          await stderrTail(stderrFile),
        ]
          .filter(Boolean)
          .join('\n'),
    });
    return { url, logs: [stdoutFile, stderrFile], pid, status, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A service already running: it must answer (see `ready`) within the timeout, or the run does not start. */
export async function checkUrlTarget(t: UrlTarget, signal?: AbortSignal): Promise<void> {
  await waitReady(t.url, t.ready, READY_TIMEOUT_MS.url, { signal, what: `target ${t.url}` });
}

interface WaitOptions {
  signal?: AbortSignal;
  /** How the error names the target. */
  what: string;
  /** Why the target can no longer become ready (its process exited), if so. */
  exited?: () => Promise<string | undefined>;
  /** Lines to append to the error (the command's stderr). */
  details?: () => Promise<string>;
}

/** Polls the readiness probe every 100 ms until it passes, the deadline passes or the process exits; bounded by the timeout. */
export async function waitReady(targetUrl: string, ready: ReadySpec | undefined, defaultTimeoutMs: number, opts: WaitOptions): Promise<void> {
  const spec: ReadySpec = ready ?? { kind: 'tcp' };
  const timeoutMs = spec.timeoutMs ?? defaultTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  const probe = probeFor(targetUrl, spec);
  let last = 'not probed yet';
  const fail = async (why: string) => {
    const details = opts.details ? await opts.details() : '';
    return new EnvironmentError(`${opts.what} ${why}${details ? `\n${details}` : ''}`);
  };
  for (;;) {
    if (opts.signal?.aborted) throw await fail(`was not ready when the run was interrupted (${probe.describe}: ${last})`);
    const gone = await opts.exited?.();
    if (gone) throw await fail(`${gone} before it was ready (${probe.describe}: ${last})`);
    const remaining = deadline - Date.now();
    const result = await probe.run(Math.max(50, Math.min(2000, remaining)));
    if (result === true) return;
    last = result;
    if (Date.now() + POLL_MS > deadline) {
      // One last look: a command that exited is the better reason.
      const goneNow = await opts.exited?.();
      if (goneNow) throw await fail(`${goneNow} before it was ready (${probe.describe}: ${last})`);
      throw await fail(`was not ready within ${timeoutMs / 1000}s (${probe.describe}: ${last})`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

interface Probe {
  describe: string;
  /** true, or why not. */
  run(timeoutMs: number): Promise<true | string>;
}

function probeFor(targetUrl: string, spec: ReadySpec): Probe {
  if (spec.kind === 'http') {
    const url = new URL(spec.path, targetUrl).href;
    return {
      describe: `GET ${url}`,
      async run(timeoutMs) {
        try {
          // undici's request, not fetch: fetch refuses "bad ports" (6000, 6665…) a service may well use.
          const res = await request(url, { signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, reset: true });
          await res.body.dump().catch(() => {});
          return res.statusCode >= 200 && res.statusCode < 400 ? true : `answered ${res.statusCode}`;
        } catch (err) {
          return describeError(err);
        }
      },
    };
  }
  const u = new URL(targetUrl);
  const hp = spec.address !== undefined ? parseHostPort(spec.address) : { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  const address = spec.address ?? u.host;
  return {
    describe: `TCP connect to ${address}`,
    run: (timeoutMs) =>
      new Promise((resolve) => {
        if (!hp) return resolve(`not a host:port: ${address}`);
        const s = net.connect({ host: hp.host || '127.0.0.1', port: hp.port });
        const timer = setTimeout(() => done(`no answer in ${timeoutMs}ms`), timeoutMs);
        const done = (r: true | string) => {
          clearTimeout(timer);
          s.destroy();
          resolve(r);
        };
        s.once('connect', () => done(true));
        s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
      }),
  };
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  return (err as NodeJS.ErrnoException).code ?? cause?.code ?? cause?.message ?? err.message;
}

/** The last lines of the service's stderr, indented, for an error message; empty if there are none. */
export async function stderrTail(file: string, lines = STDERR_TAIL_LINES): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return '';
  }
  const tail = text.trimEnd().split('\n').slice(-lines);
  if (tail.length === 0 || (tail.length === 1 && tail[0] === '')) return `  (its stderr, ${file}, is empty)`;
  return `  last lines of its stderr (${file}):\n${tail.map((l) => `    ${l.slice(0, 300)}`).join('\n')}`;
}
