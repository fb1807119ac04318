import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.ts';

describe('systemClock', () => {
  it('waits beyond setTimeout’s 2³¹−1 ms instead of firing at once with a TimeoutOverflowWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let fired = false;
    const cancel = systemClock.schedule(2 ** 31 + 1000, () => (fired = true));
    await new Promise((r) => setTimeout(r, 50));
    cancel();
    process.off('warning', onWarning);
    expect(fired).toBe(false);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});
