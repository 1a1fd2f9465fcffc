/**
 * The city's database: zones and rider reviews in SQLite (the `sqlite3` package), seeded
 * deterministically when it is created. It stands for the Postgres or MySQL pool a real app would
 * register as a resource: opened once, shared by every route, closed when the app stops.
 */
import sqlite3 from 'sqlite3';
import { ZONES, type Borough } from './city.js';
import { seededRandom } from './random.js';

export interface ZoneRow {
  id: number;
  name: string;
  borough: Borough;
}

export interface ReviewRow {
  id: number;
  zoneId: number;
  rating: number;
  text: string;
  createdAt: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS zones (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, borough TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    zone_id INTEGER NOT NULL REFERENCES zones(id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS reviews_by_zone ON reviews (zone_id, id);
`;

const PRAISE = [
  'Driver was friendly and the car was spotless',
  'Smooth ride and a punctual pickup',
  'Great driver, safe and polite, loved the music',
  'Quick trip, clean car, would ride again',
  'Helpful driver who knew a shortcut, excellent',
];
const COMPLAINTS = [
  'Driver was rude and took a long detour',
  'Dirty car and the pickup was late',
  'Terrible traffic, slow and expensive ride',
  'Waited forever, the driver cancelled twice, awful',
  'Unsafe driving and a broken seatbelt',
];
const SHRUGS = ['Ride was okay', 'Average trip, nothing special', 'Got there'];

/** A promise-based handle on one SQLite connection. `queries` counts what the app asked of it. */
export class CityDb {
  queries = 0;
  #db: sqlite3.Database;

  private constructor(db: sqlite3.Database) {
    this.#db = db;
  }

  /**
   * Opens the database file (`':memory:'` for a private in-memory one); a new database gets the
   * zones and `reviewsPerZone` generated reviews for each.
   */
  static async open({ file = ':memory:', reviewsPerZone = 40, seed = 7 } = {}): Promise<CityDb> {
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(handle)));
    });
    db.configure('busyTimeout', 1_000);
    const city = new CityDb(db);
    await city.#exec(SCHEMA);
    const [{ zones } = { zones: 0 }] = await city.all<{ zones: number }>('SELECT COUNT(*) AS zones FROM zones');
    if (zones === 0) await city.#seed(reviewsPerZone, seed);
    city.queries = 0;
    return city;
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    this.queries++;
    return new Promise((resolve, reject) => this.#db.all<T>(sql, params, (error, rows) => (error ? reject(error) : resolve(rows))));
  }

  run(sql: string, params: unknown[] = []): Promise<{ lastID: number; changes: number }> {
    this.queries++;
    return new Promise((resolve, reject) =>
      this.#db.run(sql, params, function (error) {
        if (error) reject(error);
        else resolve({ lastID: this.lastID, changes: this.changes });
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#db.close((error) => (error ? reject(error) : resolve())));
  }

  // ---- the queries the apps run ---------------------------------------------------------------

  /** Zones with how many reviews they have and their average rating. */
  zoneSummaries(borough?: Borough): Promise<Array<ZoneRow & { reviews: number; avgRating: number }>> {
    return this.all(
      `SELECT z.id, z.name, z.borough, COUNT(r.id) AS reviews, ROUND(COALESCE(AVG(r.rating), 0), 2) AS avgRating
         FROM zones z LEFT JOIN reviews r ON r.zone_id = z.id
        WHERE (?1 IS NULL OR z.borough = ?1)
        GROUP BY z.id ORDER BY z.id`,
      [borough ?? null],
    );
  }

  async zone(id: number): Promise<ZoneRow | undefined> {
    const [row] = await this.all<ZoneRow>('SELECT id, name, borough FROM zones WHERE id = ?', [id]);
    return row;
  }

  latestReviews(zoneId: number, limit: number): Promise<ReviewRow[]> {
    return this.all(
      `SELECT id, zone_id AS zoneId, rating, text, created_at AS createdAt
         FROM reviews WHERE zone_id = ? ORDER BY id DESC LIMIT ?`,
      [zoneId, limit],
    );
  }

  async addReview(zoneId: number, rating: number, text: string, createdAt = new Date()): Promise<number> {
    const { lastID } = await this.run('INSERT INTO reviews (zone_id, rating, text, created_at) VALUES (?, ?, ?, ?)', [
      zoneId, rating, text, createdAt.toISOString(),
    ]);
    return lastID;
  }

  #exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.#db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  async #seed(reviewsPerZone: number, seed: number): Promise<void> {
    const random = seededRandom(seed);
    const rows: unknown[][] = [];
    for (const zone of ZONES) {
      // Some zones are simply better served than others.
      const happiness = 0.35 + random.next() * 0.5;
      for (let i = 0; i < reviewsPerZone; i++) {
        const roll = random.next();
        const [text, rating] =
          roll < happiness ? [random.pick(PRAISE), random.int(4, 5)] : roll < happiness + 0.15 ? [random.pick(SHRUGS), 3] : [random.pick(COMPLAINTS), random.int(1, 2)];
        const day = random.int(1, 31);
        rows.push([zone.id, rating, text, new Date(Date.UTC(2024, 2, day, random.int(0, 23))).toISOString()]);
      }
    }
    await this.#exec('BEGIN');
    for (const zone of ZONES) await this.run('INSERT INTO zones (id, name, borough) VALUES (?, ?, ?)', [zone.id, zone.name, zone.borough]);
    for (const row of rows) await this.run('INSERT INTO reviews (zone_id, rating, text, created_at) VALUES (?, ?, ?, ?)', row);
    await this.#exec('COMMIT');
  }
}
