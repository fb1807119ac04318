/**
 * `{{...}}` templates in a `command` target's `command` and `env` values: where each
 * provider's proxy is, and where the target listens, known only once the run has placed the
 * proxies and picked a port. Checked at load time (unknown names are validation errors),
 * expanded at run time.
 *
 * Names:
 * - `providers.<name>.url` (`http://127.0.0.1:40123`), `.host`, `.port` — a provider without regions;
 * - `providers.<name>.<region>.url`, `.host`, `.port` — one region of a provider;
 * - `target.url`, `target.host`, `target.port` — where the service is to listen.
 *
 * The same addresses are always in the environment too, as `FAULTLINE_PROVIDER_<NAME>_URL`
 * and `FAULTLINE_PROVIDER_<NAME>_<REGION>_URL` (upper case, dashes as underscores).
 *
 * @example
 *   expandTemplates('{{providers.payments.url}}/v1', { 'providers.payments.url': 'http://127.0.0.1:40123' })
 *   // → 'http://127.0.0.1:40123/v1'
 */
import { closest } from '../core/suggest.ts';

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PARTS = ['url', 'host', 'port'] as const;

/** The names templates may use, given each provider's regions (empty: none). */
export function templateNames(providers: ReadonlyMap<string, readonly string[]>): string[] {
  const out = PARTS.map((p) => `target.${p}`);
  for (const [name, regions] of providers) {
    if (regions.length === 0) out.push(...PARTS.map((p) => `providers.${name}.${p}`));
    for (const r of regions) out.push(...PARTS.map((p) => `providers.${name}.${r}.${p}`));
  }
  return out;
}

/** What is wrong with each template in `text`, in words; empty when every name is known. */
export function checkTemplates(text: string, providers: ReadonlyMap<string, readonly string[]>): string[] {
  const known = new Set(templateNames(providers));
  const problems: string[] = [];
  for (const m of text.matchAll(TEMPLATE)) {
    const name = m[1]!;
    if (known.has(name)) continue;
    const parts = name.split('.');
    const regions = parts[0] === 'providers' ? providers.get(parts[1] ?? '') : undefined;
    if (regions && regions.length > 0 && parts.length === 3) {
      problems.push(`{{${name}}}: provider \`${parts[1]}\` has regions (${regions.join(', ')}); name one, like {{providers.${parts[1]}.${regions[0]}.${parts[2]}}}`);
      continue;
    }
    if (parts[0] === 'providers' && parts[1] !== undefined && !providers.has(parts[1])) {
      const hint = closest(parts[1], providers.keys());
      problems.push(`{{${name}}}: unknown provider \`${parts[1]}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}`);
      continue;
    }
    const hint = closest(name, known);
    problems.push(`unknown template {{${name}}}${hint ? ` (did you mean {{${hint}}}?)` : ''}; known: ${[...known].filter((k) => k.endsWith('.url')).join(', ')} (and .host, .port)`);
  }
  return problems;
}

/** `text` with every `{{name}}` replaced; a name without a value is an error (the loader has checked them). */
export function expandTemplates(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(TEMPLATE, (_all, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`unknown template {{${name}}}`);
    return v;
  });
}

/** One provider endpoint's proxy, as the service reaches it. */
export interface EndpointAddress {
  provider: string;
  region?: string;
  /** `host:port` of the proxy. */
  address: string;
}

/** The template values for these endpoints and a target at `targetUrl`. */
export function templateVars(endpoints: readonly EndpointAddress[], targetUrl: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const t = new URL(targetUrl);
  vars['target.url'] = t.origin;
  vars['target.host'] = t.hostname;
  vars['target.port'] = t.port || (t.protocol === 'https:' ? '443' : '80');
  for (const e of endpoints) {
    const base = e.region ? `providers.${e.provider}.${e.region}` : `providers.${e.provider}`;
    const i = e.address.lastIndexOf(':');
    vars[`${base}.url`] = `http://${e.address}`;
    vars[`${base}.host`] = e.address.slice(0, i).replace(/^\[|\]$/g, '');
    vars[`${base}.port`] = e.address.slice(i + 1);
  }
  return vars;
}

/** `FAULTLINE_PROVIDER_<NAME>_URL` (and `_<REGION>_URL`) for each endpoint. */
export function providerEnv(endpoints: readonly EndpointAddress[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of endpoints) env[providerEnvName(e.provider, e.region)] = `http://${e.address}`;
  return env;
}

/** `stripe`, `eu` → `FAULTLINE_PROVIDER_STRIPE_EU_URL`. */
export function providerEnvName(provider: string, region?: string): string {
  const up = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `FAULTLINE_PROVIDER_${up(provider)}${region ? `_${up(region)}` : ''}_URL`;
}
