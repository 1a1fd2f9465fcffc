/**
 * The made-up city the examples are about: boroughs and zones (named after New York's, placed on a
 * kilometre grid), with how busy each zone is. Everything else is generated from this.
 */
export const BOROUGHS = ['Manhattan', 'Brooklyn', 'Queens', 'Bronx', 'Staten Island'] as const;
export type Borough = (typeof BOROUGHS)[number];

export interface Zone {
  /** Index in {@link ZONES}; the rides table and the database use it. */
  id: number;
  name: string;
  borough: Borough;
  /** Position on the grid, in kilometres. */
  x: number;
  y: number;
  /** Relative share of pickups. */
  weight: number;
}

const zone = (name: string, borough: Borough, x: number, y: number, weight: number) => ({ name, borough, x, y, weight });

export const ZONES: readonly Zone[] = [
  zone('Financial District', 'Manhattan', 0, 0, 6),
  zone('SoHo', 'Manhattan', 1, 2, 5),
  zone('Greenwich Village', 'Manhattan', 1, 3, 6),
  zone('Chelsea', 'Manhattan', 0.5, 4.5, 6),
  zone('Midtown', 'Manhattan', 1.5, 6.5, 12),
  zone('Upper East Side', 'Manhattan', 3, 9, 8),
  zone('Upper West Side', 'Manhattan', 1, 9.5, 7),
  zone('Harlem', 'Manhattan', 3, 12.5, 4),
  zone('DUMBO', 'Brooklyn', 2, 0, 2),
  zone('Williamsburg', 'Brooklyn', 4, 3, 5),
  zone('Bushwick', 'Brooklyn', 7, 2.5, 2),
  zone('Park Slope', 'Brooklyn', 2.5, -3.5, 3),
  zone('Crown Heights', 'Brooklyn', 5, -3, 2),
  zone('Coney Island', 'Brooklyn', 1, -13, 1),
  zone('Long Island City', 'Queens', 4, 5.5, 3),
  zone('Astoria', 'Queens', 5, 9, 3),
  zone('LaGuardia Airport', 'Queens', 9, 10, 4),
  zone('Flushing', 'Queens', 14, 8, 2),
  zone('Jamaica', 'Queens', 15, 0, 1),
  zone('JFK Airport', 'Queens', 14, -5, 4),
  zone('Mott Haven', 'Bronx', 4, 14, 1),
  zone('Fordham', 'Bronx', 5, 18, 1),
  zone('Riverdale', 'Bronx', 2, 21, 0.5),
  zone('St. George', 'Staten Island', -5, -6, 0.5),
  zone('Tottenville', 'Staten Island', -18, -20, 0.2),
].map((z, id) => ({ id, ...z }));

/** Zone ids by name (the CSV names zones; the columnar table stores ids). */
export const ZONE_IDS: ReadonlyMap<string, number> = new Map(ZONES.map((z) => [z.name, z.id]));

export function isBorough(value: unknown): value is Borough {
  return typeof value === 'string' && (BOROUGHS as readonly string[]).includes(value);
}

/** Straight-line distance between two zones, in kilometres. */
export function zoneDistanceKm(from: Zone, to: Zone): number {
  return Math.hypot(from.x - to.x, from.y - to.y);
}
