// Hashing probe, run in its own process by bench/scenarios/hashing.ts. Prints one `RESULT <json>` line.
//
// Each repetition times hashValue and raw SHA-256 back to back on the same bytes, so the runner can
// take the median of paired ratios. The 64 MiB inputs are built once, outside the timings.
import { createHash, randomFillSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashValue } from '@larder/core';
import { documentBytes, MiB } from '../servers/shared/payload.ts';

export interface HashingResult {
  buffer?: Throughput;
  float64?: Throughput;
  /** Microseconds per key, one number per batch. */
  requestKeyMicros?: number[];
  jsonBody?: { bytes: number; larderMs: number[]; sha256Ms: number[] };
}

interface Throughput {
  bytes: number;
  larderMs: number[];
  sha256Ms: number[];
}

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '7' }, cases: { type: 'string', default: '' } },
});
const reps = Number(values.reps);
const cases = new Set(values.cases.split(',').filter(Boolean));
const result: HashingResult = {};

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function compareThroughput(value: Buffer | Float64Array, bytes: Uint8Array): Throughput {
  hashValue(value);
  sha256(bytes);
  const larderMs: number[] = [];
  const sha256Ms: number[] = [];
  for (let i = 0; i < reps; i += 1) {
    larderMs.push(time(() => hashValue(value)));
    sha256Ms.push(time(() => sha256(bytes)));
  }
  return { bytes: bytes.byteLength, larderMs, sha256Ms };
}

if (cases.has('buffer')) {
  const buffer = randomFillSync(Buffer.allocUnsafe(64 * MiB));
  result.buffer = compareThroughput(buffer, buffer);
}

if (cases.has('float64')) {
  const floats = new Float64Array((64 * MiB) / Float64Array.BYTES_PER_ELEMENT);
  for (let i = 0; i < floats.length; i += 1) floats[i] = i * 1.000001;
  result.float64 = compareThroughput(floats, new Uint8Array(floats.buffer));
}

if (cases.has('request-key')) {
  // A typical request's keyed inputs: five short string fields, a fresh object per request.
  const key = (i: number) => hashValue({ id: String(i), page: '3', sort: 'name', q: 'coffee beans', lang: 'en-US' });
  const batch = 2_000;
  for (let i = 0; i < 20_000; i += 1) key(i);
  const micros: number[] = [];
  for (let b = 0; b < Math.max(10, reps * 5); b += 1) {
    const ms = time(() => {
      for (let i = 0; i < batch; i += 1) key(i);
    });
    micros.push((ms * 1000) / batch);
  }
  result.requestKeyMicros = micros;
}

if (cases.has('json-body')) {
  const text = documentBytes(MiB);
  const parsed: unknown = JSON.parse(text.toString());
  hashValue(parsed);
  const larderMs: number[] = [];
  const sha256Ms: number[] = [];
  for (let i = 0; i < reps * 2; i += 1) {
    larderMs.push(time(() => hashValue(parsed)));
    sha256Ms.push(time(() => sha256(text)));
  }
  result.jsonBody = { bytes: text.length, larderMs, sha256Ms };
}

process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
