import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderScenarioSchema, SCHEMA_JSON_PATH } from './schema-json.ts';
import { ScenarioSchema } from './schema.ts';

type Node = Record<string, unknown>;

/** Every property schema in the tree, with its path, including inside unions and arrays. */
function properties(node: Node, path = ''): [string, Node][] {
  const out: [string, Node][] = [];
  for (const [key, sub] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    out.push([`${path}.${key}`, sub], ...properties(sub, `${path}.${key}`));
  }
  for (const [i, branch] of ((node.anyOf ?? []) as Node[]).entries()) out.push(...properties(branch, `${path}|${i}`));
  if (node.items) out.push(...properties(node.items as Node, `${path}[]`));
  return out;
}

describe('scenario schema', () => {
  it('scenarios/schema.json is what `npm run schema` generates', () => {
    // If this fails, run `npm run schema` and commit the result.
    expect(readFileSync(SCHEMA_JSON_PATH, 'utf8')).toBe(renderScenarioSchema());
  });

  it('describes every field, so editors show help on hover', () => {
    const missing = properties(ScenarioSchema as unknown as Node)
      .filter(([, s]) => typeof s.description !== 'string' || s.description === '')
      .map(([p]) => p);
    expect(missing).toEqual([]);
    // Sanity check of the walk itself: it reaches fields deep inside the fault union.
    expect(properties(ScenarioSchema as unknown as Node).map(([p]) => p)).toContain('.faults[]|8.averageSize');
  });

  it('declares itself draft-07 with a title and description', () => {
    const json = JSON.parse(renderScenarioSchema()) as Node;
    expect(json.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(json.title).toBe('faultline scenario');
    expect(typeof json.description).toBe('string');
  });
});
