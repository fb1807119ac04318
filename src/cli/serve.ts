import { formatIssues } from '../config/load.ts';
import { systemClock } from '../core/clock.ts';
import { seededRng } from '../core/rng.ts';
import { loadRouterConfig } from '../router/config.ts';
import { startRouter } from '../router/server.ts';
import { startToxiproxyServer } from '../toxiproxy/server.ts';

/** Keeps a server up until Ctrl-C or SIGTERM, then closes it so the port is freed. */
function serveUntilSignal(name: string, close: () => Promise<void>): void {
  const stop = async () => {
    process.stderr.write(`\n${name}: shutting down\n`);
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
    process.exit(2);
  }
}

export async function routerCommand(o: { config: string; port: number; host: string; upstream: string[]; seed: number }): Promise<void> {
  const upstreams: Record<string, string> = {};
  for (const u of o.upstream) {
    const eq = u.indexOf('=');
    if (eq <= 0) {
      console.error(`--upstream takes provider=url (e.g. weather-primary=http://127.0.0.1:9201), got ${JSON.stringify(u)}`);
      process.exit(2);
    }
    upstreams[u.slice(0, eq)] = u.slice(eq + 1);
  }
  const loaded = await loadRouterConfig(o.config);
  if (!loaded.ok) {
    console.error(formatIssues(loaded.issues));
    process.exit(2);
  }
  const config = loaded.value;
  const router = await listening('router', o.host, o.port, () =>
    startRouter({ config, host: o.host, port: o.port, upstreams, clock: systemClock, rng: seededRng(o.seed) }),
  );
  console.log(`faultline router (${o.config}) listening on ${router.url}  — metrics at ${router.url}/metrics`);
  serveUntilSignal('router', () => router.close());
}

export async function toxiproxyCommand(o: { host: string; port: number; seed: number }): Promise<void> {
  const server = await listening('toxiproxy', o.host, o.port, () =>
    startToxiproxyServer({ host: o.host, port: o.port, rng: seededRng(o.seed), clock: systemClock, logger: console }),
  );
  console.log(`faultline toxiproxy: Toxiproxy-compatible API on ${server.url}`);
  serveUntilSignal('toxiproxy', () => server.close());
}
