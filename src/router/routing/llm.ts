/**
 * LLM-style provider routing: classify a request as simple or complex by the rules of a
 * registry file, then fail over along that class's model chain — a cheap model for simple
 * requests, a strong one for complex requests, each chain crossing providers so one
 * provider's outage moves traffic to another's equivalent model.
 *
 * The registry (`fixtures/routing/llm-registry.yaml`) is data, validated with the project's
 * loader, so the rules can change without code:
 *
 * ```yaml
 * models:                                   # id → where it runs and what it costs
 *   gpt-mini:    { provider: openai, model: gpt-4o-mini, tier: basic, costPer1k: { input: 0.00015, output: 0.0006 } }
 *   claude-haiku: { provider: anthropic, model: claude-3-5-haiku, tier: basic, costPer1k: { input: 0.0008, output: 0.004 } }
 *   gpt-large:   { provider: openai, model: gpt-4o, tier: strong, costPer1k: { input: 0.0025, output: 0.01 } }
 *   claude-sonnet: { provider: anthropic, model: claude-sonnet-4-0, tier: strong, costPer1k: { input: 0.003, output: 0.015 } }
 * rules:                                    # first match wins; every condition of a rule must hold
 *   - { name: caller-says-complex, when: { complexity: [complex] }, class: complex }
 *   - { name: long-prompt, when: { promptTokens: { over: 1500 } }, class: complex }
 *   - { name: reasoning, when: { keywords: [prove, step by step, refactor] }, class: complex }
 * default: simple                            # when no rule matches
 * classes:
 *   simple:  { chain: [gpt-mini, claude-haiku, gpt-large] }
 *   complex: { chain: [gpt-large, claude-sonnet], minTier: strong }   # never a weaker model, even in failover
 * ```
 *
 * Per request: `plan = registry.plan(request, health)` gives the class, the rule that chose
 * it and the chain ordered by health (healthy in chain order, then degraded, then unavailable
 * or dropped); the router makes one failover target per chain entry, sending the request to
 * `entry.provider` with its body's `model` rewritten to `entry.model` (`withModel`).
 *
 * @example
 *   const loaded = await loadLlmRegistry('fixtures/routing/llm-registry.yaml', ['openai', 'anthropic']);
 *   if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
 *   const plan = planLlm(loaded.value, llmRequest(req), (provider) => breakerHealth(breakers.get(provider)!));
 *   plan.class;                     // 'simple'
 *   plan.chain.map((e) => e.id);    // ['gpt-mini', 'claude-haiku', 'gpt-large']
 */
import Type from 'typebox';
import { loadYamlFile, parseYaml, type Loaded } from '../../config/load.ts';
import { issueAt, type ConfigIssue, type Locate } from '../../config/issues.ts';
import { closest } from '../../core/suggest.ts';
import { NOT_READ, PROVIDER_NAME_PATTERN, UPSTREAM_PATTERN, type ConfigPath, type FileRead, type Issue } from '../schema-kit.ts';
import { field, header, jsonBody, type Headers } from './request.ts';
import type { Health, HealthOf } from './select.ts';

// ---------------------------------------------------------------------------------------
// The registry file's schema.

const Tier = Type.Union([Type.Literal('basic'), Type.Literal('standard'), Type.Literal('strong')], {
  expected: 'basic, standard or strong',
  description: 'Capability tier.',
});
const Range = (what: string) =>
  Type.Object(
    {
      over: Type.Optional(Type.Number({ minimum: 0, description: `${what} more than this.` })),
      under: Type.Optional(Type.Number({ minimum: 0, description: `${what} fewer than this.` })),
    },
    { additionalProperties: false, description: `A range of ${what}.` },
  );
const Price = Type.Number({ minimum: 0, description: 'Price per 1 000 tokens.' });

/** The LLM registry file. */
export const LlmRegistrySchema = Type.Object(
  {
    models: Type.Record(
      Type.String({ pattern: PROVIDER_NAME_PATTERN }),
      Type.Object(
        {
          provider: Type.String({ pattern: UPSTREAM_PATTERN, expected: 'a provider name, or name@region', description: 'The router provider key serving it, e.g. openai or anthropic@eu.' }),
          model: Type.Optional(Type.String({ minLength: 1, description: "The provider's model name, written into the request. Default: the id." })),
          tier: Tier,
          costPer1k: Type.Union(
            [Price, Type.Object({ input: Price, output: Price }, { additionalProperties: false, description: 'Input and output prices.' })],
            { expected: 'a price, or { input, output }', description: 'Price per 1 000 tokens.' },
          ),
        },
        { additionalProperties: false, description: 'A model at one provider.' },
      ),
      { description: 'Models by id.' },
    ),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, description: 'Named in metrics and logs.' })),
            when: Type.Object(
              {
                complexity: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "The caller's hint (body `complexity` or x-complexity) is one of these." })),
                promptTokens: Type.Optional(Range('estimated prompt tokens')),
                maxTokens: Type.Optional(Range('requested output tokens (max_tokens)')),
                keywords: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Any of these words or phrases in the prompt (case-insensitive).' })),
              },
              { additionalProperties: false, description: 'Every condition given must hold.' },
            ),
            class: Type.String({ minLength: 1, description: 'The class a matching request falls in.' }),
          },
          { additionalProperties: false, description: 'A classification rule.' },
        ),
        { description: 'Classification rules; the first that matches wins.' },
      ),
    ),
    default: Type.String({ minLength: 1, description: 'The class of a request no rule matches.' }),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Za-z]{3}$', expected: 'a currency code like usd', description: "The prices' currency (ISO 4217), the `currency` label of provider_cost_total. Default usd." }),
    ),
    classes: Type.Record(
      Type.String({ pattern: PROVIDER_NAME_PATTERN }),
      Type.Object(
        {
          chain: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Model ids in preference order; failover goes down the list.' }),
          minTier: Type.Optional(Tier),
        },
        { additionalProperties: false, description: 'A request class.' },
      ),
      { description: 'Request classes by name, each with its model chain.' },
    ),
  },
  { additionalProperties: false, description: 'LLM routing registry: models, classification rules and model chains.' },
);
export type LlmRegistryFile = Type.Static<typeof LlmRegistrySchema>;

// ---------------------------------------------------------------------------------------

export const LLM_TIERS = ['basic', 'standard', 'strong'] as const;
export type LlmTier = (typeof LLM_TIERS)[number];

export interface LlmModel {
  /** The registry's name for it: `gpt-mini`. */
  id: string;
  /** The upstream provider key the router calls: `openai`, `anthropic@eu`. */
  provider: string;
  /** The provider's own model name, written into the request body: `gpt-4o-mini`. */
  model: string;
  tier: LlmTier;
  /** Price per 1 000 tokens, in the registry's currency. */
  costPer1k: { input: number; output: number };
}

export interface LlmCondition {
  /** The caller's own hint (`complexity` in the body, or `x-complexity`) is one of these. */
  complexity?: readonly string[];
  /** Estimated prompt tokens (characters / 4) over / under. */
  promptTokens?: { over?: number; under?: number };
  /** Requested output tokens (`max_tokens`) over / under. */
  maxTokens?: { over?: number; under?: number };
  /** Any of these words or phrases in the prompt, case-insensitive, on word boundaries. */
  keywords?: readonly string[];
}

export interface LlmRule {
  name: string;
  when: LlmCondition;
  class: string;
}

export interface LlmClass {
  /** Model ids, in preference order. */
  chain: readonly string[];
  /** No model below this tier serves the class, whatever fails. */
  minTier?: LlmTier;
}

export interface LlmRegistry {
  models: ReadonlyMap<string, LlmModel>;
  rules: readonly LlmRule[];
  default: string;
  classes: ReadonlyMap<string, LlmClass>;
  /** The prices' currency, lower case (`usd`). */
  currency: string;
}

/** What the rules look at, read from an OpenAI- or Anthropic-style body. */
export interface LlmRequest {
  prompt: string;
  complexity?: string | undefined;
  maxTokens?: number | undefined;
}

export interface LlmChainEntry extends LlmModel {
  health: Health;
  /** Estimated cost: prompt tokens at the input price, `maxTokens` (or as many as the prompt) at the output price. */
  estimatedCost: number;
}

export interface LlmPlan {
  class: string;
  /** The rule that chose the class, or `default`. */
  rule: string;
  promptTokens: number;
  /** Failover order. Empty → answer 503 (every model of the class is unavailable and `unhealthy: skip`). */
  chain: LlmChainEntry[];
  /** Left out: unavailable under `skip`, or below the class's tier. */
  excluded: Array<{ id: string; reason: 'unavailable' | 'tier' }>;
}

const TIER_RANK: Record<LlmTier, number> = { basic: 0, standard: 1, strong: 2 };

/** A rough token count: about 4 characters per token for English text (OpenAI's rule of thumb). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Reads the routing inputs from a request: the prompt from `messages[].content` (strings
 * or `{type: 'text', text}` parts), `prompt`, or `input`; `complexity` from the body or
 * `x-complexity`; `max_tokens` (or `max_output_tokens`). Never throws; a body that is not
 * JSON reads as an empty prompt.
 */
export function llmRequest(req: { headers: Headers; body?: Uint8Array | undefined }): LlmRequest {
  const body = jsonBody(req.body);
  const parts: string[] = [];
  const text = (c: unknown) => {
    if (typeof c === 'string') parts.push(c);
    else if (Array.isArray(c)) for (const p of c) if (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string') parts.push((p as { text: string }).text);
  };
  const messages = field(body, 'messages');
  if (Array.isArray(messages)) for (const m of messages) text(field(m, 'content'));
  text(field(body, 'system'));
  text(field(body, 'prompt'));
  text(field(body, 'input'));
  const hint = field(body, 'complexity') ?? header(req.headers, 'x-complexity');
  const max = field(body, 'max_tokens') ?? field(body, 'max_output_tokens');
  return {
    prompt: parts.join('\n'),
    complexity: typeof hint === 'string' ? hint.toLowerCase() : undefined,
    maxTokens: typeof max === 'number' && Number.isFinite(max) && max >= 0 ? max : undefined,
  };
}

function within(v: number | undefined, range: { over?: number; under?: number } | undefined): boolean {
  if (!range) return true;
  if (v === undefined) return false;
  return (range.over === undefined || v > range.over) && (range.under === undefined || v < range.under);
}

const keywordCache = new WeakMap<readonly string[], RegExp>();

function keywordRe(words: readonly string[]): RegExp {
  let re = keywordCache.get(words);
  if (!re) {
    const alt = words.map((w) => w.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')).join('|');
    re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alt})(?![\\p{L}\\p{N}])`, 'iu');
    keywordCache.set(words, re);
  }
  return re;
}

/** Which class a request falls in, and by which rule. */
export function classify(registry: LlmRegistry, req: LlmRequest): { class: string; rule: string; promptTokens: number } {
  const promptTokens = estimateTokens(req.prompt);
  for (const rule of registry.rules) {
    const w = rule.when;
    if (w.complexity && (req.complexity === undefined || !w.complexity.includes(req.complexity))) continue;
    if (!within(promptTokens, w.promptTokens)) continue;
    if (w.maxTokens && !within(req.maxTokens, w.maxTokens)) continue;
    if (w.keywords && !keywordRe(w.keywords).test(req.prompt)) continue;
    return { class: rule.class, rule: rule.name, promptTokens };
  }
  return { class: registry.default, rule: 'default', promptTokens };
}

/**
 * Classifies the request and orders its class's chain by the health of each model's
 * provider: healthy in chain order first, then degraded, then unavailable (`last`, the
 * breakers decide) or none (`skip`).
 */
export function planLlm(registry: LlmRegistry, req: LlmRequest, health: HealthOf, unhealthy: 'last' | 'skip' = 'last'): LlmPlan {
  const c = classify(registry, req);
  const cls = registry.classes.get(c.class);
  const excluded: LlmPlan['excluded'] = [];
  const ranked: Array<{ e: LlmChainEntry; rank: number; index: number }> = [];
  const outputTokens = req.maxTokens ?? c.promptTokens;
  (cls?.chain ?? []).forEach((id, index) => {
    const m = registry.models.get(id);
    if (!m) return;
    if (cls!.minTier && TIER_RANK[m.tier] < TIER_RANK[cls!.minTier]) {
      excluded.push({ id, reason: 'tier' });
      return;
    }
    const h = health(m.provider);
    if (h === 'unavailable' && unhealthy === 'skip') {
      excluded.push({ id, reason: 'unavailable' });
      return;
    }
    const estimatedCost = (c.promptTokens / 1000) * m.costPer1k.input + (outputTokens / 1000) * m.costPer1k.output;
    ranked.push({ e: { ...m, health: h, estimatedCost }, rank: h === 'healthy' ? 0 : h === 'degraded' ? 1 : 2, index });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return { class: c.class, rule: c.rule, promptTokens: c.promptTokens, chain: ranked.map((r) => r.e), excluded };
}

const encoder = new TextEncoder();

/**
 * The request body with its `model` set to the provider's model name; a body that is not a
 * JSON object is returned unchanged.
 *
 * @example
 *   withModel(body, 'gpt-4o-mini') // {"model":"gpt-4o-mini","messages":[...]}
 */
export function withModel(body: Uint8Array | undefined, model: string): Uint8Array | undefined {
  const v = jsonBody(body);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return body;
  return encoder.encode(JSON.stringify({ ...(v as Record<string, unknown>), model }));
}

/** Tokens used, from an OpenAI (`prompt_tokens`/`completion_tokens`) or Anthropic (`input_tokens`/`output_tokens`) response. */
export function usageOf(responseBody: Uint8Array | undefined): { input: number; output: number } | undefined {
  const u = field(jsonBody(responseBody), 'usage');
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  const input = n(field(u, 'prompt_tokens')) ?? n(field(u, 'input_tokens'));
  const output = n(field(u, 'completion_tokens')) ?? n(field(u, 'output_tokens'));
  return input === undefined && output === undefined ? undefined : { input: input ?? 0, output: output ?? 0 };
}

/** What a call cost at a model's prices: the increment of `provider_cost_total{provider}`. */
export function usageCost(model: Pick<LlmModel, 'costPer1k'>, usage: { input: number; output: number }): number {
  return (usage.input / 1000) * model.costPer1k.input + (usage.output / 1000) * model.costPer1k.output;
}

type Compiled = { ok: true; value: LlmRegistry } | { ok: false; issues: ConfigIssue[] };

/**
 * The validated file → a registry, checking what the schema cannot: chains name known
 * models, rules name known classes, no chain holds a model below its class's `minTier`, and
 * (when `providers` is given) every model's provider is one the router knows.
 */
export function compileLlmRegistry(raw: LlmRegistryFile, locate: Locate = () => ({ line: 0, column: 0 }), file = '<registry>', providers?: readonly string[]): Compiled {
  const issues: ConfigIssue[] = [];
  const issue = (path: (string | number)[], message: string, extra?: { expected?: string; found?: string }) => issues.push(issueAt(locate, file, path, message, extra));

  const models = new Map<string, LlmModel>();
  for (const [id, m] of Object.entries(raw.models)) {
    if (providers && !providers.includes(m.provider)) {
      const hint = closest(m.provider, providers);
      issue(['models', id, 'provider'], `unknown provider ${JSON.stringify(m.provider)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${providers.join(', ')}` });
    }
    const cost = typeof m.costPer1k === 'number' ? { input: m.costPer1k, output: m.costPer1k } : m.costPer1k;
    models.set(id, { id, provider: m.provider, model: m.model ?? id, tier: m.tier, costPer1k: cost });
  }

  const classes = new Map<string, LlmClass>();
  for (const [name, c] of Object.entries(raw.classes)) {
    const seen = new Set<string>();
    c.chain.forEach((id, j) => {
      const m = models.get(id);
      if (!m) {
        const hint = closest(id, models.keys());
        issue(['classes', name, 'chain', j], `unknown model ${JSON.stringify(id)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${[...models.keys()].join(', ')}` });
      } else if (c.minTier && TIER_RANK[m.tier] < TIER_RANK[c.minTier]) {
        issue(['classes', name, 'chain', j], `${id} is a ${m.tier} model, below this class's minTier (${c.minTier})`);
      }
      if (seen.has(id)) issue(['classes', name, 'chain', j], `${id} is listed twice`);
      seen.add(id);
    });
    classes.set(name, { chain: c.chain, ...(c.minTier && { minTier: c.minTier }) });
  }

  const known = (cls: string, at: (string | number)[]) => {
    if (classes.has(cls)) return;
    const hint = closest(cls, classes.keys());
    issue(at, `unknown class ${JSON.stringify(cls)}${hint ? ` (did you mean ${hint}?)` : ''}`, { expected: `one of ${[...classes.keys()].join(', ')}` });
  };
  const names = new Set<string>();
  const rules: LlmRule[] = (raw.rules ?? []).map((r, i) => {
    known(r.class, ['rules', i, 'class']);
    const name = r.name ?? `rules[${i}]`;
    if (names.has(name)) issue(['rules', i, 'name'], `rule name ${name} is used twice`);
    names.add(name);
    for (const k of ['promptTokens', 'maxTokens'] as const) {
      const range = r.when[k];
      if (range && range.over === undefined && range.under === undefined) issue(['rules', i, 'when', k], 'give `over`, `under` or both');
      if (range && range.over !== undefined && range.under !== undefined && range.over >= range.under) issue(['rules', i, 'when', k], `nothing is over ${range.over} and under ${range.under}`);
    }
    if (Object.keys(r.when).length === 0) issue(['rules', i, 'when'], 'a rule needs at least one condition (use `default` for the fallback class)');
    return { name, when: { ...r.when, ...(r.when.complexity && { complexity: r.when.complexity.map((x) => x.toLowerCase()) }) }, class: r.class };
  });
  known(raw.default, ['default']);

  if (issues.length > 0) return { ok: false, issues: issues.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { ok: true, value: { models, rules, default: raw.default, classes, currency: (raw.currency ?? 'usd').toLowerCase() } };
}

/**
 * Reads and validates a registry file; every issue at once, each at its line.
 * `providers`: the router's provider keys, to check each model's provider against.
 */
export async function loadLlmRegistry(file: string, providers?: readonly string[]): Promise<Loaded<LlmRegistry>> {
  return settle(await loadYamlFile<LlmRegistryFile>(file, LlmRegistrySchema), file, providers);
}

/** As `loadLlmRegistry`, from text. */
export function parseLlmRegistry(text: string, file = '<registry>', providers?: readonly string[]): Loaded<LlmRegistry> {
  return settle(parseYaml<LlmRegistryFile>(text, file, LlmRegistrySchema), file, providers);
}

function settle(loaded: Loaded<LlmRegistryFile>, file: string, providers?: readonly string[]): Loaded<LlmRegistry> {
  if (!loaded.ok) return loaded;
  const c = compileLlmRegistry(loaded.value, loaded.locate, file, providers);
  return c.ok ? { ok: true, value: c.value, locate: loaded.locate } : c;
}

// ---------------------------------------------------------------------------------------
// Config: a route's `llm` section of a router file, and its compile steps: as written
// (`compileLlmRoute`), then with its registry from what the loader read (`compileRouteLlm`).

export const LlmRouteSchema = Type.Object(
  {
    registry: Type.String({ minLength: 1, description: 'The LLM registry file (models, rules, chains), relative to this config file.' }),
    unhealthy: Type.Optional(
      Type.Union([Type.Literal('last'), Type.Literal('skip')], { expected: 'last or skip', description: 'Models whose provider is unavailable: tried last, or left out. Default last.' }),
    ),
  },
  { additionalProperties: false, description: 'LLM routing: a model chain per request class, from a registry file.' },
);
export type LlmRouteFile = Type.Static<typeof LlmRouteSchema>;

export interface LlmRouteConfig {
  /** As written; resolve against the config file's folder, then `loadLlmRegistry`. */
  registry: string;
  unhealthy: 'last' | 'skip';
}

export function compileLlmRoute(raw: LlmRouteFile): LlmRouteConfig {
  return { registry: raw.registry, unhealthy: raw.unhealthy ?? 'last' };
}

export interface RouteLlmConfig {
  /** The registry file, resolved. */
  file: string;
  registry: LlmRegistry;
  /** Models whose provider is unavailable: tried last, or left out. */
  unhealthy: 'last' | 'skip';
}

/**
 * A route's `llm` as written → its registry compiled from the text the loader read. `at` is
 * the route's path; the registry's own issues, positioned in its file, go to `elsewhere`.
 * `providers`: every provider key; `upstreams`: the route's, which every chain must stay in.
 */
export function compileRouteLlm(
  raw: LlmRouteFile,
  read: (FileRead & { path: string }) | undefined,
  providers: readonly string[],
  upstreams: readonly string[],
  at: ConfigPath,
  issue: Issue,
  elsewhere: ConfigIssue[],
): RouteLlmConfig | undefined {
  const l = compileLlmRoute(raw);
  if (!read || !('text' in read)) {
    issue([...at, 'llm', 'registry'], `cannot read the LLM registry ${l.registry}: ${read?.error ?? NOT_READ}`);
    return undefined;
  }
  const loaded = parseLlmRegistry(read.text, read.path, providers);
  if (!loaded.ok) {
    elsewhere.push(...loaded.issues);
    return undefined;
  }
  // Every provider a chain can reach must be one of the route's upstreams, so it has the route's breaker, retry and outlier detection.
  const reached = new Set<string>();
  for (const c of loaded.value.classes.values()) for (const id of c.chain) reached.add(loaded.value.models.get(id)!.provider);
  const missing = [...reached].filter((p) => providers.includes(p) && !upstreams.includes(p));
  if (missing.length > 0) {
    issue([...at, 'upstreams'], `the LLM registry's chains call ${missing.join(', ')}: list ${missing.length > 1 ? 'them' : 'it'} here too, so every provider a chain reaches has this route's policies`);
  }
  return { file: read.path, registry: loaded.value, unhealthy: l.unhealthy };
}
