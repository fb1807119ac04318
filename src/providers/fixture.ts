import type { HttpHandler } from 'msw';
import type { Rng } from '../core/rng.ts';

/**
 * Fixture providers: fake upstream APIs written as MSW request handlers. The same handler
 * lists are served on loopback ports (src/providers/server.ts) for real runs, and resolved
 * in-process by MSW for fast tests. Each fixture knows which provider (and region) it
 * plays, so one definition serves Stripe EU and Stripe US alike.
 */
export interface FixtureContext {
  provider: string;
  region?: string;
  rng: Rng;
  /**
   * The provider's origin for in-process use (`http://127.0.0.1:9201`): handlers then match
   * that origin only, so several providers share one `setupServer`. Absent on the fixture
   * server, where handlers match any origin (the server is the provider).
   */
  baseUrl?: string;
}

/** A fixture's path, under its origin when it has one. */
export const at = (ctx: FixtureContext, path: string) => (ctx.baseUrl ? new URL(path, ctx.baseUrl).href : path);

export type Fixture = (ctx: FixtureContext) => HttpHandler[];
