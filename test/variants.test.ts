/**
 * Broken twins as variants: every bundled scenario with a variant named `broken` and a
 * `<name>.broken.yaml` twin beside it gets, in virtual time under the same seed, the twin's
 * verdicts and the twin's values, SLO by SLO — the variant's settings are the twin's router
 * differences, nothing more and nothing less. In-process (simulateScenario), about a second each.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulateScenario } from '../src/api.ts';
import { readScenarioFile } from '../src/scenario/load.ts';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['scenarios', 'scenarios/incidents', 'scenarios/tuning'].map((d) => join(root, d)).filter(existsSync);
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml') && !f.endsWith('.broken.yaml')).map((f) => join(d, f)));

const twinned = files.filter((f) => existsSync(f.replace(/\.yaml$/, '.broken.yaml')));
// Only the pairs whose scenario names its twin as a variant: the others have nothing to compare.
const withBrokenVariant: string[] = [];
for (const f of twinned) {
  const r = await readScenarioFile(f);
  if (r.ok && r.scenario.variants?.some((v) => v.name === 'broken')) withBrokenVariant.push(f);
}

describe('a broken twin as a variant', () => {
  it('retry-storm is one of them', () => {
    expect(withBrokenVariant.map((f) => f.slice(root.length))).toContain('scenarios/incidents/retry-storm.yaml');
  });

  it.each(withBrokenVariant.map((f) => [f.slice(root.length), f]))('%s: the broken variant simulates to the twin\'s verdicts and values', async (_, file) => {
    const loaded = await readScenarioFile(file);
    const twin = await readScenarioFile(file.replace(/\.yaml$/, '.broken.yaml'));
    if (!loaded.ok || !twin.ok) throw new Error('does not load');
    const variant = loaded.scenario.variants!.find((v) => v.name === 'broken')!;
    expect(variant.scenario.expect).toBe(twin.scenario.expect);
    const [mine, theirs] = [await simulateScenario(variant.scenario), await simulateScenario(twin.scenario)];
    expect(mine.result.verdict).toBe(theirs.result.verdict);
    expect(mine.result.slos.map((s) => [s.name, s.passed, s.value])).toEqual(theirs.result.slos.map((s) => [s.name, s.passed, s.value]));
  });
});
