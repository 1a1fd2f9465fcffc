/**
 * The rides dataset: generated once into a CSV file (seeded, so always the same), then parsed into
 * a columnar table of typed arrays — the kind of DataFrame-like value `cacheData` stores well:
 * typed arrays serialize as raw bytes and come back as typed arrays.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ZONES, ZONE_IDS, zoneDistanceKm, type Zone } from './city.js';
import { seededRandom, type Random } from './random.js';

export const RIDES_CSV_HEADER = 'ride_id,pickup_at,pickup_zone,dropoff_zone,passengers,distance_km,duration_min,fare_usd,tip_usd,payment';
export const PAYMENTS = ['card', 'cash'] as const;

/** Rides as columns: row `i` of the dataset is `table.fareUsd[i]`, `table.pickupZone[i]`, … */
export interface RideTable {
  rows: number;
  /** Pickup time, epoch milliseconds (UTC). */
  pickupAt: Float64Array;
  /** Pickup hour 0–23, derived from `pickupAt`. */
  hour: Uint8Array;
  /** Zone ids, indexes into `ZONES`. */
  pickupZone: Uint8Array;
  dropoffZone: Uint8Array;
  passengers: Uint8Array;
  distanceKm: Float32Array;
  durationMin: Float32Array;
  fareUsd: Float32Array;
  tipUsd: Float32Array;
  /** Index into `PAYMENTS`. */
  payment: Uint8Array;
}

const HOUR_WEIGHTS = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.2, 2.8, 2.2, 1.6, 1.6, 1.8, 1.7, 1.8, 2, 2.3, 2.8, 2.9, 2.6, 2.2, 2, 1.8, 1.4];
const HOURS = HOUR_WEIGHTS.map((_, hour) => hour);
const ZONE_WEIGHTS = ZONES.map((z) => z.weight);
const TIP_RATES = [0, 0.1, 0.15, 0.18, 0.2, 0.25];
const TIP_WEIGHTS = [8, 10, 25, 25, 22, 10];
const MONTH_START = Date.UTC(2024, 2, 1);
const DAY_MS = 86_400_000;

/** Writes `rows` rides as CSV. Deterministic for a given seed. */
export function generateRidesCsv(rows: number, seed = 2024): string {
  const random = seededRandom(seed);
  const chunks: string[] = [RIDES_CSV_HEADER + '\n'];
  let lines: string[] = [];
  for (let id = 1; id <= rows; id++) {
    const hour = random.weighted(HOURS, HOUR_WEIGHTS);
    const pickupAt = MONTH_START + random.int(0, 30) * DAY_MS + hour * 3_600_000 + random.int(0, 3599) * 1000;
    const from = random.weighted(ZONES, ZONE_WEIGHTS);
    const to = pickDropoff(from, random);
    const straight = from === to ? random.next() * 2 + 0.5 : zoneDistanceKm(from, to) * 1.3;
    const distanceKm = Math.max(0.3, straight + random.normal(0, 0.4));
    const rush = (hour >= 7 && hour <= 9) || (hour >= 16 && hour <= 19);
    const speedKmh = Math.max(6, random.normal(rush ? 14 : hour < 6 ? 32 : 22, 3));
    const durationMin = distanceKm / speedKmh * 60 + 2;
    const airportFlat = isAirportRun(from, to, 'JFK Airport');
    const nightSurcharge = hour >= 20 || hour < 6 ? 1 : 0;
    const fareUsd = airportFlat ? 70 : 3 + 1.75 * distanceKm + 0.5 * durationMin + nightSurcharge;
    const payment = random.next() < 0.72 ? 'card' : 'cash';
    const tipUsd = payment === 'card' ? fareUsd * random.weighted(TIP_RATES, TIP_WEIGHTS) : 0;
    const passengers = random.weighted([1, 2, 3, 4, 5, 6], [70, 15, 6, 4, 3, 2]);
    lines.push(
      `${id},${new Date(pickupAt).toISOString()},${from.name},${to.name},${passengers},` +
        `${distanceKm.toFixed(2)},${durationMin.toFixed(1)},${fareUsd.toFixed(2)},${tipUsd.toFixed(2)},${payment}\n`,
    );
    // Joined in slices: one array of 200,000 strings keeps the garbage collector busy for a second.
    if (lines.length === 5000) {
      chunks.push(lines.join(''));
      lines = [];
    }
  }
  chunks.push(lines.join(''));
  return chunks.join('');
}

const LOCAL_ZONES = new Map(ZONES.map((z) => [z.borough, ZONES.filter((other) => other.borough === z.borough)]));
const LOCAL_WEIGHTS = new Map([...LOCAL_ZONES].map(([borough, zones]) => [borough, zones.map((z) => z.weight)]));

/** Two rides in three stay in their borough. */
function pickDropoff(from: Zone, random: Random): Zone {
  if (random.next() < 0.65) return random.weighted(LOCAL_ZONES.get(from.borough)!, LOCAL_WEIGHTS.get(from.borough)!);
  return random.weighted(ZONES, ZONE_WEIGHTS);
}

function isAirportRun(from: Zone, to: Zone, airport: string): boolean {
  return (from.name === airport && to.borough === 'Manhattan') || (to.name === airport && from.borough === 'Manhattan');
}

/**
 * Creates the CSV file on first use (written to a temporary name, then renamed, so a reader never
 * sees half a file). Returns whether it had to generate it.
 */
export async function ensureRidesCsv(path: string, rows: number): Promise<boolean> {
  try {
    await stat(path);
    return false;
  } catch {
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, generateRidesCsv(rows));
    await rename(partial, path);
    return true;
  }
}

/** Parses the CSV written by {@link generateRidesCsv} into columns. */
export function parseRidesCsv(text: string): RideTable {
  const lines = text.split('\n');
  if (lines[0] !== RIDES_CSV_HEADER) throw new Error(`Unexpected CSV header: ${lines[0]}`);
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const rows = lines.length - 1;
  const table: RideTable = {
    rows,
    pickupAt: new Float64Array(rows),
    hour: new Uint8Array(rows),
    pickupZone: new Uint8Array(rows),
    dropoffZone: new Uint8Array(rows),
    passengers: new Uint8Array(rows),
    distanceKm: new Float32Array(rows),
    durationMin: new Float32Array(rows),
    fareUsd: new Float32Array(rows),
    tipUsd: new Float32Array(rows),
    payment: new Uint8Array(rows),
  };
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1]!.split(',');
    if (cells.length !== 10) throw new Error(`CSV line ${i + 2}: expected 10 fields, got ${cells.length}`);
    const pickupAt = Date.parse(cells[1]!);
    table.pickupAt[i] = pickupAt;
    table.hour[i] = new Date(pickupAt).getUTCHours();
    table.pickupZone[i] = zoneId(cells[2]!, i);
    table.dropoffZone[i] = zoneId(cells[3]!, i);
    table.passengers[i] = Number(cells[4]);
    table.distanceKm[i] = Number(cells[5]);
    table.durationMin[i] = Number(cells[6]);
    table.fareUsd[i] = Number(cells[7]);
    table.tipUsd[i] = Number(cells[8]);
    table.payment[i] = cells[9] === 'cash' ? 1 : 0;
  }
  return table;
}

function zoneId(name: string, row: number): number {
  const id = ZONE_IDS.get(name);
  if (id === undefined) throw new Error(`CSV line ${row + 2}: unknown zone '${name}'`);
  return id;
}

/** Reads and parses the CSV file (generating it first if it is missing). */
export async function readRidesCsv(path: string, rows: number): Promise<RideTable> {
  await ensureRidesCsv(path, rows);
  return parseRidesCsv(await readFile(path, 'utf8'));
}
