/**
 * Providers by name and region. A plain provider has one URL and its key is its name
 * (`weather-primary`); a regional provider has one URL per region and one key per region
 * (`stripe@eu`, `stripe@us`). Everything downstream (breakers, pools, metrics) is keyed
 * by that key, so one region of a provider can be down while the others are healthy.
 */
export interface Provider {
  /** `name` or `name@region`. */
  key: string;
  name: string;
  region?: string;
  /** Base URL, e.g. `http://127.0.0.1:9201`; request paths are appended to it. */
  url: string;
}

/** Splits `stripe@eu` into name and region. */
export function parseProviderKey(key: string): { name: string; region?: string } {
  const at = key.indexOf('@');
  return at < 0 ? { name: key } : { name: key.slice(0, at), region: key.slice(at + 1) };
}

/**
 * @example
 *   const registry = new ProviderRegistry([{ key: 'stripe@eu', name: 'stripe', region: 'eu', url }]);
 *   registry.inRegion('eu') // [stripe@eu]
 */
export class ProviderRegistry {
  readonly #byKey = new Map<string, Provider>();
  /**
   * Override keys that name no provider of this config. Not an error: a scenario may start
   * fixtures this router does not call. A CLI should warn about them (likely typos).
   */
  readonly unknownOverrides: string[] = [];

  constructor(providers: Iterable<Provider>, overrides: Record<string, string> = {}) {
    for (const p of providers) this.#byKey.set(p.key, p);
    for (const [key, url] of Object.entries(overrides)) {
      const p = this.#byKey.get(key);
      if (p) this.#byKey.set(key, { ...p, url });
      else if (!key.includes('@') && this.byName(key).length > 0) {
        // `stripe: url` overrides every region of stripe.
        for (const r of this.byName(key)) this.#byKey.set(r.key, { ...r, url });
      } else this.unknownOverrides.push(key);
    }
  }

  get(key: string): Provider | undefined {
    return this.#byKey.get(key);
  }

  /** Every region of a provider. */
  byName(name: string): Provider[] {
    return this.all().filter((p) => p.name === name);
  }

  inRegion(region: string): Provider[] {
    return this.all().filter((p) => p.region === region);
  }

  all(): Provider[] {
    return [...this.#byKey.values()];
  }
}
