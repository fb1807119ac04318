import { formatIssues } from '../config/issues.ts';
import { exit } from './exit.ts';
import { systemClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { loadRouterConfig, startRouter } from '../router/index.ts';
import { startToxiproxyServer } from '../toxiproxy/server.ts';
import type { ToxiproxyLogger } from '../toxiproxy/index.ts';

/** How often a long-running command looks for its parent: one getppid(2) each time. */
export const PARENT_CHECK_MS = 500;

/**
 * Keeps a server up until Ctrl-C, SIGTERM or SIGHUP, or until the process that started it
 * goes away, then closes it so its ports are freed.
 *
 * The parent: a CI script that runs `npx faultline router … &` and later `kill $PID` kills
 * npx, not the server (npx runs it through `sh -c`, and neither passes the signal on), so
 * the server would keep its ports for good. When its parent exits, a process is re-parented
 * (to init or a subreaper) and `process.ppid` changes: that is looked for every
 * PARENT_CHECK_MS on an unref'd timer. A server started by PID 1 itself (a container's
 * command) has no parent to lose and is not watched. Stdin is deliberately not watched:
 * scripts start servers in the background with stdin closed or at /dev/null, where it ends
 * at once.
 */
function serveUntilSignal(name: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (why?: string) => {
    if (stopping) return;
    stopping = true;
    // With the parent gone its pipes may be too: a write to one must not turn the stop into a crash.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    process.stderr.write(`\n${name}: ${why ? `${why}; ` : ''}shutting down\n`);
    // A close that hangs (a connection that will not drain) must not keep the ports either.
    setTimeout(() => process.exit(1), 10_000).unref();
    await close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.once('SIGHUP', () => void stop());
  const parent = process.ppid;
  if (parent > 1) {
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      void stop(`the process that started it (${parent}) exited`);
    }, PARENT_CHECK_MS);
    watch.unref();
  }
}

/** A listen failure in words, with what to do about it, instead of a stack trace. */
async function listening<T>(what: string, host: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') console.error(`${what}: ${host}:${port} is already in use; choose another with --port (0 picks a free one)`);
    else if (code === 'EACCES') console.error(`${what}: not allowed to listen on ${host}:${port}; try a port above 1023`);
    else console.error(`${what}: could not start: ${err instanceof Error ? err.message : String(err)}`);
    return exit(2);
  }
}

export async function routerCommand(o: { config: string; port: number; host: string; upstream: string[]; seed: number }): Promise<void> {
  const upstreams: Record<string, string> = {};
  for (const u of o.upstream) {
    const eq = u.indexOf('=');
    if (eq <= 0) {
      console.error(`--upstream takes provider=url (e.g. weather-primary=http://127.0.0.1:9201), got ${JSON.stringify(u)}`);
      return exit(2);
    }
    upstreams[u.slice(0, eq)] = u.slice(eq + 1);
  }
  const loaded = await loadRouterConfig(o.config);
  if (!loaded.ok) {
    console.error(formatIssues(loaded.issues));
    return exit(2);
  }
  const config = loaded.value;
  const router = await listening('router', o.host, o.port, () =>
    startRouter({ config, host: o.host, port: o.port, upstreams, clock: systemClock, rng: seededRng(o.seed) }),
  );
  console.log(`faultline router (${o.config}) listening on ${router.url}  — metrics at ${router.url}/metrics`);
  serveUntilSignal('router', () => router.close());
}

export async function toxiproxyCommand(o: { host: string; port: number; seed: number }): Promise<void> {
  // The server's own events (proxies started, upstreams refused) go to the console; its
  // start-up line does not, since the command prints the one below (it printed both).
  let started = false;
  const logger: ToxiproxyLogger = {
    info: (message, fields) => (started ? console.info(message, ...(fields ? [fields] : [])) : undefined),
    warn: (message, fields) => console.warn(message, ...(fields ? [fields] : [])),
    error: (message, fields) => console.error(message, ...(fields ? [fields] : [])),
  };
  const server = await listening('toxiproxy', o.host, o.port, () =>
    startToxiproxyServer({ host: o.host, port: o.port, rng: seededRng(o.seed), clock: systemClock, logger }),
  );
  started = true;
  console.log(`faultline toxiproxy: Toxiproxy-compatible API on ${server.url}`);
  serveUntilSignal('toxiproxy', () => server.close());
}
