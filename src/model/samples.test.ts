import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSamples, encodeSamples, SamplesFormatError } from './samples.ts';
import type { RequestRecord } from './run.ts';

const record = fc.record({
  due: fc.double({ min: 0, max: 3_600_000, noNaN: true }),
  latency: fc.double({ min: 0, max: 100_000, noNaN: true }),
  status: fc.constantFrom(0, 200, 204, 404, 429, 500, 503),
  ok: fc.option(fc.boolean(), { nil: undefined }),
});
const toRecord = (r: { due: number; latency: number; status: number; ok?: boolean }): RequestRecord => ({ due: r.due, sent: r.due, end: r.due + r.latency, status: r.status, route: 'GET /', ...(r.ok !== undefined && { ok: r.ok }) });

describe('request samples', () => {
  it('round-trip every request in due order: due to 1 ms, latency to 0.01 ms, status and success exact', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 300 }), (rows) => {
        const records = rows.map(toRecord);
        const d = decodeSamples(encodeSamples(records));
        expect(d.due.length).toBe(records.length);
        const expected = records.map((r) => ({ due: Math.round(r.due), r })).sort((a, b) => a.due - b.due);
        expected.forEach(({ due, r }, i) => {
          expect(d.due[i]).toBe(due);
          expect(Math.abs(d.latency[i] - (r.end - r.due))).toBeLessThanOrEqual(0.005 + 1e-9);
          expect(d.status[i]).toBe(r.status);
          const ok = r.ok ?? (r.status >= 200 && r.status < 400);
          expect(d.failed[i]).toBe(ok ? 0 : 1);
        });
      }),
    );
  });

  it('leave out records without a finite end (they carry no latency)', () => {
    const s = encodeSamples([toRecord({ due: 5, latency: 3, status: 200 }), { due: 6, sent: 6, end: NaN, status: 0, route: 'GET /' }]);
    expect(s.count).toBe(1);
  });

  it('take a few bytes a request: 6000 requests at 100/s in well under 10 bytes each', () => {
    const records = Array.from({ length: 6000 }, (_, i) => toRecord({ due: i * 10, latency: 3 + ((i * 7919) % 500) / 10, status: i % 1000 === 0 ? 503 : 200 }));
    const s = encodeSamples(records);
    const bytes = s.due.length + s.latency.length + s.status.length;
    expect(bytes / 6000).toBeLessThan(6);
  });

  it('refuse an unknown encoding and a corrupt stream, saying which', () => {
    const s = encodeSamples([toRecord({ due: 5, latency: 3, status: 200 })]);
    expect(() => decodeSamples({ ...s, encoding: 'v9' as never })).toThrow(/encoding "v9"/);
    expect(() => decodeSamples({ ...s, count: 2 })).toThrow(SamplesFormatError);
    expect(() => decodeSamples({ ...s, latency: '!!' })).toThrow(/latency stream is not base64/);
    expect(() => decodeSamples({ ...s, due: btoa(String.fromCharCode(0x80)) })).toThrow(/ends inside a number/);
  });
});
