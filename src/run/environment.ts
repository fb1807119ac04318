import type { Proxy } from 'toxiproxy-node-client';
import { Toxiproxy } from 'toxiproxy-node-client';
import { probeDocker, startToxiproxyContainer } from '../toxiproxy/container.ts';
import {
  checkReachable,
  loopbackHandle,
  parseToxiproxyChoice,
  placeProxies,
  type ProxyPlacement,
  type ToxiproxyServerHandle,
} from '../toxiproxy/servers.ts';
import type { UpstreamRecord } from '../model/run.ts';
import type { HttpStageFault } from '../model/faults/index.ts';
import { httpFaultBackend, layeredBackend, toxiproxyFaultBackend, type PlannedFault } from '../faults/backends.ts';
import type { FaultBackend } from '../faults/timeline.ts';
import { siblingModule, startWorker, type Worker } from './worker.ts';
import type { EndpointSpec, ProviderHostStarted } from './provider-host.ts';
import type { ReceivedRequest } from '../providers/server.ts';
import type { ScenarioTarget } from '../model/scenario.ts';
import type { ProviderEndpoint } from '../model/result.ts';
import { providerEnvName } from '../scenario/templates.ts';
import { checkUrlTarget, startCommandTarget, type StartedTarget } from './target.ts';
import { EnvironmentError } from './errors.ts';

export { EnvironmentError };

/** Where the system under test is and how to reach what surrounds it; torn down by `close`. */
export interface Environment {
  /** Base URL the load goes to. */
  targetUrl: string;
  /** The router's /metrics, when the target is the reference router. */
  metricsUrl?: string;
  toxiproxyUrl: string;
  /** `embedded`, the outside server's URL, or `container <image> at <url>`. */
  toxiproxy: string;
  /** Toxiproxy proxy per endpoint key (`provider` or `provider@region`). */
  proxies: Map<string, Proxy>;
  setHttpFaults(key: string, faults: HttpStageFault[]): Promise<number>;
  /** Switches planned faults on and off in this environment: the backend the fault timeline drives. */
  faults: FaultBackend<PlannedFault>;
  /** Every request the providers received, stamped relative to `t0` (epoch ms). */
  collectUpstream(t0: number): Promise<UpstreamRecord[]>;
  /** Where each provider endpoint is reachable (its proxy), in the scenario's order. */
  providers: Omit<ProviderEndpoint, 'requests'>[];
  /** Log files of a `command` target (its stdout and stderr). */
  logs: string[];
  /** How a `command` target's process ended, if it has (e.g. it crashed during the run); undefined while it runs or for other targets. */
  targetExit(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface EnvironmentSpec {
  seed: number;
  endpoints: EndpointSpec[];
  /**
   * The reference router's config file; a service the user runs at a URL (its upstream calls
   * must go through the proxies: fixed `listen` addresses); or a command faultline starts,
   * told the proxies' addresses through its environment.
   */
  target: ScenarioTarget;
  /** Where a `command` target's stdout and stderr files go (the run's report folder). Required for a `command` target. */
  logDir?: string;
  /** Aborting stops waiting for the target to become ready. */
  signal?: AbortSignal;
  /**
   * Whether a `url` target must answer (its `ready`, by default a TCP connect) before this
   * resolves; runScenario sets it, so a service that is not up is an EnvironmentError, not an
   * SLO breach. Default false: a caller that drives the proxies itself needs no target.
   */
  probeUrlTarget?: boolean;
  /**
   * Which Toxiproxy: `embedded` (also when absent), `container` (testcontainers; needs a
   * Docker engine) or an outside Toxiproxy's API URL (e.g. TOXIPROXY_URL), which must run on
   * this host: its proxies listen on, and point at, this host's loopback.
   */
  toxiproxyUrl?: string;
}


export function endpointKey(provider: string, region?: string): string {
  return region ? `${provider}@${region}` : provider;
}

/**
 * Starts the fixture providers (and the embedded Toxiproxy) in one worker, puts a Toxiproxy
 * proxy in front of each provider endpoint, and starts the reference router in another
 * worker, pointed at the proxies. Whatever started is stopped again if a later step fails;
 * proxies made on an outside Toxiproxy are removed on close.
 */
export async function startEnvironment(spec: EnvironmentSpec): Promise<Environment> {
  const choice = parseToxiproxyChoice(spec.toxiproxyUrl);
  if (!choice.ok) throw new EnvironmentError(choice.error);
  const kind = choice.value.kind;
  // Fail before anything starts: without a Docker engine `container` cannot work.
  if (choice.value.kind === 'container') {
    const docker = await probeDocker();
    if (!docker.ok) throw new EnvironmentError(`--toxiproxy container: ${docker.reason}`);
  }

  const workers: Worker[] = [];
  const proxies = new Map<string, Proxy>();
  let server: ToxiproxyServerHandle | undefined;
  let placement: ProxyPlacement | undefined;
  let target: StartedTarget | undefined;

  const close = async () => {
    // The service first: it is the one calling through the proxies.
    await target?.close();
    // Proxies on an outside Toxiproxy outlive us unless removed; the embedded one goes with its worker, a container with itself.
    if (kind === 'url') await placement?.remove();
    await server?.close();
    await Promise.allSettled(workers.reverse().map((w) => w.stop()));
  };

  try {
    const providerHost = await startWorker(siblingModule('./provider-host.ts', import.meta.url), 'providers');
    workers.push(providerHost);
    const started = await providerHost.call<ProviderHostStarted>('start', {
      seed: spec.seed,
      endpoints: spec.endpoints,
      embeddedToxiproxy: kind === 'embedded',
    });
    if (choice.value.kind === 'embedded') server = loopbackHandle('embedded', started.toxiproxyUrl!);
    else if (choice.value.kind === 'url') server = loopbackHandle('url', choice.value.url);
    else {
      try {
        server = await startToxiproxyContainer({ image: choice.value.image, hostPorts: started.endpoints.map((e) => e.port) });
      } catch (err) {
        throw new EnvironmentError(`--toxiproxy container: could not start ${choice.value.image}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const toxiproxyUrl = server.url;
    try {
      await new Toxiproxy(toxiproxyUrl).getVersion();
    } catch (err) {
      throw new EnvironmentError(`Toxiproxy at ${toxiproxyUrl} does not answer: ${String(err)}`);
    }
    const listenOf = new Map(spec.endpoints.map((e) => [e.key, e.listen]));
    placement = await placeProxies(
      server,
      started.endpoints.map((e) => ({ ...e, ...(listenOf.get(e.key) !== undefined && { listen: listenOf.get(e.key) }) })),
    );
    if (kind !== 'embedded') {
      // An outside Toxiproxy that cannot reach this host's loopback would fail every request: say so now.
      const unreachable = await checkReachable(placement.proxies);
      if (unreachable.size > 0) {
        const [key, why] = [...unreachable][0]!;
        throw new EnvironmentError(
          `the Toxiproxy at ${toxiproxyUrl} cannot forward to the fixture providers (${key}: ${why}); ` +
            (kind === 'url' ? 'faultline assumes an outside Toxiproxy runs on this host and shares its loopback' : 'the container cannot reach this host'),
        );
      }
    }
    for (const [key, p] of placement.proxies) proxies.set(key, p.proxy);
    const upstreams: Record<string, string> = {};
    for (const [key, p] of placement.proxies) upstreams[key] = `http://${p.address}`;

    let targetUrl: string;
    let metricsUrl: string | undefined;
    if (spec.target.kind === 'router') {
      const router = await startWorker(siblingModule('./router-host.ts', import.meta.url), 'router');
      workers.push(router);
      const r = await router.call<{ url: string }>('start', { config: spec.target.config, set: spec.target.set ?? [], upstreams, seed: spec.seed });
      targetUrl = r.url;
      metricsUrl = `${r.url}/metrics`;
    } else if (spec.target.kind === 'command') {
      if (!spec.logDir) throw new EnvironmentError('a command target needs a folder for its logs (logDir)');
      const endpoints = spec.endpoints.map((e) => ({ provider: e.provider, region: e.region, address: placement!.proxies.get(e.key)!.address }));
      target = await startCommandTarget(spec.target, { endpoints, logDir: spec.logDir, signal: spec.signal });
      targetUrl = target.url;
      if (spec.target.metrics) metricsUrl = new URL(spec.target.metrics, target.url).href;
    } else {
      if (spec.probeUrlTarget) await checkUrlTarget(spec.target, spec.signal);
      targetUrl = spec.target.url;
      metricsUrl = spec.target.metricsUrl;
    }
    const providers = spec.endpoints.map((e): Omit<ProviderEndpoint, 'requests'> => {
      const address = placement!.proxies.get(e.key)!.address;
      return {
        name: e.provider,
        ...(e.region !== undefined && { region: e.region }),
        kind: e.url !== undefined ? 'url' : e.handlers !== undefined ? 'handlers' : 'fixture',
        url: `http://${address}`,
        listen: address,
        env: providerEnvName(e.provider, e.region),
        ...(e.fixture !== undefined && { fixture: e.fixture }),
        ...(e.url !== undefined && { upstream: e.url }),
        ...(e.handlers !== undefined && { handlers: e.handlers }),
      };
    });

    const setHttpFaults = (key: string, faults: HttpStageFault[]) => providerHost.call<number>('setHttpFaults', { key, faults });
    return {
      targetUrl,
      metricsUrl,
      toxiproxyUrl,
      toxiproxy: server.label,
      proxies,
      providers,
      logs: target?.logs ?? [],
      async targetExit() {
        const s = await target?.status();
        return s?.exited ? (s.signal ? `signal ${s.signal}` : `code ${s.code}`) : undefined;
      },
      setHttpFaults,
      // Each planned fault goes where its layer lives: HTTP faults to the provider host, network faults to the proxies.
      faults: layeredBackend({ http: httpFaultBackend(setHttpFaults), network: toxiproxyFaultBackend(proxies) }),
      async collectUpstream(t0) {
        const got = await providerHost.call<{ key: string; records: ReceivedRequest[] }[]>('received');
        const byKey = new Map(spec.endpoints.map((e) => [e.key, e]));
        const out: UpstreamRecord[] = [];
        for (const { key, records } of got) {
          const e = byKey.get(key)!;
          for (const r of records) out.push({ t: r.at - t0, provider: e.provider, region: e.region, endpoint: r.endpoint, status: r.status, ms: r.ms, path: r.path });
        }
        return out.sort((a, b) => a.t - b.t);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err instanceof EnvironmentError ? err : new EnvironmentError(err instanceof Error ? err.message : String(err));
  }
}
