import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { formatProgress, PROGRESS_EVERY_MS, progressLine, reportProgressEvery } from './progress.ts';

const snapshot = (t: number, sent: number, errors = 0) => ({ t, sent, done: sent, inFlight: 2, errors });

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

describe('progressLine', () => {
  it('prints nothing when the stream is not a TTY', () => {
    const stream = fakeStream(false);
    const line = progressLine({ durationMs: 10_000, stream, clock: new FakeClock() });
    line.update(snapshot(100, 10));
    line.done(snapshot(200, 20));
    expect(stream.writes).toEqual([]);
  });

  it('redraws in place at most every 250 ms, and ends the line when done', () => {
    const stream = fakeStream(true);
    const clock = new FakeClock();
    const line = progressLine({ durationMs: 10_000, stream, clock });
    // 100 updates over 2 s, one every 20 ms, at 100 requests/s.
    for (let i = 1; i <= 100; i++) {
      clock.advance(20);
      line.update(snapshot(i * 20, i * 2, i > 50 ? 1 : 0));
    }
    expect(stream.writes.length).toBeGreaterThanOrEqual(8);
    expect(stream.writes.length).toBeLessThanOrEqual(9);
    for (const w of stream.writes) expect(w.startsWith('\r')).toBe(true);
    expect(stream.writes.at(-1)).toContain(' 100/s');
    expect(stream.writes.at(-1)).toContain('1 error');
    line.done();
    expect(stream.writes.at(-1)).toBe('\n');
  });
});

describe('formatProgress', () => {
  it('reads elapsed / duration, rate, in flight and errors', () => {
    expect(formatProgress({ t: 4200, sent: 420, done: 417, inFlight: 3, errors: 0 }, 30_000, 99.84)).toBe(
      'load 4.2s / 30s · 99.8/s · 3 in flight · 0 errors',
    );
    expect(formatProgress({ t: 0, sent: 0, done: 0, inFlight: 0, errors: 1 }, 1000, null)).toBe('load 0.0s / 1s · –/s · 0 in flight · 1 error');
  });
});

describe('reportProgressEvery', () => {
  it('reports every PROGRESS_EVERY_MS until stopped, and sets no timer when nobody listens', () => {
    const clock = new FakeClock();
    let reports = 0;
    const stop = reportProgressEvery(clock, true, () => reports++);
    clock.advance(PROGRESS_EVERY_MS * 4 - 1);
    expect(reports).toBe(3);
    clock.advance(1);
    expect(reports).toBe(4);
    stop();
    clock.advance(PROGRESS_EVERY_MS * 10);
    expect(reports).toBe(4);
    expect(clock.pending).toBe(0);
    reportProgressEvery(clock, false, () => reports++)();
    expect(clock.pending).toBe(0);
  });
});
