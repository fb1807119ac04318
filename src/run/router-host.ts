/**
 * The router worker: runs the reference router in its own process during a run, so that
 * its event loop is not shared with the load driver's.
 */
import { seededRng } from '../core/rng.ts';
import { systemClock } from '../core/clock.ts';
import { formatIssues } from '../config/issues.ts';
import type { RouterSetting } from '../model/scenario.ts';
import { loadRouterConfig, startRouter } from '../router/index.ts';
import { serveWorker } from './worker.ts';

let router: { url: string; close(): Promise<void> } | undefined;

serveWorker(
  {
    async start(args: { config: string; set: RouterSetting[]; upstreams: Record<string, string>; seed: number }) {
      // A variant's router settings, applied as the scenario loader checked them.
      const loaded = await loadRouterConfig(args.config, { set: args.set });
      if (!loaded.ok) throw new Error(`invalid router config:\n${formatIssues(loaded.issues)}`);
      router = await startRouter({
        config: loaded.value,
        host: '127.0.0.1',
        port: 0,
        upstreams: args.upstreams,
        clock: systemClock,
        rng: seededRng(args.seed ^ 0x7a11),
      });
      return { url: router.url };
    },
  },
  async () => {
    await router?.close();
  },
);
