/**
 * Every client request of a run, packed small enough to keep in result.json: its due time,
 * its latency and its outcome, which is what a comparison with a baseline needs to test the
 * tail and the shape of the latency distribution and the error proportion exactly (a
 * summary's p50/p99 cannot be tested; the samples can). `faultline compare` reads them.
 *
 * The encoding (`varint-base64-v1`): each stream is a sequence of unsigned integers written
 * as LEB128 varints (7 bits a byte, the high bit set on all but the last byte of a number),
 * then base64. Small numbers take one byte, and the numbers are made small: due times are
 * delta-coded, statuses run-length coded. Measured on a minute of the joke scenario at 100/s
 * (6027 requests): 4.0 bytes a request, against 10.6 for the same integers as compact JSON
 * arrays and 37.6 as result.json's pretty-printed arrays (a number a line).
 * One string per stream, so the pretty-printed result.json keeps them on one line each.
 */
import type { RequestRecord } from './run.ts';
import type { RequestSamples } from './result.ts';
import { isSuccess } from './success.ts';

export const SAMPLES_ENCODING = 'varint-base64-v1';

/** The samples unpacked, in due order: parallel arrays, one entry per request. */
export interface DecodedSamples {
  /** ms since t = 0 (rounded to 1 ms). */
  due: Float64Array;
  /** ms from due to the end of the response or failure (rounded to 0.01 ms). */
  latency: Float64Array;
  /** HTTP status; 0 for a network error, timeout or a request not sent. */
  status: Int32Array;
  /** 1 where the request was not a success (src/model/success.ts: its status was not one it expects). */
  failed: Uint8Array;
}

/**
 * Packs a run's requests. Records without a finite due or end are left out (they carry no
 * latency); `count` says how many were kept.
 *
 * @example encodeSamples(data.requests).count // data.requests.length for a sane run
 */
export function encodeSamples(requests: readonly RequestRecord[]): RequestSamples {
  const kept = requests.filter((r) => Number.isFinite(r.due) && Number.isFinite(r.end));
  // Stable: records due in the same ms keep the driver's order.
  const rows = kept.map((r) => ({ due: Math.max(0, Math.round(r.due)), lat: Math.round(Math.max(0, r.end - r.due) * 100), code: r.status * 2 + (isSuccess(r) ? 0 : 1) })).sort((a, b) => a.due - b.due);
  const due = new VarintWriter();
  const latency = new VarintWriter();
  const status = new VarintWriter();
  let prev = 0;
  let runCode = -1;
  let runLength = 0;
  for (const r of rows) {
    due.write(r.due - prev);
    prev = r.due;
    latency.write(r.lat);
    if (r.code === runCode) runLength++;
    else {
      if (runLength > 0) status.write(runCode).write(runLength);
      runCode = r.code;
      runLength = 1;
    }
  }
  if (runLength > 0) status.write(runCode).write(runLength);
  return { encoding: SAMPLES_ENCODING, count: rows.length, due: due.base64(), latency: latency.base64(), status: status.base64() };
}

/** Thrown for samples this version cannot read, or that are corrupt; the message says which. */
export class SamplesFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamplesFormatError';
  }
}

/** Unpacks `encodeSamples`' output. Throws SamplesFormatError on an unknown encoding or a corrupt stream. */
export function decodeSamples(s: RequestSamples): DecodedSamples {
  if (s.encoding !== SAMPLES_ENCODING) throw new SamplesFormatError(`samples encoding "${s.encoding}" is not one this version reads (${SAMPLES_ENCODING})`);
  const n = s.count;
  if (!Number.isInteger(n) || n < 0) throw new SamplesFormatError(`samples count ${n} is not a count`);
  const dues = readVarints(s.due, 'due');
  const lats = readVarints(s.latency, 'latency');
  const codes = readVarints(s.status, 'status');
  if (dues.length !== n || lats.length !== n) throw new SamplesFormatError(`samples hold ${dues.length} due times and ${lats.length} latencies for a count of ${n}`);
  const out: DecodedSamples = { due: new Float64Array(n), latency: new Float64Array(n), status: new Int32Array(n), failed: new Uint8Array(n) };
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += dues[i];
    out.due[i] = t;
    out.latency[i] = lats[i] / 100;
  }
  if (codes.length % 2 !== 0) throw new SamplesFormatError('samples status runs are not (status, length) pairs');
  let i = 0;
  for (let k = 0; k < codes.length; k += 2) {
    const code = codes[k];
    const len = codes[k + 1];
    if (i + len > n) throw new SamplesFormatError(`samples status runs cover more than ${n} requests`);
    out.status.fill(Math.floor(code / 2), i, i + len);
    out.failed.fill(code % 2, i, i + len);
    i += len;
  }
  if (i !== n) throw new SamplesFormatError(`samples status runs cover ${i} of ${n} requests`);
  return out;
}

class VarintWriter {
  private bytes: number[] = [];
  /** Arithmetic, not bitwise: latencies in 0.01 ms may pass 2³¹. */
  write(value: number): this {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) + 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }
  base64(): string {
    // btoa, not Buffer: the model stays free of Node's modules. In chunks: apply() has an argument limit.
    let binary = '';
    for (let i = 0; i < this.bytes.length; i += 0x8000) binary += String.fromCharCode(...this.bytes.slice(i, i + 0x8000));
    return btoa(binary);
  }
}

function readVarints(text: string, stream: string): number[] {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new SamplesFormatError(`samples ${stream} stream is not base64`);
  }
  const out: number[] = [];
  let value = 0;
  let scale = 1;
  for (let i = 0; i < binary.length; i++) {
    const b = binary.charCodeAt(i);
    value += (b & 0x7f) * scale;
    if (b & 0x80) scale *= 0x80;
    else {
      out.push(value);
      value = 0;
      scale = 1;
    }
  }
  if (scale !== 1) throw new SamplesFormatError(`samples ${stream} stream ends inside a number`);
  return out;
}
