/**
 * A real Toxiproxy in a container, started with testcontainers (`--toxiproxy container`).
 * testcontainers is loaded only here and only when asked for, so a run without Docker never
 * pays for it. Where no Docker engine answers, `probeDocker` says so at once and nothing is
 * pulled or started.
 */
import { parseHostPort } from './address.ts';
import type { ToxiproxyServerHandle } from './servers.ts';

/** Toxiproxy's API port in the image, and the proxy ports @testcontainers/toxiproxy exposes (8666–8697). */
const CONTROL_PORT = 8474;
const FIRST_PROXY_PORT = 8666;
export const CONTAINER_PROXY_PORTS = 32;

/** The name through which a container reaches this host's ports once testcontainers exposes them. */
const HOST_FROM_CONTAINER = 'host.testcontainers.internal';

export type DockerProbe = { ok: true; runtime: string } | { ok: false; reason: string };

/**
 * Whether a Docker engine answers, found the way testcontainers finds one (DOCKER_HOST,
 * ~/.testcontainers.properties, the usual sockets). Fast when there is none: no socket, no wait.
 */
export async function probeDocker(timeoutMs = 10_000): Promise<DockerProbe> {
  let tc: typeof import('testcontainers');
  try {
    ({ tc } = await loadTestcontainers());
  } catch (e) {
    return { ok: false, reason: errorText(e) };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const client = await Promise.race([
      tc.getContainerRuntimeClient(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
    const info = client.info.containerRuntime;
    return { ok: true, runtime: `${info.serverVersion ? `Docker ${info.serverVersion}` : 'a container runtime'} at ${info.host}` };
  } catch (e) {
    return { ok: false, reason: `no Docker engine answers (${errorText(e)}); set DOCKER_HOST, or use --toxiproxy embedded` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts Toxiproxy `image` in a container whose proxies can reach `hostPorts` on this host's
 * loopback (through testcontainers' port forwarder, as `host.testcontainers.internal`).
 * Call `probeDocker` first for a clear message; this throws testcontainers' own errors.
 */
export async function startToxiproxyContainer(opts: { image: string; hostPorts: readonly number[] }): Promise<ToxiproxyServerHandle> {
  if (opts.hostPorts.length > CONTAINER_PROXY_PORTS) {
    throw new Error(`a Toxiproxy container exposes ${CONTAINER_PROXY_PORTS} proxy ports; this run needs ${opts.hostPorts.length}`);
  }
  const { tc: { TestContainers }, toxiproxy: { ToxiProxyContainer } } = await loadTestcontainers();
  // Must come before the container starts: only then does testcontainers add the host entry.
  if (opts.hostPorts.length > 0) await TestContainers.exposeHostPorts(...opts.hostPorts);
  const container = await new ToxiProxyContainer(opts.image).start();
  const host = container.getHost();
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostForUrl}:${container.getMappedPort(CONTROL_PORT)}`;
  let stopped: Promise<unknown> | undefined;
  return {
    kind: 'container',
    url,
    label: `container ${opts.image} at ${url}`,
    proxyAddresses: (index, port) => ({ listen: `0.0.0.0:${FIRST_PROXY_PORT + index}`, upstream: `${HOST_FROM_CONTAINER}:${port}` }),
    reachableAt(index, listen) {
      // The server reports where it listens inside the container; from here, the mapped port.
      const inside = parseHostPort(listen)?.port ?? FIRST_PROXY_PORT + index;
      return `${hostForUrl}:${container.getMappedPort(inside)}`;
    },
    close() {
      stopped ??= container.stop({ remove: true, timeout: 2_000 }).catch(() => undefined);
      return stopped.then(() => undefined);
    },
  };
}

/** The install line for the optional peers `--toxiproxy container` needs. */
export const TESTCONTAINERS_INSTALL = 'npm i -D testcontainers @testcontainers/toxiproxy';

/**
 * testcontainers and @testcontainers/toxiproxy are optional peer dependencies: only
 * `--toxiproxy container` needs them, so a user install stays small. Loaded on first use;
 * when either is missing, the error says how to install them.
 */
async function loadTestcontainers(): Promise<{ tc: typeof import('testcontainers'); toxiproxy: typeof import('@testcontainers/toxiproxy') }> {
  const load = async <T>(name: string, importIt: () => Promise<T>): Promise<T> => {
    try {
      return await importIt();
    } catch (e) {
      const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || (e as { code?: string }).code === 'MODULE_NOT_FOUND';
      throw new Error(
        missing
          ? `${name} is not installed (an optional peer dependency, needed only for a Toxiproxy container); install it with: ${TESTCONTAINERS_INSTALL}`
          : `could not load ${name} (${errorText(e)}); reinstall it with: ${TESTCONTAINERS_INSTALL}`,
      );
    }
  };
  const tc = await load('testcontainers', () => import('testcontainers'));
  const toxiproxy = await load('@testcontainers/toxiproxy', () => import('@testcontainers/toxiproxy'));
  return { tc, toxiproxy };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
