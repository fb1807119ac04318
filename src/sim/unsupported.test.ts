import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import { FAULT_KINDS } from '../model/faults/index.ts';
import { MODELLED_HTTP_KINDS, MODELLED_NETWORK_KINDS, SimUnsupportedError } from './unsupported.ts';
import { simulateScenario } from './simulate.ts';

const base = {
  name: 'unsupported',
  providers: [{ name: 'joke', fixture: 'joke' }],
  load: { model: 'open', rate: '10/s', duration: '3s', timeout: '1s', requests: [{ name: 'joke', path: '/joke' }] },
  slos: [{ name: 'availability', expr: 'availability >= 0%' }],
};
const fault = (name: string, rest: Record<string, unknown>) => ({ name, target: { provider: 'joke' }, from: '1s', to: '2s', ...rest });

describe('what the simulator has no model for', () => {
  it('is refused with every problem at once: the target, each fault kind, each toxic an outage shape needs', async () => {
    const scenario = await loadScenario(
      {
        ...base,
        target: { url: 'http://127.0.0.1:1' },
        faults: [
          fault('thin', { layer: 'network', kind: 'bandwidth', kbps: 10 }),
          fault('chopped', { layer: 'network', kind: 'slicer', averageSize: 10 }),
          fault('slow-pipe', { layer: 'network', kind: 'outage', shape: 'slow', kbps: 5 }),
          fault('fine', { layer: 'http', kind: 'error' }),
        ],
      } as never,
      { cwd: process.cwd() },
    );
    const err = await simulateScenario(scenario).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SimUnsupportedError);
    const problems = (err as SimUnsupportedError).problems;
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/target `url`: the simulator runs only the reference router/);
    expect(problems.slice(1)).toEqual([
      'fault `thin`: network `bandwidth` has no model',
      'fault `chopped`: network `slicer` has no model',
      'fault `slow-pipe`: outage shape `slow` uses a `bandwidth` toxic, which has no model',
    ]);
    expect((err as Error).message).toContain('  - fault `thin`');
  });

  it('every kind of the registry is either modelled or refused by name (none silently ignored)', () => {
    const kinds = (FAULT_KINDS as readonly { layer: string; kind: string }[]).map((d) => `${d.layer} ${d.kind}`);
    const modelled = kinds.filter((k) => (k.startsWith('http ') ? MODELLED_HTTP_KINDS : MODELLED_NETWORK_KINDS).has(k.split(' ')[1]!));
    // Written out, so a new kind in the registry is a decision here, not a default.
    expect(kinds.filter((k) => !modelled.includes(k)).sort()).toEqual(['network bandwidth', 'network limit_data', 'network slicer', 'network slow_close']);
  });
});
