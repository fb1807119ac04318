import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../config/issues.ts';
import { classify, llmRequest, loadLlmRegistry, parseLlmRegistry, planLlm, usageCost, usageOf, withModel, type LlmRegistry, type LlmRequest } from './llm.ts';
import type { Health } from './select.ts';

const REGISTRY = 'fixtures/routing/llm-registry.yaml';
const enc = new TextEncoder();
const dec = new TextDecoder();

async function registry(): Promise<LlmRegistry> {
  const loaded = await loadLlmRegistry(REGISTRY, ['openai', 'anthropic']);
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`).join('\n'));
  return loaded.value;
}
const ask = (prompt: string, extra: Partial<LlmRequest> = {}): LlmRequest => ({ prompt, ...extra });
const up = (): Health => 'healthy';
const providerDown =
  (...providers: string[]) =>
  (p: string): Health =>
    providers.includes(p) ? 'unavailable' : 'healthy';
const ids = (p: { chain: Array<{ id: string }> }) => p.chain.map((e) => e.id);

describe('LLM routing: classification', () => {
  it('routes a short question to the cheap chain by default', async () => {
    const r = await registry();
    expect(classify(r, ask('What is the capital of Norway?'))).toEqual({ class: 'simple', rule: 'default', promptTokens: 8 });
    expect(ids(planLlm(r, ask('What is the capital of Norway?'), up))).toEqual(['gpt-mini', 'claude-haiku', 'gpt-large']);
  });

  it('follows the caller\'s complexity hint, first rule first', async () => {
    const r = await registry();
    expect(classify(r, ask('hi', { complexity: 'complex' }))).toMatchObject({ class: 'complex', rule: 'caller-says-complex' });
    // "simple" wins over the keyword rule below it.
    expect(classify(r, ask('prove it step by step', { complexity: 'simple' }))).toMatchObject({ class: 'simple', rule: 'caller-says-simple' });
  });

  it('sends long prompts and long answers to the strong chain', async () => {
    const r = await registry();
    expect(classify(r, ask('x'.repeat(6_004)))).toMatchObject({ class: 'complex', rule: 'long-prompt', promptTokens: 1_501 });
    expect(classify(r, ask('x'.repeat(6_000)))).toMatchObject({ class: 'simple' }); // exactly 1 500: not over
    expect(classify(r, ask('write a novel', { maxTokens: 4_000 }))).toMatchObject({ class: 'complex', rule: 'long-answer' });
  });

  it('matches keywords as whole words and phrases, case-insensitively', async () => {
    const r = await registry();
    expect(classify(r, ask('Please PROVE that √2 is irrational'))).toMatchObject({ rule: 'reasoning-keywords' });
    expect(classify(r, ask('Walk me through it step\nby   step'))).toMatchObject({ rule: 'reasoning-keywords' });
    expect(classify(r, ask('How do I improve my sleep?'))).toMatchObject({ rule: 'default' }); // "improve" holds "prove"
  });
});

describe('LLM routing: failover across providers', () => {
  it('moves simple requests to the other provider\'s cheap model during an outage, before the strong one', async () => {
    const r = await registry();
    const plan = planLlm(r, ask('hello'), providerDown('openai'));
    expect(plan.chain.map((e) => `${e.id}@${e.provider}:${e.health}`)).toEqual(['claude-haiku@anthropic:healthy', 'gpt-mini@openai:unavailable', 'gpt-large@openai:unavailable']);
    expect(ids(planLlm(r, ask('hello'), providerDown('openai'), 'skip'))).toEqual(['claude-haiku']);
    expect(planLlm(r, ask('hello'), providerDown('openai'), 'skip').excluded).toEqual([
      { id: 'gpt-mini', reason: 'unavailable' },
      { id: 'gpt-large', reason: 'unavailable' },
    ]);
  });

  it('keeps complex requests on strong models whatever fails, and says so when none is left', async () => {
    const r = await registry();
    const complex = ask('refactor this module', { complexity: 'complex' });
    expect(ids(planLlm(r, complex, providerDown('openai')))).toEqual(['claude-sonnet', 'gpt-large']);
    const none = planLlm(r, complex, providerDown('openai', 'anthropic'), 'skip');
    expect(none.chain).toEqual([]);
    for (const e of planLlm(r, complex, providerDown('openai', 'anthropic')).chain) expect(e.tier).toBe('strong');
  });

  it('puts degraded providers after healthy ones', async () => {
    const r = await registry();
    const h = (p: string): Health => (p === 'openai' ? 'degraded' : 'healthy');
    expect(ids(planLlm(r, ask('hi'), h))).toEqual(['claude-haiku', 'gpt-mini', 'gpt-large']);
  });

  it('estimates each entry\'s cost from the prompt and max_tokens', async () => {
    const r = await registry();
    const plan = planLlm(r, ask('x'.repeat(4_000), { maxTokens: 500 }), up); // 1 000 prompt tokens
    expect(plan.chain[0]!.estimatedCost).toBeCloseTo(0.00015 + 0.5 * 0.0006);
  });
});

describe('LLM routing: request and response bodies', () => {
  it('reads prompts from OpenAI and Anthropic bodies, and the hint from body or header', () => {
    const openai = enc.encode(JSON.stringify({ model: 'auto', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], max_tokens: 50 }));
    expect(llmRequest({ headers: {}, body: openai })).toEqual({ prompt: 'be brief\nhi', complexity: undefined, maxTokens: 50 });
    const anthropic = enc.encode(JSON.stringify({ system: 'sys', messages: [{ role: 'user', content: [{ type: 'text', text: 'Prove it' }] }], complexity: 'Complex' }));
    expect(llmRequest({ headers: {}, body: anthropic })).toEqual({ prompt: 'Prove it\nsys', complexity: 'complex', maxTokens: undefined });
    expect(llmRequest({ headers: { 'x-complexity': 'hard' }, body: enc.encode('not json') })).toEqual({ prompt: '', complexity: 'hard', maxTokens: undefined });
  });

  it('rewrites the model for the chosen provider, and prices what it used', () => {
    const body = enc.encode(JSON.stringify({ model: 'auto', messages: [] }));
    expect(JSON.parse(dec.decode(withModel(body, 'gpt-4o-mini')))).toEqual({ model: 'gpt-4o-mini', messages: [] });
    expect(withModel(enc.encode('[1]'), 'x')).toEqual(enc.encode('[1]'));
    expect(usageOf(enc.encode(JSON.stringify({ usage: { prompt_tokens: 1000, completion_tokens: 2000 } })))).toEqual({ input: 1000, output: 2000 });
    expect(usageOf(enc.encode(JSON.stringify({ usage: { input_tokens: 10, output_tokens: 5 } })))).toEqual({ input: 10, output: 5 });
    expect(usageOf(enc.encode('{}'))).toBeUndefined();
    expect(usageCost({ costPer1k: { input: 0.0025, output: 0.01 } }, { input: 1000, output: 2000 })).toBeCloseTo(0.0225);
  });
});

describe('LLM registry file: validation', () => {
  const brief = (issues: ConfigIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message}`);
  const issuesOf = (text: string, providers?: string[]) => {
    const r = parseLlmRegistry(text, 'r.yaml', providers);
    if (r.ok) throw new Error('expected issues');
    return brief(r.issues);
  };

  it('names unknown models, classes and providers, and a weak model in a strong class, each at its line', () => {
    const text = [
      'models:', //                                                                   1
      '  mini: { provider: openai, tier: basic, costPer1k: 0.001 }', //               2
      '  large: { provider: opanai, tier: strong, costPer1k: { input: 0.01, output: 0.03 } }', // 3
      'rules:', //                                                                    4
      '  - { name: hard, when: { complexity: [hard] }, class: complx }', //           5
      'default: simple', //                                                          6
      'classes:', //                                                                  7
      '  simple: { chain: [mini, larg] }', //                                         8
      '  complex: { chain: [large, mini], minTier: strong }', //                      9
    ].join('\n');
    expect(issuesOf(text, ['openai', 'anthropic'])).toEqual([
      '3:22 models.large.provider unknown provider "opanai" (did you mean openai?)',
      '5:56 rules[0].class unknown class "complx" (did you mean complex?)',
      '8:27 classes.simple.chain[1] unknown model "larg" (did you mean large?)',
      '9:29 classes.complex.chain[1] mini is a basic model, below this class\'s minTier (strong)',
    ]);
  });

  it('reports schema errors with positions through the project loader', () => {
    const issues = issuesOf('models:\n  m: { provider: openai, tier: genius, costPer1k: 1 }\ndefault: s\nclasses: { s: { chain: [m] } }\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^2:32 models\.m\.tier/);
  });

  it('refuses an empty condition and an impossible range', () => {
    const text = 'models: { m: { provider: p, tier: basic, costPer1k: 1 } }\nrules:\n  - { when: {}, class: s }\n  - { when: { promptTokens: { over: 10, under: 5 } }, class: s }\ndefault: s\nclasses: { s: { chain: [m] } }\n';
    expect(issuesOf(text)).toEqual(['3:13 rules[0].when a rule needs at least one condition (use `default` for the fallback class)', '4:29 rules[1].when.promptTokens nothing is over 10 and under 5']);
  });

  it('the bundled registry is valid', async () => {
    const r = await registry();
    expect([...r.models.keys()]).toEqual(['gpt-mini', 'claude-haiku', 'gpt-large', 'claude-sonnet']);
    expect(r.classes.get('complex')).toEqual({ chain: ['gpt-large', 'claude-sonnet'], minTier: 'strong' });
  });
});
