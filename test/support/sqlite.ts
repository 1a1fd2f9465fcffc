import KeyvSqlite from '@keyv/sqlite';

/** Runs `sql` on a SQLite file through a separate connection: what is really in the table, not what a store says. */
export async function sqliteQuery(file: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const probe = new KeyvSqlite({ uri: `sqlite://${file}` });
  try {
    return (await probe.query(sql)) as Array<Record<string, unknown>>;
  } finally {
    await probe.disconnect();
  }
}

/** Row keys of the Keyv table, sorted. */
export async function sqliteKeys(file: string): Promise<string[]> {
  return (await sqliteQuery(file, 'SELECT key FROM keyv ORDER BY key')).map((row) => String(row.key));
}
