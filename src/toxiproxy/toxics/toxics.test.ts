/**
 * Each toxic as a bare stage under a FakeClock and a seeded RNG: exact times, no sockets.
 * The socket-level behaviour of the same toxics is in ../proxy.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { seededRng } from '../../core/rng.ts';
import { pattern } from '../testing.ts';
import { bandwidth, latency, limitData, resetPeer, slicer, slowClose, timeout, type Attributes, type ToxicKind } from './index.ts';
import { sliceOffsets } from './slicer.ts';

function harness<A extends Attributes, S>(kind: ToxicKind<A, S>, attrs: A, seed = 7, state?: S) {
  const clock = new FakeClock(1_000);
  const rec = {
    pushed: [] as Array<{ t: number; data: Buffer }>,
    endedAt: undefined as number | undefined,
    closedAt: undefined as number | undefined,
    resetAt: undefined as number | undefined,
    discarded: 0,
  };
  const out = {
    push: (c: { data: Buffer }) => rec.pushed.push({ t: clock.now(), data: c.data }),
    end: () => (rec.endedAt = clock.now()),
    close: () => (rec.closedAt = clock.now()),
    reset: () => (rec.resetAt = clock.now()),
    discard: (n: number) => (rec.discarded += n),
  };
  const stage = kind.open(attrs, { clock, rng: seededRng(seed), out }, (state ?? kind.newState?.()) as S);
  const write = (data: Buffer | string) => stage.write({ data: Buffer.from(data), at: clock.now() });
  const bytes = () => Buffer.concat(rec.pushed.map((p) => p.data));
  return { clock, rec, stage, write, bytes };
}

describe('latency', () => {
  it('holds each chunk for exactly `latency` ms, then passes the end on', () => {
    const h = harness(latency, { latency: 100, jitter: 0 });
    h.write('a');
    h.clock.advance(40);
    h.write('b');
    h.stage.end();
    h.clock.advance(59);
    expect(h.rec.pushed).toEqual([]);
    h.clock.advance(1);
    expect(h.rec.pushed.map((p) => [p.t, p.data.toString()])).toEqual([[1100, 'a']]);
    h.clock.advance(40);
    expect(h.rec.pushed.map((p) => [p.t, p.data.toString()])).toEqual([[1100, 'a'], [1140, 'b']]);
    expect(h.rec.endedAt).toBe(1140);
    expect(h.clock.pending).toBe(0);
  });

  it('draws jitter uniformly within ±jitter and never reorders chunks (n = 2000)', () => {
    const h = harness(latency, { latency: 100, jitter: 50 }, 42);
    const n = 2000;
    const sent: number[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(h.clock.now());
      h.write(Buffer.from([i & 0xff]));
      h.clock.advance(200); // far apart, so each chunk's own delay is visible
    }
    const delays = h.rec.pushed.map((p, i) => p.t - sent[i]!);
    expect(h.rec.pushed.map((p) => p.data[0])).toEqual(sent.map((_, i) => i & 0xff));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...delays)).toBeLessThanOrEqual(150);
    // Uniform on [50, 150): sd 28.9 ms, so the mean of 2000 has sd 0.65 ms; ±3 ms is > 4.5 sd.
    const mean = delays.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 100)).toBeLessThan(3);
    // Both tails reached: P(no draw in the outer 5 % at one end) = 0.95^2000 ≈ 1e-45.
    expect(Math.min(...delays)).toBeLessThan(55);
    expect(Math.max(...delays)).toBeGreaterThan(145);
  });

  it('hands back held chunks with their arrival times when stopped', () => {
    const h = harness(latency, { latency: 100, jitter: 0 });
    h.write('a');
    h.clock.advance(30);
    h.write('b');
    h.stage.end();
    const held = h.stage.stop();
    expect(held.chunks.map((c) => [c.at, c.data.toString()])).toEqual([[1000, 'a'], [1030, 'b']]);
    expect(held.ended).toBe(true);
    expect(h.clock.pending).toBe(0);
  });
});

describe('bandwidth', () => {
  it('paces 50 kB at 100 KB/s over 500 ms in pieces of at most 100 ms', () => {
    const h = harness(bandwidth, { rate: 100 });
    const data = pattern(50_000);
    h.write(data);
    h.stage.end();
    h.clock.advance(250);
    expect(h.bytes().length).toBe(20_000);
    h.clock.advance(250);
    expect(h.bytes().equals(data)).toBe(true);
    expect(Math.max(...h.rec.pushed.map((p) => p.data.length))).toBeLessThanOrEqual(10_000);
    expect(h.rec.endedAt).toBe(1500);
  });

  it('keeps the rate across many small chunks (no timer drift)', () => {
    const h = harness(bandwidth, { rate: 10 }); // 10 bytes per ms
    for (let i = 0; i < 1000; i++) h.write(pattern(7, i + 1));
    // Each 7-byte chunk leaves when its 0.7 ms on the wire is over: 998 of them by t = 699.
    h.clock.advance(699);
    expect(h.bytes().length).toBe(998 * 7);
    h.clock.advance(1);
    expect(h.bytes().length).toBe(7000);
  });

  it('passes nothing at rate 0 and releases it all when stopped', () => {
    const h = harness(bandwidth, { rate: 0 });
    h.write('abc');
    h.clock.advance(60_000);
    expect(h.rec.pushed).toEqual([]);
    expect(Buffer.concat(h.stage.stop().chunks.map((c) => c.data)).toString()).toBe('abc');
  });
});

describe('slow_close', () => {
  it('passes data at once and the end after `delay` ms', () => {
    const h = harness(slowClose, { delay: 500 });
    h.write('bye');
    expect(h.rec.pushed).toHaveLength(1);
    h.stage.end();
    h.clock.advance(499);
    expect(h.rec.endedAt).toBeUndefined();
    h.clock.advance(1);
    expect(h.rec.endedAt).toBe(1500);
  });

  it('hands a pending end back when stopped mid-delay', () => {
    const h = harness(slowClose, { delay: 500 });
    h.stage.end();
    expect(h.stage.stop().ended).toBe(true);
    expect(h.clock.pending).toBe(0);
  });
});

describe('timeout', () => {
  it('drops data and closes `timeout` ms after the last chunk arrived', () => {
    const h = harness(timeout, { timeout: 200 });
    h.clock.advance(150);
    h.write('x'); // restarts the countdown, as Toxiproxy's loop does
    h.clock.advance(199);
    expect(h.rec.closedAt).toBeUndefined();
    h.clock.advance(1);
    expect(h.rec.closedAt).toBe(1350);
    expect(h.rec.pushed).toEqual([]);
    expect(h.rec.discarded).toBe(1);
  });

  it('never closes with timeout 0', () => {
    const h = harness(timeout, { timeout: 0 });
    h.write('x');
    h.clock.advance(3_600_000);
    expect(h.rec.closedAt).toBeUndefined();
    expect(h.clock.pending).toBe(0);
  });
});

describe('reset_peer', () => {
  it('resets `timeout` ms after the first data, swallowing everything', () => {
    const h = harness(resetPeer, { timeout: 100 });
    h.clock.advance(1000);
    expect(h.rec.resetAt).toBeUndefined(); // no data, no reset
    h.write('a');
    h.clock.advance(50);
    h.write('b'); // does not restart the countdown
    h.clock.advance(50);
    expect(h.rec.resetAt).toBe(2100);
    expect(h.rec.pushed).toEqual([]);
  });
});

describe('slicer', () => {
  it('cuts chunks into pieces of at most average+variation bytes, in order, `delay` µs apart', () => {
    const h = harness(slicer, { average_size: 100, size_variation: 20, delay: 2000 });
    const data = pattern(5000);
    h.write(data);
    h.clock.advance(1000);
    expect(h.bytes().equals(data)).toBe(true);
    const sizes = h.rec.pushed.map((p) => p.data.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(120);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    // Halving 5000 lands pieces between (100+20)/2 - 20 and 120 bytes: 40 to 130 of them.
    expect(sizes.length).toBeGreaterThanOrEqual(40);
    expect(sizes.length).toBeLessThanOrEqual(130);
    const gaps = h.rec.pushed.slice(1).map((p, i) => p.t - h.rec.pushed[i]!.t);
    expect(new Set(gaps)).toEqual(new Set([2]));
  });

  it('terminates and covers the chunk for every size (property over sizes 0..3000)', () => {
    const rng = seededRng(3);
    for (let size = 0; size <= 3000; size += 7) {
      const cuts = sliceOffsets(size, 10, 9, rng);
      const ascending = cuts.every((c, i) => i === 0 || c > cuts[i - 1]!);
      expect([cuts[0], cuts.at(-1), ascending]).toEqual([0, size, true]);
    }
  });

  it('rejects size_variation >= average_size (Toxiproxy would recurse forever)', () => {
    expect(slicer.check?.({ average_size: 10, size_variation: 10, delay: 0 })).toMatch(/smaller than/);
    expect(slicer.check?.({ average_size: 10, size_variation: 9, delay: 0 })).toBeUndefined();
  });
});

describe('limit_data', () => {
  it('passes exactly `bytes` bytes, then closes', () => {
    const h = harness(limitData, { bytes: 10 });
    h.write('123456');
    expect(h.rec.closedAt).toBeUndefined();
    h.write('7890abc');
    expect(h.bytes().toString()).toBe('1234567890');
    expect(h.rec.closedAt).toBe(1000);
    expect(h.rec.discarded).toBe(3);
  });

  it('keeps its count in per-connection state across an update', () => {
    const state = limitData.newState!();
    const first = harness(limitData, { bytes: 10 }, 1, state);
    first.write('12345');
    first.stage.stop();
    const second = harness(limitData, { bytes: 8 }, 1, state);
    second.write('abcdef');
    expect(second.bytes().toString()).toBe('abc');
    expect(second.rec.closedAt).toBeDefined();
  });
});
