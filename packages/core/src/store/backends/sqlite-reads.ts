/** Rows of a read. */
export type Rows = Array<Record<string, unknown>>;

/** Runs one SQL statement with its parameters. */
export type Query = (...params: unknown[]) => Promise<Rows>;

/** The parts of the `sqlite3` module (node-sqlite3, @keyv/sqlite's driver) used here, typed structurally. */
export interface Sqlite3Module {
  OPEN_READONLY: number;
  Database: new (file: string, mode: number, callback: (error: Error | null) => void) => SqliteDatabase;
}

interface SqliteDatabase {
  configure(option: 'busyTimeout', ms: number): void;
  prepare(sql: string, callback: (error: Error | null) => void): SqliteStatement;
  close(callback: (error: Error | null) => void): void;
}

interface SqliteStatement {
  all(...paramsThenCallback: unknown[]): void;
  finalize(callback: () => void): void;
}

export interface PreparedReadsOptions {
  /** The SQLite file (never `:memory:`, which a second connection would not share). */
  file: string;
  sqlite3: Sqlite3Module;
  busyTimeoutMs: number;
  /** Settles once the store's own connection has created the table. */
  ready: () => Promise<unknown>;
  /** How to run a statement when it cannot be prepared here: the adapter's `query`. */
  fallback: (sql: string, ...params: unknown[]) => Promise<Rows>;
}

/**
 * Reads through statements prepared once, on a read-only connection of their own to the store's file.
 * @keyv/sqlite's `query` is `Database#all`, which prepares the statement, runs it and finalizes it: three
 * trips to the thread pool and a parse of the SQL on every read, which made a SQLite hit cost twice a
 * prepared `SELECT` of its row and more on a busy machine. Writes, deletes and the sweep still go through
 * the adapter's connection; SQLite lets a second connection read what the first one committed.
 *
 * One connection ran this process's writes and reads in the order they were made; two do not, so a
 * read first waits for the writes ({@link PreparedReads.track}) still in flight when it is made: a hit
 * right after a miss sees the entry the miss wrote, a read after a delete does not see the row.
 *
 * When the connection or a statement cannot be made (a driver without `prepare`, an unreadable file),
 * reads go through the adapter as before.
 */
export class PreparedReads {
  readonly #options: PreparedReadsOptions;
  /** Writes made through the adapter's connection that have not settled yet. */
  readonly #writes = new Set<Promise<void>>();
  #database: Promise<SqliteDatabase | undefined> | undefined;
  readonly #statements: Array<Promise<SqliteStatement | undefined>> = [];
  #closed = false;

  constructor(options: PreparedReadsOptions) {
    this.#options = options;
  }

  /** Makes the reads that start before `write` settles wait for it. */
  track(write: Promise<unknown>): void {
    const settled = write.then(ignore, ignore);
    this.#writes.add(settled);
    void settled.then(() => this.#writes.delete(settled));
  }

  /** A function that runs `sql`, prepared on first use. */
  statement(sql: string): Query {
    let prepared: Promise<SqliteStatement | undefined> | undefined;
    return async (...params) => {
      if (this.#writes.size > 0) await Promise.all(this.#writes);
      prepared ??= this.#prepare(sql);
      const statement = await prepared;
      if (statement === undefined || this.#closed) return this.#options.fallback(sql, ...params);
      return new Promise<Rows>((resolve, reject) => {
        statement.all(...params, (error: Error | null, rows: Rows) => (error ? reject(error) : resolve(rows)));
      });
    };
  }

  /** Finalizes the statements and closes the connection. Never rejects. */
  async close(): Promise<void> {
    this.#closed = true;
    const statements = await Promise.all(this.#statements);
    await Promise.all(statements.map((statement) => statement && new Promise<void>((resolve) => statement.finalize(resolve))));
    const database = await this.#database;
    if (database) await new Promise<void>((resolve) => database.close(() => resolve()));
  }

  #prepare(sql: string): Promise<SqliteStatement | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const prepared = this.#connect().then(
      (database) =>
        database &&
        new Promise<SqliteStatement | undefined>((resolve) => {
          const statement = database.prepare(sql, (error) => resolve(error ? undefined : statement));
        }),
    );
    this.#statements.push(prepared);
    return prepared;
  }

  #connect(): Promise<SqliteDatabase | undefined> {
    this.#database ??= (async () => {
      const { file, sqlite3, busyTimeoutMs, ready } = this.#options;
      await ready();
      if (this.#closed) return undefined;
      return new Promise<SqliteDatabase | undefined>((resolve) => {
        const database = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
          if (error) return resolve(undefined);
          database.configure('busyTimeout', busyTimeoutMs);
          resolve(database);
        });
      });
    })().catch(() => undefined);
    return this.#database;
  }
}

function ignore(): void {}
