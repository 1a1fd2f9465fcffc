/**
 * Pure aggregations over the rides table: what the routes answer. They loop over typed arrays, so
 * they are quick; caching the *responses* still pays, because every miss first has to get the
 * table (a copy from the data cache) and scan all of it.
 */
import { ZONES, type Borough } from './city.js';
import type { RideTable } from './rides.js';

export interface RideFilter {
  /** Pickup borough. */
  borough?: Borough;
  /** Pickup hour, 0–23. */
  hour?: number;
}

export interface RideStats {
  filter: RideFilter;
  rides: number;
  revenueUsd: number;
  avgFareUsd: number;
  avgDistanceKm: number;
  avgDurationMin: number;
  avgSpeedKmh: number;
  avgPassengers: number;
  /** Tips as a share of fares, card payments only (cash tips are not recorded). */
  cardTipRate: number;
  cashShare: number;
  busiestPickupZone: string | null;
}

export interface RouteCount {
  from: string;
  to: string;
  rides: number;
  avgFareUsd: number;
  avgDurationMin: number;
}

export interface HourProfile {
  hour: number;
  rides: number;
  avgFareUsd: number;
  avgSpeedKmh: number;
}

const ZONE_BOROUGH = ZONES.map((z) => z.borough);

function matches(table: RideTable, i: number, filter: RideFilter): boolean {
  if (filter.borough !== undefined && ZONE_BOROUGH[table.pickupZone[i]!] !== filter.borough) return false;
  if (filter.hour !== undefined && table.hour[i] !== filter.hour) return false;
  return true;
}

const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : 0);

export function rideStats(table: RideTable, filter: RideFilter = {}): RideStats {
  let rides = 0, fares = 0, distance = 0, minutes = 0, passengers = 0, cash = 0, cardFares = 0, cardTips = 0;
  const pickups = new Uint32Array(ZONES.length);
  for (let i = 0; i < table.rows; i++) {
    if (!matches(table, i, filter)) continue;
    rides++;
    fares += table.fareUsd[i]!;
    distance += table.distanceKm[i]!;
    minutes += table.durationMin[i]!;
    passengers += table.passengers[i]!;
    pickups[table.pickupZone[i]!]!++;
    if (table.payment[i] === 1) cash++;
    else {
      cardFares += table.fareUsd[i]!;
      cardTips += table.tipUsd[i]!;
    }
  }
  const busiest = rides === 0 ? -1 : pickups.indexOf(Math.max(...pickups));
  return {
    filter,
    rides,
    revenueUsd: round(fares),
    avgFareUsd: round(fares / rides),
    avgDistanceKm: round(distance / rides),
    avgDurationMin: round(minutes / rides, 1),
    avgSpeedKmh: round(distance / (minutes / 60), 1),
    avgPassengers: round(passengers / rides),
    cardTipRate: round(cardTips / cardFares, 3),
    cashShare: round(cash / rides, 3),
    busiestPickupZone: busiest === -1 ? null : ZONES[busiest]!.name,
  };
}

/** The most frequent pickup → dropoff zone pairs. */
export function topRoutes(table: RideTable, filter: RideFilter = {}, limit = 10): RouteCount[] {
  const n = ZONES.length;
  const counts = new Uint32Array(n * n);
  const fares = new Float64Array(n * n);
  const minutes = new Float64Array(n * n);
  for (let i = 0; i < table.rows; i++) {
    if (!matches(table, i, filter)) continue;
    const pair = table.pickupZone[i]! * n + table.dropoffZone[i]!;
    counts[pair]!++;
    fares[pair]! += table.fareUsd[i]!;
    minutes[pair]! += table.durationMin[i]!;
  }
  return [...counts.keys()]
    .filter((pair) => counts[pair]! > 0)
    .sort((a, b) => counts[b]! - counts[a]! || a - b)
    .slice(0, limit)
    .map((pair) => ({
      from: ZONES[Math.floor(pair / n)]!.name,
      to: ZONES[pair % n]!.name,
      rides: counts[pair]!,
      avgFareUsd: round(fares[pair]! / counts[pair]!),
      avgDurationMin: round(minutes[pair]! / counts[pair]!, 1),
    }));
}

/** Rides, fares and speeds hour by hour (rush hours are slow and busy). */
export function hourlyProfile(table: RideTable, filter: Omit<RideFilter, 'hour'> = {}): HourProfile[] {
  const rides = new Uint32Array(24);
  const fares = new Float64Array(24);
  const distance = new Float64Array(24);
  const minutes = new Float64Array(24);
  for (let i = 0; i < table.rows; i++) {
    if (!matches(table, i, filter)) continue;
    const hour = table.hour[i]!;
    rides[hour]!++;
    fares[hour]! += table.fareUsd[i]!;
    distance[hour]! += table.distanceKm[i]!;
    minutes[hour]! += table.durationMin[i]!;
  }
  return [...rides].map((count, hour) => ({
    hour,
    rides: count,
    avgFareUsd: round(fares[hour]! / count),
    avgSpeedKmh: round(distance[hour]! / (minutes[hour]! / 60), 1),
  }));
}
