/**
 * The map's logic against a stand-in simulator: a toy whose answer is known (stuck when
 * load × trigger length passes a threshold the router config sets), so these tests check the
 * grid, the overrides on each cell's scenario, the order and the rendering — not the
 * simulator. The finding on the real simulator is metastable.test.ts's.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../model/result.ts';
import type { Scenario } from '../../model/scenario.ts';
import { readScenarioFile } from '../../scenario/load.ts';
import { AS_WRITTEN, buildMap, cellScenario, checkMapSpec, defaultGrid, loadStates, recoveredShare, stuckEdge, type Simulate } from './map.ts';
import { escapeHtml, mapJsonRows, renderMapHtml, renderMapTable } from './map-render.ts';

const FILE = resolve('scenarios/incidents/metastable.broken.yaml');
const BUDGET = resolve('fixtures/routers/metastable.yaml');
let scenario: Scenario;

beforeAll(async () => {
  const loaded = await readScenarioFile(FILE);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  scenario = loaded.scenario;
});

/** Stuck when rate × trigger seconds ≥ 60 (the budget's config: never), else healthy from 1 s after the trigger. */
const toy: Simulate = async (s) => {
  const rate = s.load.model === 'open' ? s.load.rate : 0;
  const f = s.faults[0]!;
  const budget = s.target.kind === 'router' && s.target.config === BUDGET;
  const stuck = !budget && (rate * (f.toMs - f.fromMs)) / 1000 >= 60;
  const n = s.load.durationMs / 1000;
  const ok: number[] = [];
  const bad: number[] = [];
  const calls: number[] = [];
  for (let i = 0; i < n; i++) {
    const broken = i * 1000 >= f.fromMs && (stuck || i * 1000 < f.toMs + 1000);
    ok.push(broken ? 0 : rate);
    bad.push(broken ? rate : 0);
    calls.push(broken ? 2 * rate : rate);
  }
  const z = () => new Array(n).fill(0);
  const result = {
    durationMs: s.load.durationMs,
    faults: [{ fault: f.name, layer: 'http', kind: 'capacity', scheduledOn: f.fromMs, on: f.fromMs, scheduledOff: f.toMs, off: f.toMs }],
    series: { t: [...Array(n).keys()], ok, status4xx: z(), status5xx: bad, errors: z(), p50: z(), p99: z(), upstream: { backend: calls } },
  } as unknown as RunResult;
  return { result };
};

describe('cellScenario', () => {
  it('changes the rate, the trigger window and the router config, nothing else', () => {
    const cell = cellScenario(scenario, { load: 40, triggerMs: 500, router: BUDGET });
    expect(cell.load).toMatchObject({ model: 'open', rate: 40, durationMs: scenario.load.durationMs, timeoutMs: scenario.load.timeoutMs });
    expect(cell.faults[0]).toEqual({ ...scenario.faults[0], toMs: scenario.faults[0]!.fromMs + 500 });
    expect(cell.target).toEqual({ kind: 'router', config: BUDGET });
    expect({ ...cell, load: scenario.load, faults: scenario.faults, target: scenario.target }).toEqual(scenario);
    // The scenario itself is untouched.
    expect(scenario.load).toMatchObject({ rate: 70 });
    expect(cellScenario(scenario, { load: 40, triggerMs: 500, router: null }).target).toBe(scenario.target);
  });
});

describe('checkMapSpec', () => {
  it('says every problem at once', () => {
    const problems = checkMapSpec({ scenario, trigger: 'nope', loads: [0], triggersMs: [] });
    expect(problems).toEqual([
      expect.stringMatching(/no fault named `nope`.*brownout/),
      'loads must be positive numbers of requests per second, at least one',
      'trigger lengths must be positive durations, at least one',
    ]);
    expect(checkMapSpec({ scenario, loads: [10], triggersMs: [60_000] })).toEqual([expect.stringMatching(/60000 ms end after the run/)]);
    const closed = { ...scenario, load: { model: 'closed' as const, connections: 4, durationMs: 30_000, timeoutMs: 2000, requests: [] } };
    expect(checkMapSpec({ scenario: closed, loads: [10], triggersMs: [1000] })[0]).toMatch(/closed load model/);
    expect(checkMapSpec({ scenario, loads: [10], triggersMs: [1000], variants: [AS_WRITTEN, AS_WRITTEN] })).toEqual(['variant name(s) given twice: as written']);
  });

  it('defaults: 50–150 % of the rate, ¼× to 2× the trigger', () => {
    expect(defaultGrid(scenario)).toEqual({ loads: [35, 52.5, 70, 87.5, 105], triggersMs: [500, 1000, 2000, 4000] });
  });
});

describe('buildMap', () => {
  it('runs every cell of every variant in order and judges each', async () => {
    const seen: number[] = [];
    const map = await buildMap(
      { scenario, loads: [20, 40, 80], triggersMs: [500, 1000, 2000], variants: [AS_WRITTEN, { name: 'budget', router: BUDGET }] },
      toy,
      (_c, done) => seen.push(done),
    );
    expect(seen).toEqual([...Array(18).keys()].map((i) => i + 1));
    expect(map.cells.map((c) => `${c.variant} ${c.load} ${c.triggerMs} ${c.state}`).slice(0, 9)).toEqual([
      'as written 20 500 recovered',
      'as written 20 1000 recovered',
      'as written 20 2000 recovered',
      'as written 40 500 recovered',
      'as written 40 1000 recovered',
      'as written 40 2000 stuck',
      'as written 80 500 recovered',
      'as written 80 1000 stuck',
      'as written 80 2000 stuck',
    ]);
    // The toy is healthy again from the first whole second 1 s after the trigger ends.
    const toMs = (t: number) => scenario.faults[0]!.fromMs + t;
    for (const c of map.cells.filter((x) => x.state === 'recovered')) expect(c.recoveredAfterMs).toBe(Math.ceil((toMs(c.triggerMs) + 1000) / 1000) * 1000 - toMs(c.triggerMs));
    expect(recoveredShare(map, 'as written')).toBeCloseTo(6 / 9);
    expect(recoveredShare(map, 'budget')).toBe(1);
    expect(stuckEdge(map, 'as written')).toEqual([
      { triggerMs: 500, lowestStuckLoad: null },
      { triggerMs: 1000, lowestStuckLoad: 80 },
      { triggerMs: 2000, lowestStuckLoad: 40 },
    ]);
    expect(() => recoveredShare(map, 'nope')).toThrow(/no variant `nope`/);
    expect(loadStates(map, 'as written')).toEqual([
      { load: 20, state: 'stable', shortestStuckTriggerMs: null },
      { load: 40, state: 'vulnerable', shortestStuckTriggerMs: 2000 },
      { load: 80, state: 'vulnerable', shortestStuckTriggerMs: 1000 },
    ]);

    const table = renderMapTable(map);
    expect(table).toContain('as written: 6 of 9 cells recovered');
    // Highest load first.
    expect(table).toMatch(/\n\s*80  ok 1\.5s  STUCK\s+STUCK\s+vulnerable\n\s*40  ok 1\.5s  ok 1\.0s  STUCK\s+vulnerable\n\s*20  .*stable/);
    const rows = mapJsonRows(map);
    expect(rows).toHaveLength(18);
    expect(rows[17]).toMatchObject({ scenario: 'metastable-broken', variant: 'budget', router: BUDGET, load: 80, triggerMs: 2000, state: 'recovered' });
  });

  it('refuses bad input before running anything', async () => {
    let calls = 0;
    const counting: Simulate = async (s) => {
      calls++;
      return toy(s);
    };
    await expect(buildMap({ scenario, loads: [-1], triggersMs: [1000] }, counting)).rejects.toThrow(/loads must be positive/);
    expect(calls).toBe(0);
  });
});

describe('renderMapHtml', () => {
  it('escapes every piece of scenario and user text', async () => {
    const evil = { ...scenario, name: '<script>alert(1)</script>', faults: [{ ...scenario.faults[0]!, name: 'b"><img src=x>' }] };
    const map = await buildMap({ scenario: evil, loads: [20], triggersMs: [500], variants: [{ name: '<b>v</b>', router: BUDGET }] }, toy);
    const html = renderMapHtml(map);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>v</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('class="recovered"');
    expect(escapeHtml(`a&b<'">`)).toBe('a&amp;b&lt;&#39;&quot;&gt;');
  });
});
