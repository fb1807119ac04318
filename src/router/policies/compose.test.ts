import { describe, expect, it } from 'vitest';
import { wrap } from './compose.ts';
import { noop, type Policy } from './policy.ts';

const tracing = (name: string, log: string[]): Policy => ({
  async execute(fn, ctx) {
    log.push(`${name}>`);
    try {
      return await fn(ctx ?? {});
    } finally {
      log.push(`<${name}`);
    }
  },
});

describe('wrap', () => {
  it('nests policies outermost first', async () => {
    const log: string[] = [];
    await wrap(tracing('retry', log), tracing('breaker', log), tracing('timeout', log)).execute(async () => log.push('call'));
    expect(log).toEqual(['retry>', 'breaker>', 'timeout>', 'call', '<timeout', '<breaker', '<retry']);
  });

  it('has noop as its identity', async () => {
    expect(wrap()).toBe(noop);
    const p = tracing('x', []);
    expect(wrap(noop, p, noop)).toBe(p);
    await expect(noop.execute(async (ctx) => ctx.method, { method: 'GET' })).resolves.toBe('GET');
  });
});
